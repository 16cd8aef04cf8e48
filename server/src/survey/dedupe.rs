//! Duplicate detection on the public survey (issue 7, abuse): the same browser
//! sending the same answers again within [`DUPLICATE_WINDOW`] is refused, nothing is
//! stored, and the respondent is told why. This catches double submissions (a
//! reload, the back button, a double tap) and the cheapest ballot stuffing; the
//! per-address rate limit stays in front of it.
//!
//! The browser is known by its CSRF cookie (every public form post carries it); the
//! answers by a digest of unit, service, scores, profile and saran. Kiosk responses
//! are not checked here: two visitors at one counter may well give the same answers,
//! and a kiosk is a registered device already. The memory is per instance and
//! bounded; with several instances a repeat reaching another instance is not caught,
//! which the rate limit still bounds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::storage::model::NewSurveyResponse;

/// How long identical answers from one browser are refused.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Most fingerprints kept; older ones are dropped first when it is reached.
const MAX_KEPT: usize = 200_000;

/// Recently accepted (browser, answers) pairs.
#[derive(Debug)]
pub struct RecentAnswers {
    window: Duration,
    seen: Mutex<HashMap<[u8; 32], Instant>>,
}

impl Default for RecentAnswers {
    fn default() -> Self {
        RecentAnswers::new(DUPLICATE_WINDOW)
    }
}

impl RecentAnswers {
    /// An empty memory refusing repeats for `window`.
    pub fn new(window: Duration) -> RecentAnswers {
        RecentAnswers {
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The fingerprint of one browser's answers.
    pub fn fingerprint(device: &str, r: &NewSurveyResponse) -> [u8; 32] {
        let content = serde_json::json!([
            device,
            r.unit_id,
            r.service_id,
            r.scores,
            r.profile.jenis_kelamin,
            r.profile.umur,
            r.profile.pendidikan,
            r.profile.pekerjaan,
            r.saran,
        ]);
        Sha256::digest(content.to_string().as_bytes()).into()
    }

    /// Claims a fingerprint: true when it is new (or older than the window), and it
    /// is remembered from now; false for a repeat within the window.
    pub fn claim(&self, fingerprint: [u8; 32]) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().expect("dedupe lock");
        if seen
            .get(&fingerprint)
            .is_some_and(|at| now.duration_since(*at) < self.window)
        {
            return false;
        }
        if seen.len() >= MAX_KEPT {
            let window = self.window;
            seen.retain(|_, at| now.duration_since(*at) < window);
            if seen.len() >= MAX_KEPT {
                seen.clear();
            }
        }
        seen.insert(fingerprint, now);
        true
    }

    /// Forgets a claim whose response was not stored after all (so a retry works).
    pub fn release(&self, fingerprint: [u8; 32]) {
        self.seen.lock().expect("dedupe lock").remove(&fingerprint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(score: i64) -> NewSurveyResponse {
        NewSurveyResponse {
            unit_id: 1,
            service_id: Some(2),
            rule_set_id: 1,
            responded_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            source: crate::domain::SurveySource::Web,
            import_key: None,
            scores: [("persyaratan".to_owned(), score)].into(),
            profile: Default::default(),
            saran: None,
        }
    }

    #[test]
    fn a_repeat_from_the_same_browser_is_refused_within_the_window() {
        let recent = RecentAnswers::new(Duration::from_millis(200));
        let a = RecentAnswers::fingerprint("browser-a", &response(4));
        assert!(recent.claim(a));
        assert!(!recent.claim(a), "same browser, same answers");
        assert!(
            recent.claim(RecentAnswers::fingerprint("browser-b", &response(4))),
            "another browser"
        );
        assert!(
            recent.claim(RecentAnswers::fingerprint("browser-a", &response(3))),
            "other answers"
        );
        std::thread::sleep(Duration::from_millis(250));
        assert!(recent.claim(a), "after the window");
        recent.release(a);
        assert!(recent.claim(a), "released");
    }
}
