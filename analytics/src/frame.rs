//! The input frames and the plain-vector builders the server uses to make them.
//!
//! The server loads rows from its database into [`SurveyColumns`],
//! [`ComplaintColumns`] and [`EventColumns`] (plain `Vec`s) and turns them into the
//! validated frames the computations take, so polars stays inside this crate. A
//! caller that already has a polars `DataFrame` in the documented layout can use the
//! `from_dataframe` constructors instead.

use chrono::{DateTime, NaiveDate, Utc};
use polars_core::prelude::*;

use crate::calendar::to_epoch_days;
use crate::error::{AnalyticsError, Result};

/// Name of the unit column in survey and complaint frames.
pub const COL_UNIT: &str = "unit";
/// Name of the service column in survey and complaint frames.
pub const COL_SERVICE: &str = "service";
/// Name of the response date column of a survey frame.
pub const COL_DATE: &str = "date";
/// Name of the optional integer age column of a survey frame.
pub const COL_UMUR: &str = "umur";
/// Name of the age band column, filled from `umur` by the builder when absent.
pub const COL_UMUR_KELOMPOK: &str = "umur_kelompok";

/// Age band for an age in years, so reports can group respondents by age without
/// publishing ages: `<20`, `20-29`, `30-39`, `40-49`, `50-59`, `60+`.
pub fn age_band(age: u32) -> &'static str {
    match age {
        0..=19 => "<20",
        20..=29 => "20-29",
        30..=39 => "30-39",
        40..=49 => "40-49",
        50..=59 => "50-59",
        _ => "60+",
    }
}

fn check_len(column: &str, found: usize, expected: usize) -> Result<()> {
    if found != expected {
        return Err(AnalyticsError::LengthMismatch {
            column: column.to_string(),
            found,
            expected,
        });
    }
    Ok(())
}

fn date_series(name: &str, dates: impl Iterator<Item = Option<NaiveDate>>) -> Series {
    let v: Vec<Option<i32>> = dates.map(|d| d.map(to_epoch_days)).collect();
    Series::new(name.into(), v).into_date()
}

fn require(df: &DataFrame, name: &str, expected: &DataType, nullable: bool) -> Result<()> {
    let col = df
        .column(name)
        .map_err(|_| AnalyticsError::MissingColumn(name.to_string()))?;
    if col.dtype() != expected {
        return Err(AnalyticsError::WrongType {
            column: name.to_string(),
            found: col.dtype().to_string(),
            expected: expected.to_string(),
        });
    }
    if !nullable && col.null_count() > 0 {
        return Err(AnalyticsError::InvalidQuery(format!(
            "kolom '{name}' tidak boleh kosong"
        )));
    }
    Ok(())
}

/// One respondent, for [`SurveyColumns::push`].
#[derive(Debug, Clone)]
pub struct SurveyRow<'a> {
    /// Unit name or code.
    pub unit: &'a str,
    /// Service (jenis layanan) name or code.
    pub service: &'a str,
    /// Response date in the unit's local calendar.
    pub date: NaiveDate,
    /// Scores 1–4 (`None` = not answered), in the order of the builder's element keys.
    pub scores: &'a [Option<u8>],
    /// Profile answers, in the order of the builder's profile names.
    pub profile: &'a [Option<&'a str>],
    /// Age in years, if the form asked for it; bucketed by [`age_band`].
    pub umur: Option<u32>,
}

/// Survey responses as plain column vectors, one entry per respondent.
///
/// Element columns are keyed by the element's stable key (see
/// [`crate::RuleSet::element_keys`]); a frame may carry the elements of several rule
/// sets side by side. Profile columns (`jenis_kelamin`, `umur_kelompok`,
/// `pendidikan`, `pekerjaan`, or any other) are nullable strings.
#[derive(Debug, Clone, Default)]
pub struct SurveyColumns {
    /// Unit of each response.
    pub unit: Vec<String>,
    /// Service of each response.
    pub service: Vec<String>,
    /// Local date of each response.
    pub date: Vec<NaiveDate>,
    /// `(element key, scores)`; scores 1–4 or `None` when unanswered.
    pub scores: Vec<(String, Vec<Option<u8>>)>,
    /// `(profile column name, values)`.
    pub profile: Vec<(String, Vec<Option<String>>)>,
    /// Ages in years, when collected as a number; turned into `umur_kelompok` unless
    /// that column is given too.
    pub umur: Option<Vec<Option<u32>>>,
}

