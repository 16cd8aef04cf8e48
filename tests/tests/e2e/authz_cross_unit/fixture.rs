//! The two units of the cross-unit tests, one of every object in each, and the
//! snapshot that shows nothing changed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, TimeZone, Utc};
use tanggap::domain::{Bobot, Channel, ComplaintStatus, Klasifikasi, Role, SurveySource};
use tanggap::reporting::period::Period;
use tanggap::reporting::workflow;
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap::storage::reports::{FollowUpPlan, ReportAction};
use tanggap::storage::survey_admin::NewSurveyPeriod;
use tanggap::storage::triage::{Classification, StatusMove};
use tanggap_tests::{TestApp, TestDb, spawn_app};

use crate::survey::ELEMENTS;

pub(super) const PASSWORD: &str = "kata-sandi-uji-123";
pub(super) const CITIZEN_NAME: &str = "Rahmat Hidayat Siregar";
pub(super) const CITIZEN_PHONE: &str = "081277665544";
pub(super) const CITIZEN_EMAIL: &str = "rahmat.pelapor@contoh.id";
pub(super) const CITIZEN_NIK: &str = "1472010101900002";
/// Unit B's API token, holding every scope.
pub(super) const TOKEN_B: &str = "tgp_cross_unit_b_token_for_tests_0123456789abcdef";
/// The roles of the account `all_b` in unit B: every role there is.
pub(super) const ALL_ROLES: &[Role] = &[
    Role::Admin,
    Role::Petugas,
    Role::KepalaBidang,
    Role::Sekretaris,
    Role::KepalaDinas,
    Role::Auditor,
];

/// Everything a unit holds that a route or a form can name.
#[derive(Debug, Clone)]
pub(super) struct Objects {
    pub(super) code: &'static str,
    pub(super) unit: i64,
    /// An active complaint handler of the unit (an assignee a form may name).
    pub(super) handler: i64,
    /// A petugas account of this unit only (the user routes' target).
    pub(super) target_user: i64,
    pub(super) service: i64,
    pub(super) service_code: String,
    pub(super) division: i64,
    pub(super) jenis: i64,
    pub(super) template: i64,
    pub(super) template_body: String,
    pub(super) kiosk: i64,
    pub(super) token: i64,
    pub(super) period: i64,
    pub(super) saran: i64,
    /// Named complaint with an attachment.
    pub(super) plain: i64,
    pub(super) attachment: i64,
    /// Diterima: the status move's target.
    pub(super) moving: i64,
    pub(super) classifying: i64,
    /// Bobot sedang: the sign-off's target.
    pub(super) sedang: i64,
    /// Bobot berat: the escalation's target.
    pub(super) berat: i64,
    /// Didisposisikan: the answer's target.
    pub(super) disposed: i64,
    /// Came by letter and answered: the reply letter's source.
    pub(super) letter: i64,
    /// Merged into `plain` by the merge form.
    pub(super) dup: i64,
    /// Moved by the API.
    pub(super) api: i64,
    /// Report versions: a draft, and two submitted (one to approve, one to return).
    pub(super) draft: i64,
    pub(super) submitted: i64,
    pub(super) returnable: i64,
    pub(super) follow_up: i64,
}

pub(super) fn new_unit(code: &str) -> NewUnit {
    NewUnit {
        complaint_channels: vec![Channel::Website, Channel::Skm],
        ..tanggap_tests::test_unit(code)
    }
}

/// The name of the complainant of every complaint of unit `code`.
pub(super) fn citizen(code: &str) -> String {
    format!("{CITIZEN_NAME} {code}")
}

pub(super) fn new_complaint(unit_id: i64, citizen: &str, subject: &str, channel: Channel) -> NewComplaint {
    NewComplaint {
        unit_id,
        channel,
        channel_ref: None,
        channel_detail: None,
        received_at: Utc.with_ymd_and_hms(2026, 10, 5, 3, 0, 0).unwrap(),
        recorded_by: None,
        complainant: Complainant {
            name: Some(citizen.into()),
            phone: Some(CITIZEN_PHONE.into()),
            email: Some(CITIZEN_EMAIL.into()),
            address: Some("Jl. Sudirman 1".into()),
            nik: Some(CITIZEN_NIK.into()),
        },
        anonim: false,
        rahasia: false,
        subject: subject.into(),
        description: "Antrean di loket sangat panjang dan petugas tidak ada.".into(),
        event_place: None,
        event_date: None,
        klasifikasi: Klasifikasi::Pengaduan,
        service_id: None,
    }
}

