//! Validation of survey answers at the edge, shared by the public page, the kiosk and
//! the paper-form grid. Errors name a field and a locale key, so each page shows them
//! in the reader's language next to what was typed.

use std::collections::{BTreeMap, HashMap};

use crate::storage::model::{RespondentProfile, SurveyQuestion};

/// Education levels of the respondent profile (SKM.md), stored as written.
pub const PENDIDIKAN: [&str; 7] = ["SD", "SMP", "SMA/SMK", "D1-D3", "D4/S1", "S2", "S3"];

/// Occupation groups of the profile: stored value and the locale key of its label.
pub const PEKERJAAN: [(&str, &str); 6] = [
    ("PNS", "survey.job_pns"),
    ("TNI/Polri", "survey.job_tni"),
    ("Swasta", "survey.job_swasta"),
    ("Wirausaha", "survey.job_wirausaha"),
    ("Pelajar/Mahasiswa", "survey.job_pelajar"),
    ("Lainnya", "survey.job_lainnya"),
];

/// Longest saran kept, in characters.
pub const MAX_SARAN: usize = 2000;

/// A field that failed, and the locale key of the message to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The `id` of the input or fieldset (the error summary links to it).
    pub field: String,
    /// Locale key of the message.
    pub message: &'static str,
}

/// What a respondent gave, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answers {
    /// Score 1-4 per answered element key.
    pub scores: BTreeMap<String, i64>,
    /// The optional profile.
    pub profile: RespondentProfile,
    /// The optional suggestion, trimmed.
    pub saran: Option<String>,
}

/// Name of the form field carrying the answer to a question.
pub fn answer_field(key: &str) -> String {
    format!("q_{key}")
}

/// A typed score that is not 1, 2, 3 or 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAScore;

/// Reads one score: `1`-`4` or nothing.
pub fn parse_score(text: &str) -> Result<Option<i64>, NotAScore> {
    match text.trim() {
        "" => Ok(None),
        t => match t.parse::<i64>() {
            Ok(n @ 1..=4) => Ok(Some(n)),
            _ => Err(NotAScore),
        },
    }
}

/// Validates the profile fields (`jenis_kelamin`, `umur`, `pendidikan`, `pekerjaan`,
/// `saran`) read through `get`; `prefix` goes before field ids in errors.
pub fn parse_profile(
    get: &dyn Fn(&str) -> String,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> (RespondentProfile, Option<String>) {
    let mut error = |field: &str, message| {
        errors.push(FieldError {
            field: format!("{prefix}{field}"),
            message,
        })
    };
    let mut profile = RespondentProfile::default();
    match get("jenis_kelamin").trim().to_uppercase().as_str() {
        "" => {}
        g @ ("L" | "P") => profile.jenis_kelamin = Some(g.to_owned()),
        _ => error("jenis_kelamin", "survey.bad_gender"),
    }
    let umur = get("umur");
    if !umur.trim().is_empty() {
        match umur.trim().parse::<i64>() {
            Ok(n @ 10..=120) => profile.umur = Some(n),
            _ => error("umur", "survey.bad_age"),
        }
    }
    let pendidikan = get("pendidikan");
    if !pendidikan.trim().is_empty() {
        match PENDIDIKAN.iter().find(|p| p.eq_ignore_ascii_case(pendidikan.trim())) {
            Some(p) => profile.pendidikan = Some((*p).to_owned()),
            None => error("pendidikan", "survey.bad_education"),
        }
    }
    let pekerjaan = get("pekerjaan");
    if !pekerjaan.trim().is_empty() {
        match PEKERJAAN.iter().find(|(p, _)| p.eq_ignore_ascii_case(pekerjaan.trim())) {
            Some((p, _)) => profile.pekerjaan = Some((*p).to_owned()),
            None => error("pekerjaan", "survey.bad_occupation"),
        }
    }
    // Trimmed, no control characters (PostgreSQL refuses NUL in text).
    let saran = crate::intake::form::clean(&get("saran"));
    if saran.chars().count() > MAX_SARAN {
        error("saran", "survey.saran_too_long");
    }
    (profile, Some(saran).filter(|s| !s.is_empty()))
}

/// Validates a submitted questionnaire: every question must be answered with one of
/// its four answers (a respondent who skips one is asked again, with what they gave
/// kept), the profile is optional but must be valid when given.
pub fn parse_answers(questions: &[SurveyQuestion], fields: &HashMap<String, String>) -> (Answers, Vec<FieldError>) {
    let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let mut scores = BTreeMap::new();
    for q in questions {
        match parse_score(&get(&answer_field(&q.key))) {
            Ok(Some(n)) => {
                scores.insert(q.key.clone(), n);
            }
            Ok(None) => errors.push(FieldError {
                field: answer_field(&q.key),
                message: "survey.answer_required",
            }),
            Err(NotAScore) => errors.push(FieldError {
                field: answer_field(&q.key),
                message: "survey.answer_invalid",
            }),
        }
    }
    let (profile, saran) = parse_profile(&get, "", &mut errors);
    (Answers { scores, profile, saran }, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<SurveyQuestion> {
        ["persyaratan", "prosedur"]
            .iter()
            .enumerate()
            .map(|(i, k)| SurveyQuestion {
                key: (*k).into(),
                code: format!("U{}", i + 1),
                name: (*k).into(),
                question: format!("Pertanyaan {k}"),
                answers: ["a".into(), "b".into(), "c".into(), "d".into()],
            })
            .collect()
    }

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn a_complete_answer_is_taken_with_its_profile() {
        let (a, errors) = parse_answers(
            &questions(),
            &fields(&[
                ("q_persyaratan", "4"),
                ("q_prosedur", "1"),
                ("jenis_kelamin", "p"),
                ("umur", "34"),
                ("pendidikan", "d4/s1"),
                ("pekerjaan", "Swasta"),
                ("saran", "  Antrean diperpendek.  "),
            ]),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(a.scores["persyaratan"], 4);
        assert_eq!(a.scores["prosedur"], 1);
        assert_eq!(a.profile.jenis_kelamin.as_deref(), Some("P"));
        assert_eq!(a.profile.pendidikan.as_deref(), Some("D4/S1"));
        assert_eq!(a.saran.as_deref(), Some("Antrean diperpendek."));
    }

    #[test]
    fn missing_and_bad_answers_are_named() {
        let (_, errors) = parse_answers(
            &questions(),
            &fields(&[("q_persyaratan", "5"), ("umur", "7"), ("pekerjaan", "Astronot")]),
        );
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.message)).collect();
        assert_eq!(
            got,
            [
                ("q_persyaratan", "survey.answer_invalid"),
                ("q_prosedur", "survey.answer_required"),
                ("umur", "survey.bad_age"),
                ("pekerjaan", "survey.bad_occupation"),
            ]
        );
    }
}