impl SurveyColumns {
    /// An empty builder for the given element keys and profile column names, to be
    /// filled row by row with [`SurveyColumns::push`].
    pub fn new(element_keys: &[&str], profile_names: &[&str]) -> Self {
        SurveyColumns {
            scores: element_keys.iter().map(|k| (k.to_string(), Vec::new())).collect(),
            profile: profile_names.iter().map(|k| (k.to_string(), Vec::new())).collect(),
            ..Default::default()
        }
    }

    /// Appends one respondent. Missing trailing scores or profile values count as
    /// unanswered; extra ones are ignored.
    pub fn push(&mut self, row: SurveyRow<'_>) {
        self.unit.push(row.unit.to_string());
        self.service.push(row.service.to_string());
        self.date.push(row.date);
        for (i, (_, v)) in self.scores.iter_mut().enumerate() {
            v.push(row.scores.get(i).copied().flatten());
        }
        for (i, (_, v)) in self.profile.iter_mut().enumerate() {
            v.push(row.profile.get(i).copied().flatten().map(str::to_string));
        }
        if let Some(age) = row.umur {
            let n = self.unit.len() - 1;
            let ages = self.umur.get_or_insert_with(|| vec![None; n]);
            ages.push(Some(age));
        } else if let Some(ages) = self.umur.as_mut() {
            ages.push(None);
        }
    }

    /// Number of respondents.
    pub fn len(&self) -> usize {
        self.unit.len()
    }

    /// Whether there are no respondents.
    pub fn is_empty(&self) -> bool {
        self.unit.is_empty()
    }

    /// Builds and validates the frame (equal lengths, scores within 1–4).
    pub fn into_frame(self) -> Result<SurveyFrame> {
        let n = self.unit.len();
        check_len(COL_SERVICE, self.service.len(), n)?;
        check_len(COL_DATE, self.date.len(), n)?;
        let mut cols: Vec<Column> = Vec::with_capacity(3 + self.scores.len());
        cols.push(Series::new(COL_UNIT.into(), self.unit).into_column());
        cols.push(Series::new(COL_SERVICE.into(), self.service).into_column());
        cols.push(date_series(COL_DATE, self.date.into_iter().map(Some)).into_column());
        for (key, values) in self.scores {
            check_len(&key, values.len(), n)?;
            if let Some(bad) = values.iter().flatten().find(|s| !(1..=4).contains(*s)) {
                return Err(AnalyticsError::ScoreOutOfRange {
                    column: key,
                    value: *bad as i64,
                });
            }
            cols.push(Series::new(key.as_str().into(), values).into_column());
        }
        let has_band = self.profile.iter().any(|(k, _)| k == COL_UMUR_KELOMPOK);
        for (name, values) in self.profile {
            check_len(&name, values.len(), n)?;
            cols.push(Series::new(name.as_str().into(), values).into_column());
        }
        if let Some(ages) = self.umur {
            check_len(COL_UMUR, ages.len(), n)?;
            if !has_band {
                let bands: Vec<Option<&str>> = ages.iter().map(|a| a.map(age_band)).collect();
                cols.push(Series::new(COL_UMUR_KELOMPOK.into(), bands).into_column());
            }
            let ages: Vec<Option<i64>> = ages.iter().map(|a| a.map(i64::from)).collect();
            cols.push(Series::new(COL_UMUR.into(), ages).into_column());
        }
        SurveyFrame::from_dataframe(DataFrame::new(n, cols)?)
    }
}

/// A validated survey frame: one row per respondent, ready for [`crate::ikm`].
///
/// Layout (the input contract): `unit` String, `service` String, `date` Date (all
/// non-null); one integer column per element, named by its key, scores 1–4, null when
/// unanswered (UInt8 from the builder; other integer types are accepted and checked
/// per query); optional nullable String profile columns; optional integer `umur`.
#[derive(Debug, Clone)]
pub struct SurveyFrame {
    pub(crate) df: DataFrame,
}

