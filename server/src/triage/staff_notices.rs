//! Staff hear what needs them (issue 19): the holder of a complaint is told when it
//! is assigned to them and reminded before its deadline; a kepala dinas may take one
//! daily digest per unit instead. Each account chooses at `/akun` how it hears:
//! email (the account's address), WhatsApp (a number) or nothing.
//!
//! Everything goes through the outbox (queued at most once per dedupe key, retried):
//! - **assignment** (`staff:ditugaskan:{event id}`): found on the control card, each
//!   `klasifikasi` entry whose holder differs from the entry before it. The staff
//!   page queues it right after the assignment commits, and the SLA job looks at the
//!   last [`ASSIGNMENT_LOOKBACK_HOURS`] hours again, so a crash between the two (or
//!   an assignment through the API) still gets its notice, once. Not when the
//!   officer took the complaint themself, nor when it has meanwhile gone to someone
//!   else or been closed.
//! - **reminder** (`sla:pengingat:{complaint}:{holder}:{deadline}`): once the
//!   deadline is within [`REMINDER_WORKING_DAYS`] working day of the unit's calendar,
//!   and **overdue** (`sla:terlambat:...`) once it has passed; one of each per holder
//!   and deadline, so a new holder or a new deadline is told again.
//! - **digest** (`staff:ringkasan:{user}:{unit}:{local date}`): from
//!   [`DIGEST_LOCAL_HOUR`] (or `[jobs] staff_digest_hour`) in the unit's zone, the counts of open complaints and the
//!   overdue and near-deadline ones of that unit only; none when nothing is open.
//!
//! Unit isolation: a notice carries one complaint (or one unit's digest), and goes
//! only to an account with a handling role (a digest: kepala dinas) in that unit.
//! Rahasia complaints: email and WhatsApp leave the app, so their notices carry the
//! nomor agenda and the staff link only, never the subject.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Timelike, Utc};

use super::calendar::{UnitCalendar, zone_of};
use crate::domain::Role;
use crate::i18n::{Lang, t, tf};
use crate::storage::model::NewOutbox;
use crate::storage::staff_notices::{NoticeComplaint, OwedComplaint, StaffContact};
use crate::storage::{Store, StoreError};

/// A reminder goes when the deadline is this many working days away or fewer
/// (counted on the unit's calendar: due Monday, reminded on Friday).
pub const REMINDER_WORKING_DAYS: i64 = 1;
/// The local hour (unit's zone) from which the day's digest is sent, unless
/// `[jobs] staff_digest_hour` says otherwise.
pub const DIGEST_LOCAL_HOUR: u32 = 7;
/// How far back the job looks for assignments whose notice may be missing.
pub const ASSIGNMENT_LOOKBACK_HOURS: i64 = 48;
/// Complaints listed by name in each part of a digest; the rest are counted.
pub const DIGEST_LIST_LIMIT: usize = 20;
/// The role that may choose the daily digest.
pub const DIGEST_ROLE: Role = Role::KepalaDinas;
/// The outbox header that tells the WhatsApp provider which kind of notice this is
/// (outside the 24-hour window it sends the unit's template for the kind).
pub const NOTICE_KIND_HEADER: &str = "x-notice-kind";
/// The outbox header with the template's parameters (a JSON array of strings).
pub const NOTICE_PARAMS_HEADER: &str = "x-notice-params";
/// The notice kind of every staff notice.
pub const STAFF_NOTICE_KIND: &str = "staff";

/// Where one notice goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// An email address.
    Email(String),
    /// A WhatsApp number (`08...`).
    WhatsApp(String),
}

/// How `contact` hears of what needs it in `unit_id`, when at all: only an active
/// account with a handling role there, by its choice (email when it never chose
/// and has an address); nothing when it chose the digest and is kepala dinas there
/// (the digest covers that unit).
pub fn route(contact: &StaffContact, unit_id: i64) -> Option<Route> {
    let handles = contact
        .roles
        .iter()
        .any(|(u, r)| *u == unit_id && Role::parse(r).is_ok_and(|r| crate::auth::HANDLE_COMPLAINTS.contains(&r)));
    if !contact.active || !handles {
        return None;
    }
    if contact.prefs.as_ref().is_some_and(|p| p.digest) && holds(contact, unit_id, DIGEST_ROLE) {
        return None;
    }
    chosen_route(contact)
}