pub(super) async fn classify(store: &dyn Store, unit: i64, id: i64, bobot: Option<Bobot>, assignee: Option<i64>) {
    let done = store
        .classify_complaint(&Classification {
            unit_id: unit,
            complaint_id: id,
            klasifikasi: Klasifikasi::Pengaduan,
            jenis_id: None,
            service_id: None,
            division_id: None,
            bobot,
            assignee_id: assignee,
            first_answer_due_at: None,
            due_at: None,
            actor_id: None,
            at: Utc::now(),
            note: "seed".into(),
        })
        .await
        .unwrap();
    assert!(done.is_ok(), "seed classification of {id}");
}

pub(super) async fn advance(store: &dyn Store, unit: i64, id: i64, to: ComplaintStatus, note: &str) {
    let done = store
        .move_complaint(&StatusMove {
            unit_id: unit,
            complaint_id: id,
            to,
            actor_id: None,
            note: note.into(),
            at: Utc::now(),
            expected_from: None,
            notify: Vec::new(),
        })
        .await
        .unwrap();
    assert!(done.is_ok(), "seed move of {id} to {to:?}");
}

/// Creates one of each object in a unit, in the state its action needs.
pub(super) async fn seed(store: &dyn Store, code: &'static str, handler: i64, target_user: i64) -> Objects {
    let unit = store.unit_by_code(code).await.unwrap().unwrap();
    let u = unit.id;
    let service_code = format!("layanan-{code}");
    let service = store
        .create_service(
            u,
            &NewService {
                code: service_code.clone(),
                name: format!("Layanan {code}"),
                division_id: None,
                requirements: vec![],
                completion_days: 1,
                completion_text: "1 hari".into(),
                working_days: true,
                fee_rupiah: 0,
                fee_text: String::new(),
                product: "Surat".into(),
                complaint_channels: vec![],
            },
        )
        .await
        .unwrap();
    let division = store.create_division(u, &format!("Bidang {code}")).await.unwrap();
    let jenis = store.list_jenis(u, true).await.unwrap()[0].id;
    let template_body = format!("Isi templat jawaban milik {code}.");
    let template = store
        .save_answer_template(u, &format!("Templat {code}"), &template_body)
        .await
        .unwrap();
    let kiosk = store
        .create_kiosk(
            u,
            &format!("Kios {code}"),
            &tanggap::auth::hash_secret(&format!("kiosk-{code}")),
            None,
        )
        .await
        .unwrap();
    let token = store
        .create_api_token(
            u,
            "Dasbor lama",
            &tanggap::auth::hash_secret(&format!("tgp_old_{code}")),
            &["complaints:read".into()],
            None,
        )
        .await
        .unwrap();
    let rule_set = store
        .survey_rule_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_default)
        .unwrap();
    let period = store
        .create_survey_period(
            u,
            &NewSurveyPeriod {
                name: "Semester II 2026".into(),
                starts_on: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
                ends_on: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                rule_set_id: rule_set.id,
                target_responses: None,
            },
        )
        .await
        .unwrap();
    let scores: BTreeMap<String, i64> = ELEMENTS.iter().map(|k| (k.to_string(), 3)).collect();
    let saran = store
        .record_survey_batch(&[SurveyIntake {
            response: NewSurveyResponse {
                unit_id: u,
                service_id: Some(service),
                rule_set_id: rule_set.id,
                responded_on: NaiveDate::from_ymd_opt(2026, 10, 6).unwrap(),
                source: SurveySource::Web,
                import_key: None,
                scores,
                profile: RespondentProfile::default(),
                saran: Some(format!("Saran untuk {code}: loket dua lambat.")),
            },
            kiosk_id: None,
            entered_by: None,
        }])
        .await
        .unwrap()[0]
        .unwrap();

    let record = |subject: &str, channel: Channel| {
        let c = new_complaint(u, &citizen(code), &format!("{subject} {code}"), channel);
        async move { store.record_complaint(&c).await.unwrap().id }
    };
    let plain = record("Antrean loket", Channel::Website).await;
    let attachment = store
        .add_attachment(&NewAttachment {
            complaint_id: plain,
            message_id: None,
            filename: format!("bukti-{code}.txt"),
            content_type: "text/plain".into(),
            content: format!("bukti {code}").into_bytes(),
        })
        .await
        .unwrap();
    let moving = record("Pindah status", Channel::Website).await;
    let classifying = record("Klasifikasi", Channel::Website).await;
    let sedang = record("Bobot sedang", Channel::Website).await;
    classify(store, u, sedang, Some(Bobot::Sedang), None).await;
    let berat = record("Bobot berat", Channel::Website).await;
    classify(store, u, berat, Some(Bobot::Berat), None).await;
    let disposed = record("Siap dijawab", Channel::Website).await;
    classify(store, u, disposed, Some(Bobot::Ringan), Some(handler)).await;
    advance(store, u, disposed, ComplaintStatus::Terverifikasi, "").await;
    advance(store, u, disposed, ComplaintStatus::Didisposisikan, "").await;
    let letter = record("Surat masuk", Channel::Surat).await;
    classify(store, u, letter, Some(Bobot::Ringan), Some(handler)).await;
    advance(store, u, letter, ComplaintStatus::Terverifikasi, "").await;
    advance(store, u, letter, ComplaintStatus::Didisposisikan, "").await;
    advance(store, u, letter, ComplaintStatus::Dijawab, "Jawaban tertulis.").await;
    let dup = record("Antrean loket ganda", Channel::Website).await;
    let api = record("Lewat API", Channel::Website).await;

    let preparer = workflow::Actor {
        id: handler,
        name: "Penyusun".into(),
    };
    let mut versions = Vec::new();
    for month in [9, 8, 7] {
        let v = workflow::draft_monthly(store, &unit, Period::Month(2026, month), None, "")
            .await
            .unwrap();
        if month != 9 {
            workflow::act(store, &unit, v.id, ReportAction::Submit, &preparer, None, None)
                .await
                .unwrap();
        }
        versions.push(v.id);
    }
    let follow_up = store
        .add_follow_up_plan(&FollowUpPlan {
            id: 0,
            unit_id: u,
            period: "2026-S2".into(),
            element_key: ELEMENTS[0].into(),
            action: "Menambah loket".into(),
            owner: "Kepala Subbagian Umum".into(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            realisation: None,
            realised_on: None,
        })
        .await
        .unwrap();
    Objects {
        code,
        unit: u,
        handler,
        target_user,
        service,
        service_code,
        division,
        jenis,
        template,
        template_body,
        kiosk,
        token,
        period,
        saran,
        plain,
        attachment,
        moving,
        classifying,
        sedang,
        berat,
        disposed,
        letter,
        dup,
        api,
        draft: versions[0],
        submitted: versions[1],
        returnable: versions[2],
        follow_up,
    }
}

