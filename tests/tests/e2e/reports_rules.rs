//! The SKM report grades a period under the rule set of its survey period (issue 9):
//! a period run under KepMenPAN 25/2004 names that rule set, lists its 14 elements and
//! grades with its table B; a period with no survey period set up uses the default
//! rule set (PermenPAN-RB 14/2017, table A). On both databases.

use chrono::NaiveDate;
use tanggap::domain::SurveySource;
use tanggap::storage::model::*;
use tanggap::storage::survey_admin::NewSurveyPeriod;
use tanggap_tests::{TestDb, on_both_databases};

use crate::survey::fixture;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

on_both_databases!(skm_report_uses_the_rule_set_of_its_period, |db: TestDb| async move {
    let f = fixture(db).await;
    let rule_sets = f.app.store.survey_rule_sets().await.unwrap();
    let legacy = rule_sets.iter().find(|r| r.code == "kepmenpan-25-2004").unwrap();
    let current = rule_sets.iter().find(|r| r.is_default).unwrap();
    assert_eq!(legacy.elements.len(), 14);
    // Every answer 3: IKM 3,0000 and konversi 75,00, which is B (62,51-81,25) under
    // table B but C (65,00-76,60) under table A.
    let intake = |rule: &SurveyRuleSet, day: NaiveDate| SurveyIntake {
        response: NewSurveyResponse {
            unit_id: f.unit_id,
            service_id: Some(f.ktp),
            rule_set_id: rule.id,
            responded_on: day,
            source: SurveySource::Web,
            import_key: None,
            scores: rule.elements.iter().map(|e| (e.key.clone(), 3)).collect(),
            profile: RespondentProfile::default(),
            saran: None,
        },
        kiosk_id: None,
        entered_by: None,
    };
    let mut batch = Vec::new();
    for i in 0..6 {
        batch.push(intake(legacy, d(2010, 2, 1 + i)));
        batch.push(intake(current, d(2026, 2, 1 + i)));
    }
    f.app.store.record_survey_batch(&batch).await.unwrap();
    f.app
        .store
        .create_survey_period(
            f.unit_id,
            &NewSurveyPeriod {
                name: "Semester I 2010".into(),
                starts_on: d(2010, 1, 1),
                ends_on: d(2010, 6, 30),
                rule_set_id: legacy.id,
                target_responses: None,
            },
        )
        .await
        .unwrap();
    let unit = f.app.store.unit_by_code("dinsos-uji").await.unwrap().unwrap();
    let labels = tanggap::reporting::labels(tanggap::i18n::Lang::Id);
    let report = |key: &'static str, as_of: NaiveDate| {
        let store = f.app.store.clone();
        let unit = unit.clone();
        async move {
            tanggap::reporting::skm_report(
                store.as_ref(),
                &unit,
                tanggap::reporting::SkmOptions {
                    period: tanggap::reporting::period::Period::parse_skm(key).unwrap(),
                    as_of,
                    note: String::new(),
                    approval: reports::Approval::default(),
                    lang: tanggap::i18n::Lang::Id,
                },
            )
            .await
            .unwrap()
        }
    };

    // The 2010 period was run under KepMenPAN 25/2004 (found by its days).
    let old = report("2010-S1", d(2010, 7, 5)).await;
    assert_eq!(old.overall.rule_set_name, "KepMenPAN 25/2004");
    assert_eq!(old.overall.elements.len(), 14);
    assert_eq!(old.overall.respondents, 6, "only that rule set's responses");
    let index = old.overall.groups[0].index.clone().unwrap();
    assert_eq!(index.konversi, 75.0);
    assert_eq!(index.mutu, analytics::Mutu::B, "graded with table B");
    let html = old.html(&labels).unwrap();
    assert!(
        html.contains("kuesioner KepMenPAN 25/2004 dengan 14 unsur"),
        "the rule set is named"
    );
    assert!(html.contains("KEP/25/M.PAN/2/2004"), "and cited");
    assert!(html.contains("Keamanan pelayanan"), "the 14th element is listed");
    assert!(html.contains("B (Baik)"));

    // 2026-S1 has no survey period: the default rule set and table A.
    let new = report("2026-S1", d(2026, 7, 5)).await;
    assert_eq!(new.overall.rule_set_name, "PermenPAN-RB 14/2017");
    assert_eq!(new.overall.elements.len(), 9);
    assert_eq!(new.overall.respondents, 6);
    let index = new.overall.groups[0].index.clone().unwrap();
    assert_eq!(index.konversi, 75.0);
    assert_eq!(index.mutu, analytics::Mutu::C, "graded with table A");
    let html = new.html(&labels).unwrap();
    assert!(html.contains("kuesioner PermenPAN-RB 14/2017 dengan 9 unsur"));
    assert!(html.contains("C (Kurang Baik)"));
});