/// Where the digest of a unit goes for `contact` (kepala dinas there, digest chosen).
pub fn digest_route(contact: &StaffContact, unit_id: i64) -> Option<Route> {
    let chose = contact.prefs.as_ref().is_some_and(|p| p.digest);
    if !contact.active || !chose || !holds(contact, unit_id, DIGEST_ROLE) {
        return None;
    }
    chosen_route(contact)
}

fn holds(contact: &StaffContact, unit_id: i64, role: Role) -> bool {
    contact.roles.iter().any(|(u, r)| *u == unit_id && r == role.key())
}

fn chosen_route(contact: &StaffContact) -> Option<Route> {
    let email = || (contact.email.contains('@')).then(|| Route::Email(contact.email.clone()));
    match contact.prefs.as_ref().map(|p| p.channel.as_str()) {
        None | Some("email") => email(),
        Some("whatsapp") => contact
            .prefs
            .as_ref()
            .and_then(|p| crate::intake::form::normalize_phone(&p.whatsapp))
            .map(Route::WhatsApp),
        _ => None,
    }
}

/// The staff page of a complaint, absolute when the public address is configured.
pub fn complaint_link(public_url: Option<&str>, unit_code: &str, complaint_id: i64) -> String {
    format!(
        "{}/staf/{unit_code}/pengaduan/{complaint_id}",
        public_url.unwrap_or("").trim_end_matches('/')
    )
}

/// How a complaint is named in a notice: its nomor agenda and subject, or only the
/// nomor agenda when it is rahasia.
pub fn complaint_label(nomor_agenda: &str, subject: &str, rahasia: bool) -> String {
    if rahasia {
        tf(
            Lang::Id,
            "staff_notices.rahasia_label",
            &[("nomor_agenda", nomor_agenda)],
        )
    } else {
        let subject: String = subject.chars().take(120).collect();
        format!("{nomor_agenda}: {subject}")
    }
}

/// One notice, as the outbox queues it: email with a subject, or WhatsApp with the
/// notice headers the provider's template needs (`params`).
pub struct Notice<'a> {
    /// Sending unit (its channel settings carry it).
    pub unit_id: i64,
    /// The complaint it is about (kept on its thread), if one.
    pub complaint_id: Option<i64>,
    /// Email subject.
    pub subject: String,
    /// Text of the message.
    pub body: String,
    /// The template's parameters outside WhatsApp's 24-hour window.
    pub params: Vec<String>,
    /// Unique per intended notice.
    pub dedupe_key: String,
    /// Where it goes.
    pub route: &'a Route,
}

impl Notice<'_> {
    /// The outbox row of this notice.
    pub fn outbox(self) -> NewOutbox {
        let (channel, recipient, subject, headers) = match self.route {
            Route::Email(to) => ("email", to.clone(), Some(self.subject), BTreeMap::new()),
            Route::WhatsApp(number) => {
                let mut headers = BTreeMap::new();
                headers.insert(NOTICE_KIND_HEADER.to_owned(), STAFF_NOTICE_KIND.to_owned());
                headers.insert(
                    NOTICE_PARAMS_HEADER.to_owned(),
                    serde_json::to_string(&self.params).expect("strings serialize"),
                );
                ("whatsapp", number.clone(), None, headers)
            }
        };
        NewOutbox {
            unit_id: Some(self.unit_id),
            complaint_id: self.complaint_id,
            channel: channel.to_owned(),
            recipient,
            subject,
            body: self.body,
            headers,
            dedupe_key: self.dedupe_key,
        }
    }
}

/// Contacts read once per pass.
#[derive(Default)]
struct Contacts(HashMap<i64, Option<StaffContact>>);

impl Contacts {
    async fn get(&mut self, store: &dyn Store, user_id: i64) -> Result<Option<&StaffContact>, StoreError> {
        if let Entry::Vacant(e) = self.0.entry(user_id) {
            e.insert(store.staff_contact(user_id).await?);
        }
        Ok(self.0.get(&user_id).and_then(Option::as_ref))
    }
}

