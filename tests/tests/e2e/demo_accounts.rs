//! `tanggap serve --demo` makes one account per role for each demo unit and says how
//! to log in (issue 21). The password is random, printed once when the demo is
//! loaded and never again; each demo database gets its own (docs/operations.md,
//! "Demo accounts").

use std::time::Duration;

use tanggap::demo::accounts::username;
use tanggap::domain::Role;
use tanggap_tests::serve::{ServeProcess, eventually};
use tanggap_tests::{TestDb, login_at};

const DEMO: &[&str] = &[
    "--demo",
    "--complaints",
    "40",
    "--responses",
    "200",
    "--end-date",
    "2026-11-20",
];
const ENV: &[(&str, &str)] = &[("TANGGAP_PUBLIC_RATE_PER_MINUTE", "60000")];

/// The demo password the start message printed, once the login line is out.
async fn printed_password(server: &ServeProcess) -> (String, Vec<String>) {
    let lines = eventually(Duration::from_secs(20), || async {
        let lines = server.stdout();
        lines.iter().any(|l| l.contains("/masuk")).then_some(lines)
    })
    .await
    .unwrap_or_else(|| panic!("no login line in {:?}", server.stdout()));
    let marker = "kata sandi semua akun demo: ";
    let password = lines
        .iter()
        .find_map(|l| l.split(marker).nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no password in {lines:?}"))
        .to_owned();
    (password, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_prints_accounts_of_every_role_that_reach_the_staff_pages() {
    let db = TestDb::sqlite().await;
    let server = ServeProcess::start_with(&db.url, DEMO, ENV).await;
    let (password, lines) = printed_password(&server).await;
    assert!(password.len() >= 16, "{password}");
    let login_line = lines.iter().find(|l| l.contains("/masuk")).unwrap();
    assert!(
        login_line.contains(&format!("{}/masuk", server.address)),
        "{login_line}"
    );
    for seed in tanggap::demo::agencies() {
        let unit = seed.unit.code;
        for &role in Role::ALL {
            let name = username(&unit, role);
            assert!(lines.iter().any(|l| l.contains(&name)), "{name} not printed: {lines:?}");
            let staff = login_at(&server.address, &name, &password).await;
            let (status, _, page) = staff.get(&format!("/staf/{unit}")).await;
            assert_eq!(status, 200, "{name} reaches /staf/{unit}");
            assert!(
                page.contains(&format!("/staf/{unit}/")),
                "{name}: the unit's staff page"
            );
            // An account is its unit's only: another demo unit stays closed to it.
            let other = if unit == "dinsospm-dumai" {
                "dinsos-lubuklinggau"
            } else {
                "dinsospm-dumai"
            };
            let (status, _, _) = staff.get(&format!("/staf/{other}")).await;
            assert!(
                status == 403 || status == 404,
                "{name} must not open /staf/{other}: {status}"
            );
        }
    }
    // A wrong password opens nothing.
    let anon = tanggap_tests::anonymous_at(&server.address).await;
    let (status, _, _) = anon
        .post(
            "/masuk",
            &[
                ("username", &username("dinsospm-dumai", Role::Admin)),
                ("password", "demo"),
            ],
        )
        .await;
    assert_ne!(status, 303, "only the printed password logs in");
    drop(server);

    // Started again on the same database: nothing reloaded, the password not shown
    // again (only its hash is stored), and the one printed still works.
    let again = ServeProcess::start_with(&db.url, DEMO, ENV).await;
    let example = username(&tanggap::demo::agencies()[0].unit.code, Role::Admin);
    let lines = eventually(Duration::from_secs(20), || async {
        let lines = again.stdout();
        lines.iter().any(|l| l.contains(&example)).then_some(lines)
    })
    .await
    .unwrap_or_else(|| panic!("no word on the demo accounts: {:?}", again.stdout()));
    assert!(!lines.iter().any(|l| l.contains(&password)), "{lines:?}");
    login_at(&again.address, &username("dinsospm-dumai", Role::Petugas), &password).await;
    drop(again);

    // Another demo database (PostgreSQL when there) gets another password.
    let other = match TestDb::postgres().await {
        Some(pg) => pg,
        None => TestDb::sqlite().await,
    };
    let second = ServeProcess::start_with(&other.url, DEMO, ENV).await;
    let (second_password, _) = printed_password(&second).await;
    assert_ne!(second_password, password, "each demo database has its own password");
    login_at(
        &second.address,
        &username("dinsos-lubuklinggau", Role::KepalaDinas),
        &second_password,
    )
    .await;
    let anon = tanggap_tests::anonymous_at(&second.address).await;
    let (status, _, _) = anon
        .post(
            "/masuk",
            &[
                ("username", &username("dinsospm-dumai", Role::Admin)),
                ("password", &password),
            ],
        )
        .await;
    assert_ne!(status, 303, "the first database's password does not open the second");
}