/// Two units with one of everything each, and their accounts: in A a petugas
/// (`petugas_a`) and a target account; in B one account with every role (`all_b`)
/// and a target account; in both, a kepala dinas of A and B (`kadis_ab`) and a
/// petugas of A who is auditor in B (`mixed_ab`).
pub(super) struct Fixture {
    pub(super) app: TestApp,
    pub(super) a: Objects,
    pub(super) b: Objects,
    /// Anonim complaints, for the identity checks of multi-unit accounts.
    pub(super) anonim_a: i64,
    pub(super) anonim_b: i64,
}

pub(super) async fn fixture(db: TestDb) -> Fixture {
    let store = db.store.clone();
    let a = store.create_unit(&new_unit("unit-a")).await.unwrap();
    let b = store.create_unit(&new_unit("unit-b")).await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    let user = |name: &str, roles: Vec<(i64, Role)>| {
        let new = NewUser {
            username: name.into(),
            full_name: format!("Pegawai {name}"),
            password_hash: hash.clone(),
            roles,
        };
        let store = store.clone();
        async move { store.create_user(&new).await.unwrap() }
    };
    let petugas_a = user("petugas_a", vec![(a, Role::Petugas)]).await;
    let target_a = user("target_a", vec![(a, Role::Petugas)]).await;
    let all_b = user("all_b", ALL_ROLES.iter().map(|r| (b, *r)).collect()).await;
    let target_b = user("target_b", vec![(b, Role::Petugas)]).await;
    user("kadis_ab", vec![(a, Role::KepalaDinas), (b, Role::KepalaDinas)]).await;
    user("mixed_ab", vec![(a, Role::Petugas), (b, Role::Auditor)]).await;
    tanggap_tests::token_with_every_scope(store.as_ref(), b, "Integrasi B", TOKEN_B).await;
    let objects_a = seed(store.as_ref(), "unit-a", petugas_a, target_a).await;
    let objects_b = seed(store.as_ref(), "unit-b", all_b, target_b).await;
    let mut anonim = Vec::new();
    for unit in [a, b] {
        let code = if unit == a { "unit-a" } else { "unit-b" };
        let mut c = new_complaint(unit, &citizen(code), "Pungutan liar anonim", Channel::Website);
        c.anonim = true;
        anonim.push(store.record_complaint(&c).await.unwrap().id);
    }
    Fixture {
        app: spawn_app(db).await,
        a: objects_a,
        b: objects_b,
        anonim_a: anonim[0],
        anonim_b: anonim[1],
    }
}