/// The outbox row of the notice `kind` (`assigned`, `pengingat`, `terlambat`: the
/// locale keys `staff_notices.{kind}_*`) about complaint `c` to its holder; `due`
/// fills `{due}`.
fn complaint_notice(
    c: &NoticeComplaint,
    kind: &str,
    due: &str,
    public_url: Option<&str>,
    route: &Route,
    dedupe_key: String,
) -> NewOutbox {
    let label = complaint_label(&c.nomor_agenda, &c.subject, c.rahasia);
    let link = complaint_link(public_url, &c.unit_code, c.complaint_id);
    let args = [
        ("nomor_agenda", c.nomor_agenda.as_str()),
        ("label", label.as_str()),
        ("due", due),
        ("link", link.as_str()),
    ];
    Notice {
        unit_id: c.unit_id,
        complaint_id: Some(c.complaint_id),
        subject: tf(Lang::Id, &format!("staff_notices.{kind}_subject"), &args),
        body: tf(Lang::Id, &format!("staff_notices.{kind}_body"), &args),
        params: vec![
            c.nomor_agenda.clone(),
            tf(Lang::Id, &format!("staff_notices.{kind}_what"), &args),
            link.clone(),
        ],
        dedupe_key,
        route,
    }
    .outbox()
}

/// Where `user_id`'s notices about `unit_id` go, when at all.
async fn holder_route(
    contacts: &mut Contacts,
    store: &dyn Store,
    user_id: i64,
    unit_id: i64,
) -> Result<Option<Route>, StoreError> {
    Ok(contacts.get(store, user_id).await?.and_then(|c| route(c, unit_id)))
}

