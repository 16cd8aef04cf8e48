//! Issue 20, SKM report method text: the collection methods BAB II names are the
//! sources the period's responses actually came from, counted in the database
//! (`survey_source_counts`, from the per-day source counts the writes keep); the
//! questionnaire of Lampiran 1 comes from the period's rule set; the trend compares
//! each period with the one before it. On both databases.

use chrono::NaiveDate;
use tanggap::domain::SurveySource;
use tanggap::storage::model::*;
use tanggap_tests::{TestDb, on_both_databases, test_unit};

use crate::survey::fixture;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// One response giving every element of `rule` the same score.
fn response(
    unit_id: i64,
    service_id: Option<i64>,
    rule: &SurveyRuleSet,
    day: NaiveDate,
    source: SurveySource,
    score: i64,
) -> SurveyIntake {
    SurveyIntake {
        response: NewSurveyResponse {
            unit_id,
            service_id,
            rule_set_id: rule.id,
            responded_on: day,
            source,
            import_key: None,
            scores: rule.elements.iter().map(|e| (e.key.clone(), score)).collect(),
            profile: RespondentProfile::default(),
            saran: None,
        },
        kiosk_id: None,
        entered_by: None,
    }
}

/// The SKM report of Semester I 2026, made on 5 July 2026, in Indonesian.
async fn semester_i_2026(store: &dyn tanggap::storage::Store, unit: &Unit) -> reports::SkmReport {
    tanggap::reporting::skm_report(
        store,
        unit,
        tanggap::reporting::SkmOptions {
            period: tanggap::reporting::period::Period::parse_skm("2026-S1").unwrap(),
            as_of: d(2026, 7, 5),
            note: String::new(),
            approval: reports::Approval::default(),
            lang: tanggap::i18n::Lang::Id,
        },
    )
    .await
    .unwrap()
}

on_both_databases!(
    skm_report_names_the_sources_its_responses_came_from,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let rule_sets = store.survey_rule_sets().await.unwrap();
        let current = rule_sets.iter().find(|r| r.is_default).unwrap();
        let legacy = rule_sets.iter().find(|r| r.code == "kepmenpan-25-2004").unwrap();
        let other_unit = store.create_unit(&test_unit("unit-lain")).await.unwrap();
        let intake = |unit_id: i64, rule: &SurveyRuleSet, day: NaiveDate, source: SurveySource, score: i64| {
            let service = (unit_id == f.unit_id).then_some(f.ktp);
            response(unit_id, service, rule, day, source, score)
        };
        let u = f.unit_id;
        let batch = vec![
            // Semester I 2026 under the default rule set: 3 web, 2 kiosk, 1 paper.
            intake(u, current, d(2026, 1, 1), SurveySource::Web, 3),
            intake(u, current, d(2026, 2, 10), SurveySource::Web, 3),
            intake(u, current, d(2026, 6, 30), SurveySource::Web, 3),
            intake(u, current, d(2026, 3, 3), SurveySource::Kiosk, 3),
            intake(u, current, d(2026, 3, 4), SurveySource::Kiosk, 3),
            intake(u, current, d(2026, 4, 5), SurveySource::Paper, 3),
            // Not counted: the semester before (the trend's previous period), the day
            // after, another rule set, another unit.
            intake(u, current, d(2025, 12, 31), SurveySource::Import, 2),
            intake(u, current, d(2025, 11, 2), SurveySource::Import, 2),
            intake(u, current, d(2026, 7, 1), SurveySource::Kiosk, 3),
            intake(u, legacy, d(2026, 2, 2), SurveySource::Paper, 3),
            intake(other_unit, current, d(2026, 2, 2), SurveySource::Qr, 3),
        ];
        store.record_survey_batch(&batch).await.unwrap();

        let counts = store
            .survey_source_counts(u, &current.code, d(2026, 1, 1), d(2026, 6, 30))
            .await
            .unwrap();
        assert_eq!(
            counts,
            vec![
                ("kiosk".to_string(), 2),
                ("paper".to_string(), 1),
                ("web".to_string(), 3)
            ]
        );
        let before = store
            .survey_source_counts(u, &current.code, d(2025, 7, 1), d(2025, 12, 31))
            .await
            .unwrap();
        assert_eq!(before, vec![("import".to_string(), 2)]);
        let none = store
            .survey_source_counts(u, &current.code, d(2024, 1, 1), d(2024, 12, 31))
            .await
            .unwrap();
        assert!(none.is_empty());

        let unit = store.unit_by_code("dinsos-uji").await.unwrap().unwrap();
        let report = semester_i_2026(store.as_ref(), &unit).await;
        // The sources add up to the report's respondents.
        let total: u64 = report.sources.iter().map(|s| s.responses).sum();
        assert_eq!(total, report.overall.respondents);
        assert_eq!(total, 6);
        let labels = tanggap::reporting::labels(tanggap::i18n::Lang::Id);
        let html = report.html(&labels).unwrap();
        let named: Vec<(&str, u64)> = report
            .sources
            .iter()
            .map(|s| (s.source.as_str(), s.responses))
            .collect();
        assert_eq!(named, [("kiosk", 2), ("paper", 1), ("web", 3)]);
        // BAB II names them with their counts, largest first.
        let sentence = "diisi melalui: formulir daring (situs web) 3 responden; kios layanan 2 responden; formulir \
                        kertas (dimasukkan petugas) 1 responden.";
        assert!(html.contains(sentence), "BAB II names the sources with counts");
        // Lampiran 1 is the period rule set's questionnaire.
        assert_eq!(report.questionnaire, analytics::RuleSet::permenpan_14_2017().elements);
        assert!(html.contains("Kesesuaian persyaratan pelayanan dengan jenis pelayanannya"));
        assert!(html.contains("Dikelola dengan baik"));
        // The trend compares Semester I 2026 (75,00) with Semester II 2025 (50,00).
        let last = report.trend.groups.last().unwrap();
        let change = last.previous.as_ref().unwrap();
        assert_eq!(change.previous_respondents, 2);
        assert_eq!(change.change, Some(25.0));
        assert_eq!(change.exceeds_noise, Some(true));
    }
);

