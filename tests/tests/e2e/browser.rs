//! What a person sees, in a real headless Chromium at phone size.

use fantoccini::Locator;
use tanggap_tests::{Browser, TestDb, small_demo, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_on_a_phone_finds_the_services_of_a_unit() {
    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let app = spawn_app(db).await;
    let Some(browser) = Browser::start(390, 844).await else {
        return;
    };
    let c = &browser.client;

    c.goto(&format!("{}/", app.address)).await.unwrap();
    let h1 = c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(h1, "Unit Pelayanan Publik");
    let cards = c.find_all(Locator::Css("li.card h2")).await.unwrap();
    assert_eq!(cards.len(), 4, "four seed agencies");
    let mut names = Vec::new();
    for card in cards {
        names.push(card.text().await.unwrap());
    }
    assert!(names.iter().any(|n| n.contains("Lubuklinggau")), "{names:?}");

    // The layout fits a phone: nothing wider than the viewport.
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::Value::Bool(false),
        "the page scrolls sideways on a phone"
    );

    // Keyboard users can skip to the content.
    let skip = c.find(Locator::Css("a.skip")).await.unwrap();
    assert_eq!(skip.attr("href").await.unwrap().as_deref(), Some("#main"));

    c.find(Locator::LinkText("Dinas Sosial Kota Lubuklinggau"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(title, "Dinas Sosial Kota Lubuklinggau");
    let services = c.find_all(Locator::Css("li.service h3")).await.unwrap();
    assert_eq!(services.len(), 11);
    let summary = c.find(Locator::Css("li.service details summary")).await.unwrap();
    assert!(summary.text().await.unwrap().starts_with("Persyaratan"));
    summary.click().await.unwrap();
    let first_requirement = c.find(Locator::Css("li.service details[open] li")).await.unwrap();
    assert!(
        first_requirement.is_displayed().await.unwrap(),
        "requirements open without JavaScript"
    );

    c.find(Locator::Css("a[hreflang=en]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = c.find(Locator::Css("#services-h")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "Services");
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/u/dinsos-lubuklinggau"),
        "stays on the page"
    );
    browser.close().await;
}