/// Queues the notice of every holder change recorded since `since` (only of
/// `complaint_id` when given) whose holder hears of it; returns how many were new.
pub async fn queue_assignments(
    store: &dyn Store,
    public_url: Option<&str>,
    since: DateTime<Utc>,
    complaint_id: Option<i64>,
) -> Result<usize, StoreError> {
    let mut contacts = Contacts::default();
    let mut queued = 0;
    for change in store.holder_changes_since(since, complaint_id).await? {
        // Taken by themself: they know. Gone to someone else or closed: stale.
        if change.actor_id == Some(change.holder_id) || !change.still_held {
            continue;
        }
        let Some(route) = holder_route(&mut contacts, store, change.holder_id, change.complaint.unit_id).await? else {
            continue;
        };
        let dedupe = format!("staff:ditugaskan:{}", change.event_id);
        let row = complaint_notice(&change.complaint, "assigned", "", public_url, &route, dedupe);
        if store.enqueue_outbox(&row).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Calendars of the units, loaded once per pass around `now`.
#[derive(Default)]
struct Calendars(HashMap<i64, UnitCalendar>);

impl Calendars {
    async fn get(
        &mut self,
        store: &dyn Store,
        unit_id: i64,
        zone: &str,
        now: DateTime<Utc>,
    ) -> Result<&UnitCalendar, StoreError> {
        if let Entry::Vacant(e) = self.0.entry(unit_id) {
            let zone = zone_of(zone);
            e.insert(UnitCalendar::load(store, unit_id, zone, now.with_timezone(&zone).date_naive(), 40).await?);
        }
        Ok(&self.0[&unit_id])
    }
}

/// Where a complaint stands against its deadline at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineState {
    /// Passed.
    Overdue,
    /// Within [`REMINDER_WORKING_DAYS`] working days.
    Near,
    /// Further away.
    Later,
}

/// Where a deadline stands at `now` on the unit's calendar.
pub fn deadline_state(cal: &UnitCalendar, due_at: DateTime<Utc>, now: DateTime<Utc>) -> DeadlineState {
    if due_at < now {
        DeadlineState::Overdue
    } else if cal.working_days_between(now, due_at) <= REMINDER_WORKING_DAYS {
        DeadlineState::Near
    } else {
        DeadlineState::Later
    }
}

/// The window `owed_before` is asked for: wide enough that the working day before
/// any deadline falls inside it, even over the Lebaran days off.
fn owed_window(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::days(21)
}

/// Queues the reminder of every open complaint whose deadline is near and the
/// overdue notice of every one whose deadline passed, to its holder; returns how
/// many were new.
pub async fn queue_reminders(
    store: &dyn Store,
    public_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut contacts = Contacts::default();
    let mut calendars = Calendars::default();
    let mut queued = 0;
    for owed in store.owed_before(owed_window(now), None).await? {
        let Some(holder) = owed.assignee_id else {
            continue;
        };
        let cal = calendars
            .get(store, owed.complaint.unit_id, &owed.time_zone, now)
            .await?;
        let kind = match deadline_state(cal, owed.due_at, now) {
            DeadlineState::Overdue => "terlambat",
            DeadlineState::Near => "pengingat",
            DeadlineState::Later => continue,
        };
        let due_local = owed
            .due_at
            .with_timezone(&cal.zone())
            .format("%d-%m-%Y %H:%M")
            .to_string();
        let Some(route) = holder_route(&mut contacts, store, holder, owed.complaint.unit_id).await? else {
            continue;
        };
        let dedupe = format!(
            "sla:{kind}:{}:{holder}:{}",
            owed.complaint.complaint_id,
            owed.due_at.timestamp()
        );
        let row = complaint_notice(&owed.complaint, kind, &due_local, public_url, &route, dedupe);
        if store.enqueue_outbox(&row).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Lines of one part of a digest: each complaint by its label, at most
/// [`DIGEST_LIST_LIMIT`], then how many more.
fn digest_lines(items: &[&OwedComplaint]) -> String {
    let mut lines: Vec<String> = items
        .iter()
        .take(DIGEST_LIST_LIMIT)
        .map(|c| {
            format!(
                "- {}",
                complaint_label(&c.complaint.nomor_agenda, &c.complaint.subject, c.complaint.rahasia)
            )
        })
        .collect();
    if items.len() > DIGEST_LIST_LIMIT {
        let more = (items.len() - DIGEST_LIST_LIMIT).to_string();
        lines.push(tf(Lang::Id, "staff_notices.digest_more", &[("n", more.as_str())]));
    }
    lines.join("\n")
}

/// Queues the day's digest of every unit whose kepala dinas chose it, once the
/// unit's local hour reached `digest_hour` ([`DIGEST_LOCAL_HOUR`] by default); none
/// for a unit with nothing open. Returns how many were new.
pub async fn queue_digests(
    store: &dyn Store,
    public_url: Option<&str>,
    now: DateTime<Utc>,
    digest_hour: u32,
) -> Result<usize, StoreError> {
    let mut contacts = Contacts::default();
    let mut calendars = Calendars::default();
    let mut queued = 0;
    for sub in store.digest_subscriptions().await? {
        let local = now.with_timezone(&zone_of(&sub.time_zone));
        if local.hour() < digest_hour {
            continue;
        }
        let Some(contact) = contacts.get(store, sub.user_id).await? else {
            continue;
        };
        let Some(route) = digest_route(contact, sub.unit_id) else {
            continue;
        };
        let counts = store.open_counts(sub.unit_id).await?;
        let open: i64 = counts.iter().map(|(_, n)| n).sum();
        if open == 0 {
            continue;
        }
        let cal = calendars.get(store, sub.unit_id, &sub.time_zone, now).await?;
        let owed = store.owed_before(owed_window(now), Some(sub.unit_id)).await?;
        let overdue: Vec<&OwedComplaint> = owed
            .iter()
            .filter(|c| deadline_state(cal, c.due_at, now) == DeadlineState::Overdue)
            .collect();
        let near: Vec<&OwedComplaint> = owed
            .iter()
            .filter(|c| deadline_state(cal, c.due_at, now) == DeadlineState::Near)
            .collect();
        let per_status = counts
            .iter()
            .map(|(s, n)| format!("{} {n}", t(Lang::Id, &format!("status.{s}"))))
            .collect::<Vec<_>>()
            .join(", ");
        let date = local.format("%d-%m-%Y").to_string();
        let link = format!(
            "{}/staf/{}",
            public_url.unwrap_or("").trim_end_matches('/'),
            sub.unit_code
        );
        let (open_s, overdue_s, near_s) = (open.to_string(), overdue.len().to_string(), near.len().to_string());
        let none = t(Lang::Id, "staff_notices.digest_none");
        let (overdue_lines, near_lines) = (digest_lines(&overdue), digest_lines(&near));
        let args = [
            ("name", contact.full_name.as_str()),
            ("unit", sub.unit_name.as_str()),
            ("date", date.as_str()),
            ("open", open_s.as_str()),
            ("per_status", per_status.as_str()),
            ("overdue", overdue_s.as_str()),
            ("near", near_s.as_str()),
            (
                "overdue_list",
                if overdue.is_empty() {
                    none
                } else {
                    overdue_lines.as_str()
                },
            ),
            ("near_list", if near.is_empty() { none } else { near_lines.as_str() }),
            ("link", link.as_str()),
        ];
        let notice = Notice {
            unit_id: sub.unit_id,
            complaint_id: None,
            subject: tf(Lang::Id, "staff_notices.digest_subject", &args),
            body: tf(Lang::Id, "staff_notices.digest_body", &args),
            params: vec![
                sub.unit_name.clone(),
                tf(Lang::Id, "staff_notices.digest_what", &args),
                link.clone(),
            ],
            dedupe_key: format!("staff:ringkasan:{}:{}:{}", sub.user_id, sub.unit_id, local.date_naive()),
            route: &route,
        };
        if store.enqueue_outbox(&notice.outbox()).await? {
            queued += 1;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::staff_notices::StaffNoticePrefs;

    fn contact(roles: &[(i64, &str)], prefs: Option<(&str, &str, bool)>) -> StaffContact {
        StaffContact {
            user_id: 7,
            full_name: "Bu Kadis".into(),
            active: true,
            email: "kadis@dinas.go.id".into(),
            prefs: prefs.map(|(channel, whatsapp, digest)| StaffNoticePrefs {
                channel: channel.into(),
                whatsapp: whatsapp.into(),
                digest,
            }),
            roles: roles.iter().map(|(u, r)| (*u, (*r).to_owned())).collect(),
        }
    }

    #[test]
    fn notices_go_only_where_the_account_handles_complaints_and_as_it_chose() {
        let petugas = contact(&[(1, "petugas"), (2, "auditor")], None);
        assert_eq!(route(&petugas, 1), Some(Route::Email("kadis@dinas.go.id".into())));
        assert_eq!(route(&petugas, 2), None, "an auditor role does not hear of complaints");
        assert_eq!(route(&petugas, 3), None, "no role in that unit");
        let wa = contact(&[(1, "petugas")], Some(("whatsapp", "0812-3456-7890", false)));
        assert_eq!(route(&wa, 1), Some(Route::WhatsApp("081234567890".into())));
        let none = contact(&[(1, "petugas")], Some(("none", "", false)));
        assert_eq!(route(&none, 1), None);
        let mut gone = petugas.clone();
        gone.active = false;
        assert_eq!(route(&gone, 1), None);
        let mut no_address = petugas.clone();
        no_address.email = String::new();
        assert_eq!(route(&no_address, 1), None);
    }

    #[test]
    fn the_digest_replaces_single_notices_only_where_it_covers_the_unit() {
        let kadis = contact(&[(1, "kepala_dinas"), (2, "petugas")], Some(("email", "", true)));
        assert_eq!(route(&kadis, 1), None, "unit 1 is in the digest");
        assert!(route(&kadis, 2).is_some(), "unit 2 is not: single notices go on");
        assert!(digest_route(&kadis, 1).is_some());
        assert_eq!(digest_route(&kadis, 2), None, "no digest where it is not kepala dinas");
    }

    #[test]
    fn a_rahasia_complaint_is_named_by_its_nomor_agenda_only() {
        let open = complaint_label("PGD-1", "Pungli di loket", false);
        assert!(open.contains("Pungli"));
        let secret = complaint_label("PGD-1", "Pungli di loket", true);
        assert!(secret.contains("PGD-1") && !secret.contains("Pungli"), "{secret}");
    }

    #[test]
    fn whatsapp_notices_carry_the_staff_template_headers() {
        let route = Route::WhatsApp("081234567890".into());
        let row = Notice {
            unit_id: 1,
            complaint_id: Some(2),
            subject: "s".into(),
            body: "b".into(),
            params: vec!["PGD-1".into(), "x".into(), "/staf/u/pengaduan/2".into()],
            dedupe_key: "k".into(),
            route: &route,
        }
        .outbox();
        assert_eq!(row.channel, "whatsapp");
        assert_eq!(row.subject, None);
        assert_eq!(row.headers[NOTICE_KIND_HEADER], "staff");
        let params: Vec<String> = serde_json::from_str(&row.headers[NOTICE_PARAMS_HEADER]).unwrap();
        assert_eq!(params[0], "PGD-1");
    }
}
