//! Escalation by bobot (PENGADUAN.md, "Severity and escalation"):
//!
//! - **sedang**: the answer needs the sign-off of the kepala bidang and of the kepala
//!   dinas before it is sent. Each sign-off is a control-card entry
//!   (`persetujuan_kepala_bidang`, `persetujuan_kepala_dinas`); the move to `dijawab`
//!   is refused until both are there (counted since the last reopening, so a reopened
//!   complaint's new answer is signed off again).
//! - **berat**: the escalation to the mayor's or regent's office (through the Asisten
//!   or the Sekda) is recorded with its letter reference (`complaints.escalation_ref`)
//!   and an `eskalasi` entry.

use crate::domain::{Bobot, ComplaintStatus, Role};

/// The sign-offs a sedang answer needs, as (role, control-card kind).
pub const SIGNOFFS: &[(Role, &str)] = &[
    (Role::KepalaBidang, "persetujuan_kepala_bidang"),
    (Role::KepalaDinas, "persetujuan_kepala_dinas"),
];

/// The control-card kind of a sign-off by `role`, if that role signs off.
pub fn signoff_kind(role: Role) -> Option<&'static str> {
    SIGNOFFS.iter().find(|(r, _)| *r == role).map(|(_, k)| *k)
}

/// Roles that may lower the bobot of a sedang or berat complaint. Lowering it drops
/// the sign-offs (sedang) or the escalation (berat) its answer needs, so a petugas
/// refused for missing sign-offs cannot simply reclassify and answer.
pub const MAY_LOWER_BOBOT: &[Role] = &[Role::KepalaBidang, Role::KepalaDinas];

/// The control-card kind of a lowered bobot (the note names old and new bobot).
pub const BOBOT_LOWERED: &str = "bobot_diturunkan";

/// Whether `from` → `to` lowers a bobot whose answer needs sign-offs or an escalation
/// (sedang → ringan, berat → sedang or ringan, or either back to no bobot).
pub fn lowers_guarded_bobot(from: Option<Bobot>, to: Option<Bobot>) -> bool {
    let rank = |b: Option<Bobot>| match b {
        None => 0,
        Some(Bobot::Ringan) => 1,
        Some(Bobot::Sedang) => 2,
        Some(Bobot::Berat) => 3,
    };
    matches!(from, Some(Bobot::Sedang | Bobot::Berat)) && rank(to) < rank(from)
}

/// Why a sign-off or an escalation was refused (nothing is changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EscalationError {
    /// No such complaint in this unit.
    #[error("no such complaint")]
    NotFound,
    /// Sign-offs are for sedang complaints, escalations for berat ones.
    #[error("wrong bobot")]
    WrongBobot,
    /// Closed or already answered: too late.
    #[error("not open for this")]
    NotOpen,
    /// The signer holds neither sign-off role.
    #[error("role cannot sign off")]
    Role,
    /// An escalation needs its letter reference.
    #[error("letter reference required")]
    LetterRequired,
}

impl EscalationError {
    /// The locale key of the message.
    pub fn locale_key(&self) -> &'static str {
        match self {
            EscalationError::NotFound => "triage.error.not_found",
            EscalationError::WrongBobot => "triage.error.wrong_bobot",
            EscalationError::NotOpen => "triage.error.not_open",
            EscalationError::Role => "triage.error.signoff_role",
            EscalationError::LetterRequired => "triage.error.letter_required",
        }
    }
}

/// Checks a sign-off or escalation against the complaint's status and bobot.
pub fn check(status: ComplaintStatus, bobot: Option<Bobot>, wanted: Bobot) -> Result<(), EscalationError> {
    if status.is_closed() || status == ComplaintStatus::Dijawab {
        return Err(EscalationError::NotOpen);
    }
    if bobot != Some(wanted) {
        return Err(EscalationError::WrongBobot);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signoffs_are_for_open_sedang_complaints() {
        use ComplaintStatus as S;
        assert_eq!(check(S::Ditindaklanjuti, Some(Bobot::Sedang), Bobot::Sedang), Ok(()));
        assert_eq!(
            check(S::Ditindaklanjuti, Some(Bobot::Ringan), Bobot::Sedang),
            Err(EscalationError::WrongBobot)
        );
        assert_eq!(
            check(S::Ditindaklanjuti, None, Bobot::Berat),
            Err(EscalationError::WrongBobot)
        );
        assert_eq!(
            check(S::Selesai, Some(Bobot::Sedang), Bobot::Sedang),
            Err(EscalationError::NotOpen)
        );
        assert_eq!(
            check(S::Dijawab, Some(Bobot::Berat), Bobot::Berat),
            Err(EscalationError::NotOpen)
        );
        assert_eq!(signoff_kind(Role::KepalaDinas), Some("persetujuan_kepala_dinas"));
        assert!(lowers_guarded_bobot(Some(Bobot::Sedang), Some(Bobot::Ringan)));
        assert!(lowers_guarded_bobot(Some(Bobot::Berat), Some(Bobot::Sedang)));
        assert!(lowers_guarded_bobot(Some(Bobot::Berat), None));
        assert!(!lowers_guarded_bobot(Some(Bobot::Ringan), None));
        assert!(!lowers_guarded_bobot(Some(Bobot::Sedang), Some(Bobot::Berat)));
        assert!(!lowers_guarded_bobot(None, Some(Bobot::Ringan)));
        assert_eq!(signoff_kind(Role::Petugas), None);
    }
}