impl SurveyFrame {
    /// Wraps a polars frame in the documented layout after checking the fixed columns
    /// (element columns are checked by each query against its rule set, because a
    /// frame may carry several rule sets' elements).
    pub fn from_dataframe(mut df: DataFrame) -> Result<Self> {
        require(&df, COL_UNIT, &DataType::String, false)?;
        require(&df, COL_SERVICE, &DataType::String, false)?;
        require(&df, COL_DATE, &DataType::Date, false)?;
        if let Ok(c) = df.column(COL_UMUR)
            && !c.dtype().is_integer()
        {
            return Err(AnalyticsError::WrongType {
                column: COL_UMUR.into(),
                found: c.dtype().to_string(),
                expected: "bilangan bulat".into(),
            });
        }
        df.rechunk_mut_par();
        Ok(SurveyFrame { df })
    }

    /// Number of respondents.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// Whether the frame has no respondents.
    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    /// Column names, for messages and for checking which elements a file carried.
    pub fn column_names(&self) -> Vec<String> {
        self.df.get_column_names().into_iter().map(|s| s.to_string()).collect()
    }

    /// The underlying polars frame (for callers that use polars themselves).
    pub fn as_dataframe(&self) -> &DataFrame {
        &self.df
    }
}

/// Complaints as plain column vectors, one entry per complaint.
#[derive(Debug, Clone, Default)]
pub struct ComplaintColumns {
    /// Complaint id (the server's primary key), for tracing figures back to rows.
    pub id: Vec<i64>,
    /// Unit that received it.
    pub unit: Vec<String>,
    /// Service concerned, when classified.
    pub service: Vec<Option<String>>,
    /// Division (bidang) responsible, when assigned.
    pub division: Vec<Option<String>>,
    /// Intake channel (saluran).
    pub channel: Vec<String>,
    /// Severity: `ringan`, `sedang` or `berat`, when classified.
    pub bobot: Vec<Option<String>>,
    /// Type (jenis pengaduan); an SKM element key when it concerns one.
    pub jenis: Vec<Option<String>>,
    /// Pengaduan / aspirasi / permintaan informasi.
    pub klasifikasi: Vec<String>,
    /// Current status.
    pub status: Vec<String>,
    /// Original received date (local), not the date it was typed in.
    pub received_at: Vec<NaiveDate>,
    /// Date of the first answer to the complainant (local).
    pub first_answer_at: Vec<Option<NaiveDate>>,
    /// Date it was closed (local).
    pub closed_at: Vec<Option<NaiveDate>>,
    /// Due date of the resolution target (local), when the server set one.
    pub due_at: Vec<Option<NaiveDate>>,
}

/// Column names of a complaint frame, in the contract's order.
pub const COMPLAINT_COLUMNS: [&str; 13] = [
    "id",
    "unit",
    "service",
    "division",
    "channel",
    "bobot",
    "jenis",
    "klasifikasi",
    "status",
    "received_at",
    "first_answer_at",
    "closed_at",
    "due_at",
];

impl ComplaintColumns {
    /// Builds and validates the frame (equal lengths).
    pub fn into_frame(self) -> Result<ComplaintFrame> {
        let n = self.id.len();
        let lens = [
            self.unit.len(),
            self.service.len(),
            self.division.len(),
            self.channel.len(),
            self.bobot.len(),
            self.jenis.len(),
            self.klasifikasi.len(),
            self.status.len(),
            self.received_at.len(),
            self.first_answer_at.len(),
            self.closed_at.len(),
            self.due_at.len(),
        ];
        for (name, len) in COMPLAINT_COLUMNS[1..].iter().zip(lens) {
            check_len(name, len, n)?;
        }
        let s = |name: &str, v: Vec<String>| Series::new(name.into(), v).into_column();
        let o = |name: &str, v: Vec<Option<String>>| Series::new(name.into(), v).into_column();
        let cols = vec![
            Series::new("id".into(), self.id).into_column(),
            s("unit", self.unit),
            o("service", self.service),
            o("division", self.division),
            s("channel", self.channel),
            o("bobot", self.bobot),
            o("jenis", self.jenis),
            s("klasifikasi", self.klasifikasi),
            s("status", self.status),
            date_series("received_at", self.received_at.into_iter().map(Some)).into_column(),
            date_series("first_answer_at", self.first_answer_at.into_iter()).into_column(),
            date_series("closed_at", self.closed_at.into_iter()).into_column(),
            date_series("due_at", self.due_at.into_iter()).into_column(),
        ];
        ComplaintFrame::from_dataframe(DataFrame::new(n, cols)?)
    }
}

