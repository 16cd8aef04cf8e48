//! The life cycle of a complaint (PENGADUAN.md, "Life of a complaint") as a state
//! machine checked on the server for every status change a person or the API asks for.
//!
//! ```text
//! diterima -> terverifikasi -> didisposisikan -> ditindaklanjuti -> dijawab -> selesai
//!     |            |                                                   |
//!     |            +-> bukan_wewenang                                  +-> dibuka_kembali
//!     +-> dikembalikan -> diterima (completed by the complainant)
//!     +-> diarsipkan (spam, or merged into a duplicate; from any open state)
//! ```
//!
//! The table is [`allowed_moves`]; [`check`] adds the guards that need more than the
//! two states (a note for the moves that must say why, an assignment before
//! disposition, the answer text before `dijawab`). Every accepted move is written by
//! the store in one transaction with its control-card entry (who, when, note, holder).
//!
//! SPAN-LAPOR! imports are the one path that does not go through [`check`]: the
//! status of a LAPOR! report is an external fact decided in the national system (it
//! may jump from `diterima` straight to `selesai` when the agency worked on it in
//! LAPOR! itself). The import records that fact as a `status` entry whose note carries
//! the LAPOR! status text, rather than refusing what already happened elsewhere.

use crate::domain::ComplaintStatus as S;

/// The statuses a complaint in `from` may move to, in the order staff see them.
/// Closed statuses (`selesai`, `bukan_wewenang`, `diarsipkan`) have none: a closed
/// complaint is reopened only by the complainant's reply to an answer (`dijawab` ->
/// `dibuka_kembali`), never from a closed state.
pub fn allowed_moves(from: S) -> &'static [S] {
    match from {
        S::Diterima => &[S::Terverifikasi, S::Dikembalikan, S::Diarsipkan],
        S::Dikembalikan => &[S::Diterima, S::Diarsipkan],
        S::Terverifikasi => &[S::Didisposisikan, S::BukanWewenang, S::Diarsipkan],
        S::Didisposisikan => &[S::Ditindaklanjuti, S::Dijawab, S::Diarsipkan],
        S::Ditindaklanjuti => &[S::Dijawab, S::Diarsipkan],
        S::Dijawab => &[S::Selesai, S::DibukaKembali],
        S::DibukaKembali => &[S::Ditindaklanjuti, S::Dijawab, S::Diarsipkan],
        S::Selesai | S::BukanWewenang | S::Diarsipkan => &[],
    }
}

/// Whether the table allows `from` -> `to` (guards aside).
pub fn is_allowed(from: S, to: S) -> bool {
    allowed_moves(from).contains(&to)
}

/// Moves that must carry a note saying why (the reason is what the complainant or
/// the next officer needs to read).
pub fn needs_note(to: S) -> bool {
    matches!(
        to,
        S::Dikembalikan | S::BukanWewenang | S::Diarsipkan | S::Dijawab | S::DibukaKembali
    )
}

/// What else about the complaint a move depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveContext {
    /// A division or an officer has been assigned (disposition needs one).
    pub assigned: bool,
    /// The note given with the move is not blank.
    pub has_note: bool,
    /// Sign-offs still missing before an answer may be sent (sedang: kepala bidang
    /// and kepala dinas); empty when none are needed or all are given.
    pub missing_signoffs: usize,
}

/// Why a status change was refused. Each has a message in `[triage.error]` of the
/// locale files; nothing is changed when one is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// The complaint is closed: nothing may move it.
    #[error("complaint is closed ({from})")]
    Closed {
        /// Its status.
        from: S,
    },
    /// The table has no such move.
    #[error("move {from} -> {to} is not allowed")]
    NotAllowed {
        /// Current status.
        from: S,
        /// Asked-for status.
        to: S,
    },
    /// The move needs a note (reason or answer text).
    #[error("move to {to} needs a note")]
    NoteRequired {
        /// Asked-for status.
        to: S,
    },
    /// Disposition needs a division or an officer first.
    #[error("disposition needs an assignment")]
    NotAssigned,
    /// A sedang answer needs the leadership's sign-off first.
    #[error("sign-off missing")]
    SignoffMissing,
    /// Someone else changed the complaint's status meanwhile (the page was stale).
    #[error("status changed meanwhile")]
    ChangedMeanwhile,
    /// No such complaint in this unit.
    #[error("no such complaint")]
    NotFound,
}

impl MoveError {
    /// The locale key of the message a person reads.
    pub fn locale_key(&self) -> &'static str {
        match self {
            MoveError::Closed { .. } => "triage.error.closed",
            MoveError::NotAllowed { .. } => "triage.error.not_allowed",
            MoveError::NoteRequired { .. } => "triage.error.note_required",
            MoveError::NotAssigned => "triage.error.not_assigned",
            MoveError::SignoffMissing => "triage.error.signoff_missing",
            MoveError::ChangedMeanwhile => "triage.error.changed",
            MoveError::NotFound => "triage.error.not_found",
        }
    }

    /// The message in `lang`, with the status labels filled in.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        let label = |s: &S| crate::i18n::t(lang, &format!("status.{}", s.key())).to_owned();
        let (from, to) = match self {
            MoveError::Closed { from } => (label(from), String::new()),
            MoveError::NotAllowed { from, to } => (label(from), label(to)),
            MoveError::NoteRequired { to } => (String::new(), label(to)),
            _ => (String::new(), String::new()),
        };
        crate::i18n::tf(lang, self.locale_key(), &[("from", &from), ("to", &to)])
    }
}

