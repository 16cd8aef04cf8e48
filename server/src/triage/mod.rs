//! Triage (issue 6): the secretariat's daily work on a complaint after intake.
//!
//! - [`lifecycle`]: the status state machine every path goes through.
//! - [`calendar`]: working days in the unit's time zone.
//! - [`sla`]: due dates from the unit's targets per bobot.
//! - [`stages`]: SP4N-LAPOR!'s stage clocks (verification, follow-up), from data.
//! - [`escalation`]: sign-offs (sedang) and escalation letters (berat).
//! - [`answers`]: the way back per channel, answer templates, reopening on a reply.
//! - [`staff_notices`]: what staff hear: assignment, deadline reminder, daily digest.
//! - [`jobs`]: SLA reminders and auto-close, once across instances (job leases).

pub mod answers;
pub mod calendar;
pub mod escalation;
pub mod jobs;
pub mod lifecycle;
pub mod sla;
pub mod staff_notices;
pub mod stages;