/// A validated complaint frame, ready for [`crate::complaint_stats`].
///
/// Layout: `id` Int64; `unit`, `channel`, `klasifikasi`, `status` String;
/// `service`, `division`, `bobot`, `jenis` nullable String; `received_at` Date;
/// `first_answer_at`, `closed_at`, `due_at` nullable Date.
#[derive(Debug, Clone)]
pub struct ComplaintFrame {
    pub(crate) df: DataFrame,
}

impl ComplaintFrame {
    /// Wraps a polars frame in the documented layout after checking every column.
    pub fn from_dataframe(mut df: DataFrame) -> Result<Self> {
        require(&df, "id", &DataType::Int64, false)?;
        for c in ["unit", "channel", "klasifikasi", "status"] {
            require(&df, c, &DataType::String, false)?;
        }
        for c in ["service", "division", "bobot", "jenis"] {
            require(&df, c, &DataType::String, true)?;
        }
        require(&df, "received_at", &DataType::Date, false)?;
        for c in ["first_answer_at", "closed_at", "due_at"] {
            require(&df, c, &DataType::Date, true)?;
        }
        df.rechunk_mut();
        Ok(ComplaintFrame { df })
    }

    /// Number of complaints.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// Whether there are no complaints.
    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    /// The underlying polars frame.
    pub fn as_dataframe(&self) -> &DataFrame {
        &self.df
    }
}

/// Control-card events as plain column vectors: each row says a complaint entered a
/// state at a moment.
#[derive(Debug, Clone, Default)]
pub struct EventColumns {
    /// Complaint id.
    pub complaint_id: Vec<i64>,
    /// State entered (diterima, terverifikasi, ...).
    pub state: Vec<String>,
    /// When it was entered (UTC).
    pub at: Vec<DateTime<Utc>>,
}

impl EventColumns {
    /// Builds and validates the frame (equal lengths).
    pub fn into_frame(self) -> Result<EventFrame> {
        let n = self.complaint_id.len();
        check_len("state", self.state.len(), n)?;
        check_len("at", self.at.len(), n)?;
        let at: Vec<i64> = self.at.iter().map(|t| t.timestamp_millis()).collect();
        let cols = vec![
            Series::new("complaint_id".into(), self.complaint_id).into_column(),
            Series::new("state".into(), self.state).into_column(),
            Series::new("at".into(), at)
                .into_datetime(TimeUnit::Milliseconds, None)
                .into_column(),
        ];
        EventFrame::from_dataframe(DataFrame::new(n, cols)?)
    }
}

/// A validated event frame, ready for [`crate::step_durations`].
///
/// Layout: `complaint_id` Int64, `state` String, `at` Datetime (any unit, no zone,
/// UTC), all non-null.
#[derive(Debug, Clone)]
pub struct EventFrame {
    pub(crate) df: DataFrame,
}

