//! The survey import's typed columns (issue 18): each data row's cells go straight
//! into columns (the day as an epoch day, the service as its id, each score as one
//! byte with 0 = unanswered, the profile as codes, umur as u16) and a problem mask.
//! A chunk of rows is then judged in bulk: rows whose mask is clear are kept, the
//! others are worded, with their spreadsheet row and the same reasons, in the same
//! order of precedence, as the row-by-row check gave. Text is looked up once per
//! distinct value (units, services, profile answers), never copied per cell.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use super::{Columns, RejectedRow, parse_cell_date, unescape_cell};
use crate::i18n::{Lang, t, tf};
use crate::storage::model::{NewSurveyResponse, RespondentProfile, Service, SurveyRuleSet, Unit};
use crate::survey::form::{PEKERJAAN, PENDIDIKAN};
use crate::survey::interchange::normalize;

/// Rows judged together.
const CHUNK: usize = 4096;

/// One cell as a reader gives it: borrowed text or a typed value, never a `String`
/// made per cell.
#[derive(Debug, Clone)]
pub(crate) enum Cell<'a> {
    /// Nothing.
    Empty,
    /// Text as the file holds it (trimmed and cleaned when read).
    Text(&'a str),
    /// Text the reader already owned (an inline XLSX string, an error code).
    Owned(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// A yes/no cell.
    Bool(bool),
    /// A spreadsheet date and time.
    DateTime(chrono::NaiveDateTime),
    /// A date.
    Day(NaiveDate),
}

impl Cell<'_> {
    /// The text the row-wise import read for this cell: trimmed, without control
    /// characters, whole numbers without ".0", dates as ISO text.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(t) => crate::lapor::read::clean_text(t),
            Cell::Owned(t) => crate::lapor::read::clean_text(t),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Cow::Owned(format!("{}", *f as i64)),
            Cell::Float(f) => Cow::Owned(f.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if *b { "ya" } else { "tidak" }),
            Cell::DateTime(d) => Cow::Owned(d.format("%Y-%m-%dT%H:%M:%S").to_string()),
            Cell::Day(d) => Cow::Owned(d.to_string()),
        }
    }

    /// The day of a date cell.
    fn date(&self) -> Option<NaiveDate> {
        match self {
            Cell::DateTime(d) => Some(d.date()),
            Cell::Day(d) => Some(*d),
            other => parse_cell_date(&other.text()),
        }
    }

    /// A score cell: 0 when empty, 1-4, or `Err` (as `form::parse_score` reads the
    /// cell's text).
    #[inline]
    fn score(&self) -> Result<u8, ()> {
        match self {
            Cell::Empty => Ok(0),
            Cell::Text(t) => match t.as_bytes() {
                [d @ b'1'..=b'4'] => Ok(d - b'0'),
                _ => text_score(&self.text()),
            },
            Cell::Int(i @ 1..=4) => Ok(*i as u8),
            Cell::Float(f) if f.fract() == 0.0 && (1.0..=4.0).contains(f) => Ok(*f as u8),
            other => text_score(&other.text()),
        }
    }
}

fn text_score(text: &str) -> Result<u8, ()> {
    match crate::survey::form::parse_score(text) {
        Ok(Some(n)) => Ok(n as u8),
        Ok(None) => Ok(0),
        Err(_) => Err(()),
    }
}

/// Problem bits of a row, in the order the reasons take precedence.
const BAD_DATE: u8 = 1;
const FUTURE: u8 = 2;
const OTHER_UNIT: u8 = 4;
const UNKNOWN_SERVICE: u8 = 8;
const BAD_SCORE: u8 = 16;
const NO_SCORES: u8 = 32;
const BAD_PROFILE: u8 = 64;

/// Profile fields in the order their errors are listed.
const PROFILE: [&str; 4] = ["jenis_kelamin", "umur", "pendidikan", "pekerjaan"];

/// What a rejected row's reason quotes, kept only for rows with a problem.
#[derive(Default)]
struct Quoted {
    date: String,
    unit: String,
    service: String,
    /// (element slot, cell) of each bad score, in file order.
    scores: Vec<(usize, String)>,
    /// Message keys of the profile's errors, in field order.
    profile: Vec<&'static str>,
}