/// Checks one move: the table first, then the guards. `Ok` means the store may
/// write it.
pub fn check(from: S, to: S, ctx: &MoveContext) -> Result<(), MoveError> {
    if from.is_closed() {
        return Err(MoveError::Closed { from });
    }
    if !is_allowed(from, to) {
        return Err(MoveError::NotAllowed { from, to });
    }
    if needs_note(to) && !ctx.has_note {
        return Err(MoveError::NoteRequired { to });
    }
    if to == S::Didisposisikan && !ctx.assigned {
        return Err(MoveError::NotAssigned);
    }
    if to == S::Dijawab && ctx.missing_signoffs > 0 {
        return Err(MoveError::SignoffMissing);
    }
    Ok(())
}

/// The control-card entry kind a move writes: `jawaban` for the answer (shown on the
/// public tracking page unless the complaint is rahasia), `status` otherwise.
pub fn event_kind(to: S) -> &'static str {
    if to == S::Dijawab { "jawaban" } else { "status" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (from, to) pair the table allows, written out by hand from
    /// PENGADUAN.md so that a change to the table must change this list too.
    const EXPECTED: &[(S, S)] = &[
        (S::Diterima, S::Terverifikasi),
        (S::Diterima, S::Dikembalikan),
        (S::Diterima, S::Diarsipkan),
        (S::Dikembalikan, S::Diterima),
        (S::Dikembalikan, S::Diarsipkan),
        (S::Terverifikasi, S::Didisposisikan),
        (S::Terverifikasi, S::BukanWewenang),
        (S::Terverifikasi, S::Diarsipkan),
        (S::Didisposisikan, S::Ditindaklanjuti),
        (S::Didisposisikan, S::Dijawab),
        (S::Didisposisikan, S::Diarsipkan),
        (S::Ditindaklanjuti, S::Dijawab),
        (S::Ditindaklanjuti, S::Diarsipkan),
        (S::Dijawab, S::Selesai),
        (S::Dijawab, S::DibukaKembali),
        (S::DibukaKembali, S::Ditindaklanjuti),
        (S::DibukaKembali, S::Dijawab),
        (S::DibukaKembali, S::Diarsipkan),
    ];

    fn full() -> MoveContext {
        MoveContext {
            assigned: true,
            has_note: true,
            missing_signoffs: 0,
        }
    }

    #[test]
    fn the_transition_table_is_exactly_the_documented_one() {
        let mut allowed = 0;
        for &from in S::ALL {
            for &to in S::ALL {
                let expected = EXPECTED.contains(&(from, to));
                assert_eq!(is_allowed(from, to), expected, "{from} -> {to}");
                let result = check(from, to, &full());
                if expected {
                    allowed += 1;
                    assert_eq!(result, Ok(()), "{from} -> {to} with every guard met");
                } else if from.is_closed() {
                    assert_eq!(result, Err(MoveError::Closed { from }), "{from} -> {to}");
                } else {
                    assert_eq!(result, Err(MoveError::NotAllowed { from, to }), "{from} -> {to}");
                }
            }
        }
        assert_eq!(allowed, EXPECTED.len());
        assert_eq!(S::ALL.len() * S::ALL.len(), 100, "all 100 pairs were checked");
    }

    #[test]
    fn no_status_moves_to_itself_and_closed_ones_are_final() {
        for &s in S::ALL {
            assert!(!is_allowed(s, s), "{s} -> {s}");
            if s.is_closed() {
                assert!(allowed_moves(s).is_empty(), "{s} is final");
            }
        }
        // Every open status can be left, and every status but diterima can be reached.
        for &s in S::ALL.iter().filter(|s| !s.is_closed()) {
            assert!(!allowed_moves(s).is_empty(), "{s} has a way out");
        }
        for &s in S::ALL.iter().filter(|s| **s != S::Diterima) {
            assert!(S::ALL.iter().any(|f| is_allowed(*f, s)), "{s} is reachable");
        }
    }

    #[test]
    fn guards_apply_after_the_table() {
        let none = MoveContext::default();
        for &(from, to) in EXPECTED {
            let got = check(from, to, &none);
            if needs_note(to) {
                assert_eq!(got, Err(MoveError::NoteRequired { to }), "{from} -> {to}");
            } else if to == S::Didisposisikan {
                assert_eq!(got, Err(MoveError::NotAssigned));
            } else {
                assert_eq!(got, Ok(()), "{from} -> {to} needs nothing more");
            }
        }
        let waiting = MoveContext {
            missing_signoffs: 1,
            ..full()
        };
        assert_eq!(
            check(S::Ditindaklanjuti, S::Dijawab, &waiting),
            Err(MoveError::SignoffMissing)
        );
        assert_eq!(check(S::Dijawab, S::Selesai, &waiting), Ok(()));
        assert_eq!(event_kind(S::Dijawab), "jawaban");
        assert_eq!(event_kind(S::Selesai), "status");
    }

    #[test]
    fn errors_read_in_indonesian_with_status_labels() {
        let e = MoveError::NotAllowed {
            from: S::Diterima,
            to: S::Selesai,
        };
        let text = e.message(crate::i18n::Lang::Id);
        assert!(text.contains("Diterima") && text.contains("Selesai"), "{text}");
        assert!(!text.contains('{'), "{text}");
        let closed = MoveError::Closed { from: S::Selesai }.message(crate::i18n::Lang::Id);
        assert!(closed.contains("Selesai"), "{closed}");
    }
}
