//! The month's figures read only the complaints their 12-month trend can count
//! (issue 18): those received or closed since the trend's first month, and those
//! still open. For every month from half a year inside the demo's data to a year
//! past its end (where most complaints closed before the trend begins), the
//! figures equal those computed from every complaint of the unit. On both databases.

use chrono::{Datelike, NaiveDate};
use tanggap::reporting::period::Period;
use tanggap_tests::{TestDb, on_both_databases, small_demo};

on_both_databases!(
    the_trend_reads_only_the_complaints_it_can_count,
    |db: TestDb| async move {
        let store = db.store.as_ref();
        tanggap::demo::load_demo(store, &small_demo()).await.unwrap();
        let unit = store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
        let every = store.complaint_fact_columns(Some(unit.id), None).await.unwrap();
        assert!(every.id.len() > 50, "{} complaints", every.id.len());
        let mut sla = store.report_sla_targets(unit.id).await.unwrap();
        if sla.is_empty() {
            sla = analytics::SlaTarget::defaults();
        }
        let mut fewer = 0;
        let mut day = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        while day <= NaiveDate::from_ymd_opt(2027, 12, 1).unwrap() {
            let month = Period::month_of(day);
            let as_of = month.to();
            let (stats, trend) = tanggap::reporting::monthly_figures(store, &unit, month, as_of)
                .await
                .unwrap();
            // The same figures from every complaint the unit has.
            let mut start = month;
            for _ in 0..11 {
                start = start.previous();
            }
            let holidays = store
                .days_off(
                    unit.id,
                    start.from() - chrono::Duration::days(31),
                    as_of + chrono::Duration::days(400),
                )
                .await
                .unwrap();
            let frame = every.clone().into_frame().unwrap();
            let (want_stats, want_trend) = tanggap::reporting::monthly_stats(
                &frame,
                month,
                as_of,
                &holidays,
                &sla,
                std::slice::from_ref(&unit.code),
            )
            .unwrap();
            assert_eq!(stats, want_stats, "{day}");
            assert_eq!(
                serde_json::to_value(&trend).unwrap(),
                serde_json::to_value(&want_trend).unwrap(),
                "{day}"
            );
            let since = chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(
                (start.from() - chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap(),
                chrono::Utc,
            );
            let read = store.complaint_fact_columns(Some(unit.id), Some(since)).await.unwrap();
            if read.id.len() < every.id.len() {
                fewer += 1;
            }
            day = (day + chrono::Duration::days(32)).with_day(1).unwrap();
        }
        // The window did leave complaints out, and the figures still agree: the test
        // compares two different readings, not one with itself.
        assert!(fewer >= 6, "the window dropped complaints in only {fewer} months");
    }
);

/// A time the database holds in a form it cannot read as a time (a row edited by
/// hand) makes the read fail and name it, rather than drop the complaint's date.
#[tokio::test]
async fn an_unreadable_time_is_an_error_not_a_missing_date() {
    let db = TestDb::sqlite().await;
    let store = db.store.as_ref();
    tanggap::demo::load_demo(store, &small_demo()).await.unwrap();
    let unit = store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
    assert!(store.complaint_fact_columns(Some(unit.id), None).await.is_ok());
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE complaints SET closed_at = 'kemarin sore' WHERE id = (SELECT MIN(id) FROM complaints WHERE unit_id = $1)")
        .bind(unit.id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = store.complaint_fact_columns(Some(unit.id), None).await.unwrap_err();
    assert!(err.to_string().contains("kemarin sore"), "{err}");
}