/// The accepted rows of a file, column by column, in file order.
#[derive(Default)]
pub(crate) struct Accepted {
    /// Spreadsheet row of each.
    pub rows: Vec<u64>,
    days: Vec<NaiveDate>,
    services: Vec<Option<i64>>,
    /// `rows × elements` in the file's element order, 0 = unanswered.
    scores: Vec<u8>,
    /// Codes: jenis kelamin (1 L, 2 P), pendidikan and pekerjaan (index + 1), 0 none.
    profile: Vec<[u8; 3]>,
    /// Years, 0 = none.
    umur: Vec<u16>,
    saran: Vec<Option<Box<str>>>,
}

impl Accepted {
    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }
}

/// A profile answer read once per distinct text: its code, or the error's key.
type ProfileCode = Result<u16, &'static str>;

/// Reads the cells of a file's data rows into typed columns and judges them.
pub(crate) struct Checker<'c> {
    unit: &'c Unit,
    unit_names: [String; 3],
    services: &'c [Service],
    rule_set: &'c SurveyRuleSet,
    pub(crate) columns: Columns,
    today: NaiveDate,
    lang: Lang,
    service_ids: HashMap<String, Option<Option<i64>>>,
    units: HashMap<String, bool>,
    profile_codes: [HashMap<String, ProfileCode>; 4],
    last_date: Option<(String, Option<NaiveDate>)>,
    // The chunk being read.
    chunk_rows: Vec<u64>,
    days: Vec<Option<NaiveDate>>,
    services_of: Vec<Option<i64>>,
    scores: Vec<u8>,
    problems: Vec<u8>,
    profile: Vec<[u16; 4]>,
    saran: Vec<Option<Box<str>>>,
    quoted: HashMap<usize, Quoted>,
    /// Rows kept so far.
    pub(crate) accepted: Accepted,
    /// Rows refused so far.
    pub(crate) rejected: Vec<RejectedRow>,
}

impl<'c> Checker<'c> {
    pub(crate) fn new(
        unit: &'c Unit,
        services: &'c [Service],
        rule_set: &'c SurveyRuleSet,
        columns: Columns,
        today: NaiveDate,
        lang: Lang,
    ) -> Self {
        Checker {
            unit,
            unit_names: [
                normalize(&unit.code),
                normalize(&unit.name),
                normalize(&unit.short_name),
            ],
            services,
            rule_set,
            columns,
            today,
            lang,
            service_ids: HashMap::new(),
            units: HashMap::new(),
            profile_codes: Default::default(),
            last_date: None,
            chunk_rows: Vec::new(),
            days: Vec::new(),
            services_of: Vec::new(),
            scores: Vec::new(),
            problems: Vec::new(),
            profile: Vec::new(),
            saran: Vec::new(),
            quoted: HashMap::new(),
            accepted: Accepted::default(),
            rejected: Vec::new(),
        }
    }