// ---- What a unit looks like, to show that nothing changed ----

/// Every row of a unit an action could change, one line each.
pub(super) async fn unit_snapshot(store: &dyn Store, unit: i64) -> Vec<String> {
    let mut lines = Vec::new();
    let all = ComplaintQuery {
        text: None,
        status: None,
        limit: 10_000,
        offset: 0,
    };
    for c in store.list_complaints(unit, &all).await.unwrap() {
        let t = store.triage_state(unit, c.id).await.unwrap();
        lines.push(format!("complaint {} {t:?}", c.id));
        for e in store.complaint_events(c.id).await.unwrap() {
            lines.push(format!("event {} {e:?}", c.id));
        }
        for m in store.outbox_for_complaint(c.id).await.unwrap() {
            lines.push(format!("outbox {} {} {} {}", c.id, m.id, m.channel, m.status));
        }
        for f in store.attachments(c.id).await.unwrap() {
            lines.push(format!("attachment {} {f:?}", c.id));
        }
        let messages = store.complaint_messages(c.id).await.unwrap().len();
        lines.push(format!("messages {} {messages}", c.id));
    }
    for v in store.list_report_versions(unit, None).await.unwrap() {
        lines.push(format!(
            "report {} {} {} v{} {} {:?} {:?}",
            v.id, v.kind, v.period, v.version, v.status, v.preparer_note, v.review_note
        ));
    }
    for p in store.list_survey_periods(unit).await.unwrap() {
        lines.push(format!("period {p:?}"));
        for pop in store.survey_populations(p.id).await.unwrap() {
            lines.push(format!("population {} {pop:?}", p.id));
        }
    }
    for s in store.survey_saran(unit, 10_000).await.unwrap() {
        lines.push(format!("saran {s:?}"));
    }
    for t in store.answer_templates(unit).await.unwrap() {
        lines.push(format!("template {t:?}"));
    }
    for j in store.list_jenis(unit, true).await.unwrap() {
        lines.push(format!("jenis {j:?}"));
    }
    for k in store.list_kiosks(unit).await.unwrap() {
        lines.push(format!("kiosk {k:?}"));
    }
    for t in store.list_api_tokens(unit).await.unwrap() {
        // Not `last_used_at`: the caller's own token is used by the API requests.
        lines.push(format!("token {} {} {:?} {:?}", t.id, t.name, t.scopes, t.revoked_at));
    }
    for u in store.list_unit_users(unit).await.unwrap() {
        lines.push(format!(
            "user {} {} active={} must_change={} hash={} roles={:?}",
            u.id, u.username, u.active, u.must_change_password, u.password_hash, u.roles
        ));
    }
    for p in store.follow_up_plans(unit, "2026-S2").await.unwrap() {
        lines.push(format!("follow_up {p:?}"));
    }
    for e in store.list_audit(unit, 10_000, 0).await.unwrap() {
        lines.push(format!("audit {e:?}"));
    }
    lines
}

/// Tables whose row count any refused action must leave alone.
pub(super) const COUNTED: &[&str] = &[
    "complaints",
    "complaint_events",
    "complaint_messages",
    "attachments",
    "outbox",
    "survey_invites",
    "survey_responses",
    "survey_periods",
    "survey_populations",
    "report_versions",
    "follow_up_plans",
    "answer_templates",
    "jenis_pengaduan",
    "kiosks",
    "api_tokens",
    "users",
    "user_roles",
    "audit_log",
];

pub(super) async fn table_counts(url: &str) -> Vec<String> {
    let mut lines = Vec::new();
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for t in COUNTED {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            lines.push(format!("rows {t} {n}"));
        }
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        for t in COUNTED {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            lines.push(format!("rows {t} {n}"));
        }
        pool.close().await;
    }
    lines
}

/// Fails with the lines that appeared and disappeared.
pub(super) fn assert_same(what: &str, before: &[String], after: &[String]) {
    let before_set: BTreeSet<&String> = before.iter().collect();
    let after_set: BTreeSet<&String> = after.iter().collect();
    let gone: Vec<_> = before_set.difference(&after_set).collect();
    let new: Vec<_> = after_set.difference(&before_set).collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "{what} changed:\n  before: {gone:#?}\n  after: {new:#?}"
    );
}