on_both_databases!(
    the_first_row_of_the_printed_trend_has_its_change,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let rule_sets = store.survey_rule_sets().await.unwrap();
        let current = rule_sets.iter().find(|r| r.is_default).unwrap();
        let intake =
            |day: NaiveDate, score: i64| response(f.unit_id, Some(f.ktp), current, day, SurveySource::Paper, score);
        // The report of Semester I 2026 trends back seven semesters, to Semester II
        // 2022; its change needs Semester I 2022, the period before the trend's first.
        store
            .record_survey_batch(&[
                intake(d(2022, 3, 1), 2),
                intake(d(2022, 6, 30), 2),
                intake(d(2022, 7, 1), 3),
                intake(d(2022, 9, 9), 3),
                intake(d(2022, 12, 31), 3),
                intake(d(2026, 2, 2), 4),
            ])
            .await
            .unwrap();
        let unit = store.unit_by_code("dinsos-uji").await.unwrap().unwrap();
        let report = semester_i_2026(store.as_ref(), &unit).await;
        let first = report.trend.groups.first().expect("a trend row");
        let label: String = first.key.iter().filter_map(|k| k.value.clone()).collect();
        assert_eq!(first.respondents, 3, "{label}");
        let labels = tanggap::reporting::labels(tanggap::i18n::Lang::Id);

        // The printed PDF: the first row of Tabel 4 is Semester II 2022 (75,00) with
        // its change of 25,00 against Semester I 2022 (50,00), larger than the noise.
        if let Some(lines) = crate::complaint_fidelity::pdf_lines(&report.pdf(&labels).unwrap()) {
            let table = lines
                .iter()
                .position(|l| l.contains("Tabel 4. Nilai IKM per periode"))
                .unwrap_or_else(|| panic!("no trend table:\n{}", lines.join("\n")));
            let row = lines[table..]
                .iter()
                .find(|l| l.starts_with(&label))
                .unwrap_or_else(|| panic!("no row {label:?}:\n{}", lines[table..].join("\n")));
            assert!(row.starts_with(&format!("{label} 3 75,00")), "{row}");
            assert!(row.contains(" 25,00 "), "the first row shows its change: {row}");
            assert!(row.ends_with("Ya"), "and that it exceeds the noise: {row}");
        }
        // The XLSX sheet says the same.
        let range = crate::complaint_fidelity::sheet(&report.xlsx(&labels).unwrap(), "Tren IKM");
        let row = crate::complaint_fidelity::xlsx_row(&range, &label);
        assert_eq!(row[1..5].join(" "), "3 75 C 25", "{row:?}");
        assert_eq!(row.last().map(String::as_str), Some("Ya"), "{row:?}");
    }
);