    /// Reads one data row: `cell(column)` gives the cell of a file column.
    pub(crate) fn push<'r>(&mut self, row: u64, cell: impl Fn(usize) -> Cell<'r>) {
        let (date_col, unit_col, service_col) = (self.columns.date, self.columns.unit, self.columns.service);
        let at = self.chunk_rows.len();
        self.chunk_rows.push(row);
        let mut problem = 0u8;
        let mut quoted = Quoted::default();

        let date_cell = cell(date_col);
        let day = match &date_cell {
            Cell::Text(t) => {
                // Files list many rows of one day: parse a date text once.
                match &self.last_date {
                    Some((text, day)) if text == t => *day,
                    _ => {
                        let day = date_cell.date();
                        self.last_date = Some(((*t).to_owned(), day));
                        day
                    }
                }
            }
            other => other.date(),
        };
        if day.is_none() {
            problem |= BAD_DATE;
            quoted.date = date_cell.text().into_owned();
        }
        self.days.push(day);

        if let Some(col) = unit_col {
            let c = cell(col);
            let named = c.text();
            if !named.is_empty() {
                let ok = match self.units.get(named.as_ref()) {
                    Some(ok) => *ok,
                    None => {
                        let ok = self.unit_names.contains(&normalize(&named));
                        self.units.insert(named.clone().into_owned(), ok);
                        ok
                    }
                };
                if !ok {
                    problem |= OTHER_UNIT;
                    quoted.unit = named.into_owned();
                }
            }
        }

        let service = match service_col.map(&cell) {
            None => None,
            Some(c) => {
                let named = c.text();
                if named.is_empty() {
                    None
                } else {
                    let id = match self.service_ids.get(named.as_ref()) {
                        Some(id) => *id,
                        None => {
                            let n = normalize(unescape_cell(&named));
                            let id = self
                                .services
                                .iter()
                                .find(|s| normalize(&s.code) == n || normalize(&s.name) == n)
                                .map(|s| Some(s.id));
                            self.service_ids.insert(named.clone().into_owned(), id);
                            id
                        }
                    };
                    if id.is_none() {
                        problem |= UNKNOWN_SERVICE;
                        quoted.service = named.into_owned();
                    }
                    id.flatten()
                }
            }
        };
        self.services_of.push(service);

        for slot in 0..self.columns.elements.len() {
            let c = cell(self.columns.elements[slot].1);
            match c.score() {
                Ok(v) => self.scores.push(v),
                Err(()) => {
                    self.scores.push(0);
                    problem |= BAD_SCORE;
                    quoted.scores.push((slot, c.text().into_owned()));
                }
            }
        }

        let mut codes = [0u16; 4];
        for (i, field) in PROFILE.iter().enumerate() {
            let Some(col) = self.columns.profile.get(field).copied() else {
                continue;
            };
            let c = cell(col);
            let text = c.text();
            if text.is_empty() {
                continue;
            }
            let code = match self.profile_codes[i].get(text.as_ref()) {
                Some(code) => *code,
                None => {
                    let code = profile_code(field, unescape_cell(&text));
                    self.profile_codes[i].insert(text.clone().into_owned(), code);
                    code
                }
            };
            match code {
                Ok(code) => codes[i] = code,
                Err(key) => {
                    problem |= BAD_PROFILE;
                    quoted.profile.push(key);
                }
            }
        }
        self.profile.push(codes);
        let saran = self.columns.profile.get("saran").copied().map(|col| {
            let c = cell(col);
            let text = crate::intake::form::clean(unescape_cell(&c.text()));
            if text.chars().count() > crate::survey::form::MAX_SARAN {
                problem |= BAD_PROFILE;
                quoted.profile.push("survey.saran_too_long");
            }
            text
        });
        let saran = saran.filter(|s| !s.is_empty()).map(String::into_boxed_str);
        self.saran.push(saran);

        self.problems.push(problem);
        if problem != 0 {
            self.quoted.insert(at, quoted);
        }
        if self.chunk_rows.len() == CHUNK {
            self.judge();
        }
    }

    /// Judges the rows read since the last call, in bulk: the day after today and no
    /// score at all are found over the columns, then clear rows are kept and the
    /// others worded.
    pub(crate) fn judge(&mut self) {
        let n = self.chunk_rows.len();
        let elements = self.columns.elements.len();
        for (r, problem) in self.problems.iter_mut().enumerate() {
            if self.days[r].is_some_and(|d| d > self.today) {
                *problem |= FUTURE;
            }
            if self.scores[r * elements..(r + 1) * elements].iter().all(|s| *s == 0) {
                *problem |= NO_SCORES;
            }
        }
        for r in 0..n {
            let problem = self.problems[r];
            if problem == 0 {
                let a = &mut self.accepted;
                a.rows.push(self.chunk_rows[r]);
                a.days.push(self.days[r].expect("checked"));
                a.services.push(self.services_of[r]);
                a.scores
                    .extend_from_slice(&self.scores[r * elements..(r + 1) * elements]);
                let p = self.profile[r];
                a.profile.push([p[0] as u8, p[2] as u8, p[3] as u8]);
                a.umur.push(p[1]);
                a.saran.push(self.saran[r].take());
                continue;
            }
            let quoted = self.quoted.remove(&r).unwrap_or_default();
            let reason = self.reason(problem, self.days[r], quoted);
            self.rejected.push(RejectedRow {
                row: self.chunk_rows[r],
                reason,
            });
        }
        self.chunk_rows.clear();
        self.days.clear();
        self.services_of.clear();
        self.scores.clear();
        self.problems.clear();
        self.profile.clear();
        self.saran.clear();
        self.quoted.clear();
    }

    /// The reason of the first problem, worded as the row-by-row check worded it.
    fn reason(&self, problem: u8, day: Option<NaiveDate>, quoted: Quoted) -> String {
        let lang = self.lang;
        if problem & BAD_DATE != 0 {
            return tf(lang, "survey_import.bad_date", &[("value", &quoted.date)]);
        }
        if problem & FUTURE != 0 {
            let day = day.map(|d| d.to_string()).unwrap_or_default();
            return tf(lang, "survey_import.future_date", &[("value", &day)]);
        }
        if problem & OTHER_UNIT != 0 {
            return tf(lang, "survey_import.other_unit", &[("value", &quoted.unit)]);
        }
        if problem & UNKNOWN_SERVICE != 0 {
            return tf(lang, "survey_import.unknown_service", &[("value", &quoted.service)]);
        }
        if problem & BAD_SCORE != 0 {
            let reasons: Vec<String> = quoted
                .scores
                .iter()
                .map(|(slot, value)| {
                    let key = &self.columns.elements[*slot].0;
                    let code = self
                        .rule_set
                        .elements
                        .iter()
                        .find(|e| e.key == *key)
                        .map(|e| e.code.clone())
                        .unwrap_or_default();
                    tf(lang, "survey_import.bad_score", &[("element", &code), ("value", value)])
                })
                .collect();
            return reasons.join("; ");
        }
        if problem & NO_SCORES != 0 {
            return t(lang, "survey_import.no_scores").to_owned();
        }
        let reasons: Vec<&str> = quoted.profile.iter().map(|key| t(lang, key)).collect();
        reasons.join("; ")
    }

    /// The response of accepted row `i`, without its import key.
    pub(crate) fn response(&self, i: usize) -> NewSurveyResponse {
        let a = &self.accepted;
        let elements = self.columns.elements.len();
        let scores: BTreeMap<String, i64> = self
            .columns
            .elements
            .iter()
            .zip(&a.scores[i * elements..(i + 1) * elements])
            .filter(|(_, s)| **s > 0)
            .map(|((key, _), s)| (key.clone(), i64::from(*s)))
            .collect();
        let [jk, pendidikan, pekerjaan] = a.profile[i];
        let profile = RespondentProfile {
            jenis_kelamin: match jk {
                1 => Some("L".to_owned()),
                2 => Some("P".to_owned()),
                _ => None,
            },
            umur: (a.umur[i] > 0).then(|| i64::from(a.umur[i])),
            pendidikan: (pendidikan > 0).then(|| PENDIDIKAN[pendidikan as usize - 1].to_owned()),
            pekerjaan: (pekerjaan > 0).then(|| PEKERJAAN[pekerjaan as usize - 1].0.to_owned()),
        };
        NewSurveyResponse {
            unit_id: self.unit.id,
            service_id: a.services[i],
            rule_set_id: self.rule_set.id,
            responded_on: a.days[i],
            source: crate::domain::SurveySource::Import,
            import_key: None,
            scores,
            profile,
            saran: a.saran[i].as_deref().map(str::to_owned),
        }
    }
}