impl EventFrame {
    /// Wraps a polars frame in the documented layout after checking every column.
    pub fn from_dataframe(mut df: DataFrame) -> Result<Self> {
        require(&df, "complaint_id", &DataType::Int64, false)?;
        require(&df, "state", &DataType::String, false)?;
        let at = df
            .column("at")
            .map_err(|_| AnalyticsError::MissingColumn("at".into()))?;
        match at.dtype() {
            DataType::Datetime(_, None) if at.null_count() == 0 => {}
            other => {
                return Err(AnalyticsError::WrongType {
                    column: "at".into(),
                    found: other.to_string(),
                    expected: "Datetime tanpa zona, tidak kosong".into(),
                });
            }
        }
        df.rechunk_mut();
        Ok(EventFrame { df })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    /// The underlying polars frame.
    pub fn as_dataframe(&self) -> &DataFrame {
        &self.df
    }
}

// ---- column access helpers shared by the computations ----

/// Values of a String column as `Option<&str>` per row.
pub(crate) fn str_values<'a>(df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>> {
    let ca = df
        .column(name)
        .map_err(|_| AnalyticsError::MissingColumn(name.to_string()))?
        .str()
        .map_err(|_| AnalyticsError::WrongType {
            column: name.to_string(),
            found: df.column(name).map(|c| c.dtype().to_string()).unwrap_or_default(),
            expected: "String".into(),
        })?;
    Ok(ca.iter().collect())
}

/// Physical values (days since 1970-01-01) of a Date column.
pub(crate) fn date_values(df: &DataFrame, name: &str) -> Result<Vec<Option<i32>>> {
    let ca = df
        .column(name)
        .map_err(|_| AnalyticsError::MissingColumn(name.to_string()))?
        .date()?;
    Ok(ca.physical().iter().collect())
}

/// Values of an Int64 column.
pub(crate) fn i64_values(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let ca = df
        .column(name)
        .map_err(|_| AnalyticsError::MissingColumn(name.to_string()))?
        .i64()?;
    Ok(ca.iter().collect())
}

/// Physical values of a Datetime column, in milliseconds since the epoch.
pub(crate) fn datetime_millis(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    let col = df
        .column(name)
        .map_err(|_| AnalyticsError::MissingColumn(name.to_string()))?;
    let ca = col.datetime()?;
    let per_ms: i64 = match ca.time_unit() {
        TimeUnit::Milliseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Nanoseconds => 1_000_000,
    };
    Ok(ca
        .physical()
        .iter()
        .map(|v| v.unwrap_or_default().div_euclid(per_ms))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    #[test]
    fn builder_makes_the_contract_layout() {
        let mut b = SurveyColumns::new(&["waktu", "biaya"], &["jenis_kelamin"]);
        b.push(SurveyRow {
            unit: "Dinsos",
            service: "KIS",
            date: d(1),
            scores: &[Some(4), None],
            profile: &[Some("P")],
            umur: None,
        });
        b.push(SurveyRow {
            unit: "Dinsos",
            service: "KIS",
            date: d(2),
            scores: &[Some(3)],
            profile: &[],
            umur: Some(34),
        });
        let f = b.into_frame().unwrap();
        assert_eq!(f.len(), 2);
        let names = f.column_names();
        for c in ["unit", "service", "date", "waktu", "biaya", "jenis_kelamin", "umur"] {
            assert!(names.iter().any(|n| n == c), "{c}");
        }
        let bands = str_values(&f.df, COL_UMUR_KELOMPOK).unwrap();
        assert_eq!(bands, vec![None, Some("30-39")]);
        assert_eq!(f.df.column("biaya").unwrap().null_count(), 2);
    }

    #[test]
    fn builder_rejects_bad_input_in_indonesian() {
        let mut b = SurveyColumns::new(&["waktu"], &[]);
        b.push(SurveyRow {
            unit: "U",
            service: "S",
            date: d(1),
            scores: &[Some(5)],
            profile: &[],
            umur: None,
        });
        let e = b.into_frame().unwrap_err();
        assert_eq!(e.to_string(), "nilai 5 di kolom 'waktu' di luar skala 1-4");
        let mut c = SurveyColumns::new(&[], &[]);
        c.unit.push("U".into());
        let e = c.into_frame().unwrap_err();
        assert!(matches!(e, AnalyticsError::LengthMismatch { .. }));
    }

    #[test]
    fn age_bands() {
        assert_eq!(age_band(19), "<20");
        assert_eq!(age_band(20), "20-29");
        assert_eq!(age_band(60), "60+");
    }
}