/// The code of one profile answer (`text` as the file holds it, not empty), read by
/// the web form's own rules so the import and the form never disagree.
fn profile_code(field: &str, text: &str) -> ProfileCode {
    let mut errors = Vec::new();
    let get = |f: &str| if f == field { text.to_owned() } else { String::new() };
    let (profile, _) = crate::survey::form::parse_profile(&get, "", &mut errors);
    if let Some(e) = errors.first() {
        return Err(e.message);
    }
    let code = match field {
        "jenis_kelamin" => match profile.jenis_kelamin.as_deref() {
            Some("L") => 1,
            Some("P") => 2,
            _ => 0,
        },
        "umur" => profile.umur.and_then(|u| u16::try_from(u).ok()).unwrap_or(0),
        "pendidikan" => profile
            .pendidikan
            .and_then(|p| PENDIDIKAN.iter().position(|q| *q == p))
            .map_or(0, |i| i as u16 + 1),
        _ => profile
            .pekerjaan
            .and_then(|p| PEKERJAAN.iter().position(|(q, _)| *q == p))
            .map_or(0, |i| i as u16 + 1),
    };
    Ok(code)
}

/// Gives each response its import key, in file order: a digest of everything stored
/// about it plus the number of identical rows before it in the same file.
#[derive(Default)]
pub(crate) struct ImportKeys {
    seen: HashMap<[u8; 16], usize>,
}

impl ImportKeys {
    /// Sets the import key of the next response of the file.
    pub(crate) fn assign(&mut self, r: &mut NewSurveyResponse) {
        let head = super::import_digest(r);
        let occurrence = self.seen.entry(head).or_insert(0);
        r.import_key = Some(format!("impor:{}#{occurrence}", hex::encode(head)));
        *occurrence += 1;
    }
}
