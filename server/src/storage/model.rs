//! Plain records that cross the storage boundary.
//!
//! `New*` types are what callers hand in after validation at the edge; the others
//! are what the store hands back. None of them knows which database it came from.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Bobot, Channel, Klasifikasi, Role, SurveySource};

/// A public service unit (a dinas, an MPP counter, a city office) as it is stored.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unit {
    /// Database key.
    pub id: i64,
    /// Stable URL slug, e.g. `dinsospm-dumai`.
    pub code: String,
    /// Full official name.
    pub name: String,
    /// Name used where space is short.
    pub short_name: String,
    /// Street address for letters and the public page.
    pub address: String,
    /// City where documents are signed.
    pub city: String,
    /// Public phone number.
    pub phone: String,
    /// Public email address.
    pub email: String,
    /// IANA zone the unit works in (WIB, WITA or WIT).
    pub time_zone: String,
    /// Letterhead lines, top to bottom.
    pub letterhead: Vec<String>,
    /// Title of the head of office, for signature blocks.
    pub head_title: String,
    /// Name of the head of office.
    pub head_name: String,
    /// NIP of the head of office.
    pub head_nip: String,
    /// Template of the nomor agenda (`{year}`, `{number:06}`).
    pub agenda_format: String,
    /// Complaint channels the unit offers.
    pub complaint_channels: Vec<Channel>,
}

/// What is needed to create a unit (also the shape of a unit in the demo seed file).
#[derive(Debug, Clone, Deserialize)]
pub struct NewUnit {
    /// Stable URL slug: lowercase letters, digits and dashes.
    pub code: String,
    /// Full official name.
    pub name: String,
    /// Name used where space is short.
    pub short_name: String,
    /// Street address.
    pub address: String,
    /// City where documents are signed.
    pub city: String,
    /// Public phone number.
    pub phone: String,
    /// Public email address.
    pub email: String,
    /// IANA zone name; checked by the caller.
    pub time_zone: String,
    /// Letterhead lines.
    pub letterhead: Vec<String>,
    /// Title of the head of office.
    pub head_title: String,
    /// Name of the head of office.
    pub head_name: String,
    /// NIP of the head of office.
    pub head_nip: String,
    /// Complaint channels the unit offers.
    pub complaint_channels: Vec<Channel>,
}

/// A division (bidang) of a unit; complaints and services are assigned to one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Division {
    /// Database key.
    pub id: i64,
    /// Owning unit.
    pub unit_id: i64,
    /// Name, e.g. "Bidang Rehabilitasi Sosial".
    pub name: String,
}

/// A service in a unit's catalog, with its published standard.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Service {
    /// Database key.
    pub id: i64,
    /// Owning unit.
    pub unit_id: i64,
    /// Responsible division, if known.
    pub division_id: Option<i64>,
    /// Slug, unique within the unit.
    pub code: String,
    /// Service name (jenis layanan).
    pub name: String,
    /// Requirements (persyaratan), one per entry.
    pub requirements: Vec<String>,
    /// Completion time in days (0 = same day).
    pub completion_days: i64,
    /// Completion time as printed in the standard.
    pub completion_text: String,
    /// Whether `completion_days` counts working days.
    pub working_days: bool,
    /// Fee in rupiah.
    pub fee_rupiah: i64,
    /// Fee as printed in the standard.
    pub fee_text: String,
    /// Product of the service.
    pub product: String,
    /// Complaint channels the standard names.
    pub complaint_channels: Vec<Channel>,
}

/// What is needed to add a service to the catalog (also the shape of a service in
/// the demo seed file, where the division is named rather than numbered).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewService {
    /// Slug, unique within the unit.
    pub code: String,
    /// Service name.
    pub name: String,
    /// Responsible division.
    #[serde(default)]
    pub division_id: Option<i64>,
    /// Requirements, one per entry.
    pub requirements: Vec<String>,
    /// Completion time in days.
    pub completion_days: i64,
    /// Completion time as printed.
    pub completion_text: String,
    /// Whether days are working days.
    pub working_days: bool,
    /// Fee in rupiah.
    pub fee_rupiah: i64,
    /// Fee as printed.
    pub fee_text: String,
    /// Product of the service.
    pub product: String,
    /// Complaint channels offered.
    pub complaint_channels: Vec<Channel>,
}

/// A staff account with its roles per unit.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// Database key.
    pub id: i64,
    /// Login name (case-insensitive unique).
    pub username: String,
    /// Display name.
    pub full_name: String,
    /// argon2id PHC string; never shown or logged.
    #[serde(skip)]
    pub password_hash: String,
    /// Disabled accounts cannot log in.
    pub active: bool,
    /// (unit id, role) pairs.
    pub roles: Vec<(i64, Role)>,
    /// System-level role: keeps the national holiday calendar and manages accounts
    /// that work in more than one unit. Granted only from the command line.
    pub system_admin: bool,
    /// Someone else (an admin) set the current password: the owner must choose a
    /// new one before the account can do anything else.
    pub must_change_password: bool,
}

impl User {
    /// The units this account holds any role in, each once, in id order.
    pub fn unit_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.roles.iter().map(|(u, _)| *u).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// What is needed to create a staff account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Display name.
    pub full_name: String,
    /// argon2id PHC string, already hashed.
    pub password_hash: String,
    /// (unit id, role) pairs.
    pub roles: Vec<(i64, Role)>,
}

/// A national holiday or collective leave day; working-day clocks skip it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Holiday {
    /// The day.
    pub day: NaiveDate,
    /// Name, e.g. "Hari Raya Idul Fitri 1447 H".
    pub name: String,
    /// `libur_nasional` or `cuti_bersama`.
    pub kind: String,
}

/// The complainant's identity and contact; personal data (UU 27/2022).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Complainant {
    /// Name as given.
    pub name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// 16-digit NIK, optional.
    pub nik: Option<String>,
}

/// A complaint as recorded by any channel, validated at the edge.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// Receiving unit.
    pub unit_id: i64,
    /// How it arrived.
    pub channel: Channel,
    /// Message-ID, SPAN-LAPOR! ID, SMS sender, post URL; makes re-imports no-ops.
    pub channel_ref: Option<String>,
    /// Extra channel detail (e.g. the LAPOR! sumber).
    pub channel_detail: Option<String>,
    /// Original date and time it reached the unit, not the typing time.
    pub received_at: DateTime<Utc>,
    /// Staff member who typed it in, if any.
    pub recorded_by: Option<i64>,
    /// Identity and contact.
    pub complainant: Complainant,
    /// Identity hidden from all but complaint managers.
    pub anonim: bool,
    /// Content never public.
    pub rahasia: bool,
    /// Short subject.
    pub subject: String,
    /// Full description.
    pub description: String,
    /// Where the event happened.
    pub event_place: Option<String>,
    /// When the event happened.
    pub event_date: Option<NaiveDate>,
    /// SP4N-LAPOR! classification.
    pub klasifikasi: Klasifikasi,
    /// Service concerned.
    pub service_id: Option<i64>,
}

/// What a citizen is told at once after a complaint is stored.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordedComplaint {
    /// Database key.
    pub id: i64,
    /// The per-unit, per-year nomor agenda, e.g. `ADU/2026/000123`.
    pub nomor_agenda: String,
    /// Unguessable code for the public tracking page.
    pub tracking_code: String,
    /// False when the channel reference was already recorded (a re-import).
    pub created: bool,
}

/// One entry of a complaint's control card (kartu kendali).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplaintEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (None for the system or the citizen).
    pub actor_id: Option<i64>,
    /// What happened: `diterima`, `status`, `assign`, `note`, ...
    pub kind: String,
    /// Status before, for status changes.
    pub from_status: Option<String>,
    /// Status after, for status changes.
    pub to_status: Option<String>,
    /// Free-text note.
    pub note: String,
}

/// The public view of a complaint: status only, no personal data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplaintStatusView {
    /// Database key, for loading the timeline; never shown.
    #[serde(skip)]
    pub complaint_id: i64,
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// Unit code.
    pub unit_code: String,
    /// Current status key.
    pub status: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Subject, unless the complaint is rahasia.
    pub subject: Option<String>,
}

/// An SKM element as stored (identity by key, never by position).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurveyElement {
    /// Database key.
    pub id: i64,
    /// Stable key, e.g. `persyaratan`.
    pub key: String,
    /// Questionnaire code, e.g. `U1`.
    pub code: String,
    /// Questionnaire position.
    pub position: i64,
    /// Name of the unsur.
    pub name: String,
}

/// A survey rule set with its elements.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurveyRuleSet {
    /// Database key.
    pub id: i64,
    /// Stable code, e.g. `permenpan-rb-14-2017`.
    pub code: String,
    /// Short name.
    pub name: String,
    /// Whether new surveys use it.
    pub is_default: bool,
    /// Elements in questionnaire order.
    pub elements: Vec<SurveyElement>,
}

impl SurveyRuleSet {
    /// `rules` as the migrations seed it (element ids and positions numbered from 1),
    /// for tools and tests that check survey files without a database.
    pub fn seeded(id: i64, rules: &analytics::RuleSet, is_default: bool) -> SurveyRuleSet {
        SurveyRuleSet {
            id,
            code: rules.id.clone(),
            name: rules.name.clone(),
            is_default,
            elements: rules
                .elements
                .iter()
                .zip(1..)
                .map(|(e, n)| SurveyElement {
                    id: n,
                    key: e.key.clone(),
                    code: e.code.clone(),
                    position: n,
                    name: e.name.clone(),
                })
                .collect(),
        }
    }
}

/// The optional respondent profile (all fields optional to the respondent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RespondentProfile {
    /// `L` or `P`.
    pub jenis_kelamin: Option<String>,
    /// Age in years.
    pub umur: Option<i64>,
    /// Education level.
    pub pendidikan: Option<String>,
    /// Occupation group.
    pub pekerjaan: Option<String>,
}

/// One survey response, validated at the edge.
#[derive(Debug, Clone)]
pub struct NewSurveyResponse {
    /// Unit surveyed.
    pub unit_id: i64,
    /// Service received.
    pub service_id: Option<i64>,
    /// Rule set the questionnaire follows.
    pub rule_set_id: i64,
    /// Day of the service.
    pub responded_on: NaiveDate,
    /// How it was collected.
    pub source: SurveySource,
    /// Import key that makes re-imports no-ops.
    pub import_key: Option<String>,
    /// Score 1-4 per answered element, keyed by the element's stable key
    /// (e.g. `persyaratan`); unanswered elements are absent.
    pub scores: std::collections::BTreeMap<String, i64>,
    /// Respondent profile.
    pub profile: RespondentProfile,
    /// Free-text suggestion.
    pub saran: Option<String>,
}

/// Row counts, for `/readyz`-style checks, the demo loader and tests.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Units.
    pub units: i64,
    /// Services.
    pub services: i64,
    /// Staff accounts.
    pub users: i64,
    /// Complaints.
    pub complaints: i64,
    /// Control-card entries.
    pub complaint_events: i64,
    /// Survey responses.
    pub survey_responses: i64,
}

/// A complaint produced in bulk (demo data, later large imports), with its history.
#[derive(Debug, Clone)]
pub struct BulkComplaint {
    /// The complaint as received.
    pub complaint: NewComplaint,
    /// Nomor agenda counter value, assigned by the caller in received order.
    pub agenda_number: i64,
    /// Year of the nomor agenda.
    pub agenda_year: i64,
    /// The nomor agenda, formatted with the unit's template.
    pub nomor_agenda: String,
    /// Tracking code.
    pub tracking_code: String,
    /// Final classification.
    pub division_id: Option<i64>,
    /// Final jenis key (from the unit's list).
    pub jenis_key: Option<String>,
    /// Severity.
    pub bobot: Option<Bobot>,
    /// Current status.
    pub status: String,
    /// First answer time.
    pub first_answered_at: Option<DateTime<Utc>>,
    /// Answer time.
    pub answered_at: Option<DateTime<Utc>>,
    /// Closing time.
    pub closed_at: Option<DateTime<Utc>>,
    /// Due time.
    pub due_at: Option<DateTime<Utc>>,
    /// Control-card entries in order.
    pub events: Vec<ComplaintEvent>,
}

/// A logged-in staff session as the server sees it on each request.
#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 of the cookie token (the token itself is never stored).
    pub token_hash: String,
    /// The account.
    pub user: User,
    /// Synchronizer token every state-changing form must echo.
    pub csrf_token: String,
    /// When it lapses unless used.
    pub expires_at: DateTime<Utc>,
}

/// What is needed to open a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the cookie token.
    pub token_hash: String,
    /// The account.
    pub user_id: i64,
    /// CSRF synchronizer token.
    pub csrf_token: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Client address at login.
    pub ip: String,
    /// Browser at login.
    pub user_agent: String,
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (None for the system or an API token).
    pub user_id: Option<i64>,
    /// Their login name, for display.
    pub username: Option<String>,
    /// Which unit's data.
    pub unit_id: Option<i64>,
    /// What, e.g. `complaint.identity_viewed`, `user.created`, `export.complaints`.
    pub action: String,
    /// Kind of thing acted on.
    pub entity: String,
    /// Its id.
    pub entity_id: String,
    /// Free detail (never a password or token).
    pub detail: String,
    /// Client address.
    pub ip: String,
}

/// A per-unit API token for integrations (the secret is shown once and stored hashed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiToken {
    /// Database key.
    pub id: i64,
    /// Unit the token acts for.
    pub unit_id: i64,
    /// Label given by the admin.
    pub name: String,
    /// Granted scopes, e.g. `complaints:read`.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revocation time; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A complaint as the staff list shows it, identity included only when loaded for a
/// role that may see it (see `web::staff`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplaintSummary {
    /// Database key.
    pub id: i64,
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// Channel key.
    pub channel: String,
    /// Original received time.
    pub received_at: DateTime<Utc>,
    /// Subject.
    pub subject: String,
    /// Status key.
    pub status: String,
    /// Bobot key, once classified.
    pub bobot: Option<String>,
    /// Jenis name, once classified.
    pub jenis: Option<String>,
    /// Service name.
    pub service: Option<String>,
    /// Due time, once set.
    pub due_at: Option<DateTime<Utc>>,
    /// Identity hidden from all but complaint managers.
    pub anonim: bool,
    /// Content never public.
    pub rahasia: bool,
}

/// One complaint in full, for the staff detail page and exports.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComplaintRecord {
    /// The list fields.
    #[serde(flatten)]
    pub summary: ComplaintSummary,
    /// Owning unit.
    pub unit_id: i64,
    /// Description.
    pub description: String,
    /// Klasifikasi key.
    pub klasifikasi: String,
    /// Place of the event.
    pub event_place: Option<String>,
    /// Date of the event.
    pub event_date: Option<NaiveDate>,
    /// Channel reference.
    pub channel_ref: Option<String>,
    /// Identity and contact (personal data).
    #[serde(skip)]
    pub complainant: Complainant,
}

/// A page of a unit's complaints, with the filter that made it.
#[derive(Debug, Clone, Default)]
pub struct ComplaintQuery {
    /// Words that must appear in the subject or description.
    pub text: Option<String>,
    /// Status key.
    pub status: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// Which survey responses to load for analytics.
#[derive(Debug, Clone)]
pub struct SurveyFilter {
    /// Rule set code (`permenpan-rb-14-2017`); responses of other rule sets are left out.
    pub rule_set: String,
    /// Element keys of that rule set, in questionnaire order (the column order).
    pub element_keys: Vec<String>,
    /// Only this unit, or all.
    pub unit_id: Option<i64>,
    /// First day included.
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
}

impl SurveyFilter {
    /// The responses of `rule_set` (its code and element order) in a unit and range.
    pub fn of(
        rule_set: &analytics::RuleSet,
        unit_id: Option<i64>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Self {
        SurveyFilter {
            rule_set: rule_set.id.clone(),
            element_keys: rule_set.element_keys().iter().map(|k| k.to_string()).collect(),
            unit_id,
            from,
            to,
        }
    }
}

/// Which outbound transport an outbox row uses.
pub const OUTBOX_CHANNELS: &[&str] = &["email", "sms", "whatsapp"];

/// A message to send later, through the outbox, so that a crash never loses or
/// doubles it: it is written in the same transaction as the change that causes it.
///
/// When handed to [`crate::storage::Store::record_complaint_notifying`], the
/// placeholders `{nomor_agenda}`, `{tracking_code}` and `{complaint_id}` in subject,
/// body, header values and dedupe key are replaced by the stored complaint's values
/// inside the transaction (the number is only known there).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbox {
    /// Sending unit (its channel settings pick the transport).
    pub unit_id: Option<i64>,
    /// The complaint it concerns, if any.
    pub complaint_id: Option<i64>,
    /// `email`, `sms` or `whatsapp` (see [`OUTBOX_CHANNELS`]).
    pub channel: String,
    /// Address or phone number.
    pub recipient: String,
    /// Email subject.
    pub subject: Option<String>,
    /// Plain-text body.
    pub body: String,
    /// Extra headers (email: `Message-ID`, `In-Reply-To`, `References`, ...).
    pub headers: std::collections::BTreeMap<String, String>,
    /// Unique per intended message: enqueueing the same key twice sends once.
    pub dedupe_key: String,
}

/// An outbox row claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// Database key.
    pub id: i64,
    /// Sending unit.
    pub unit_id: Option<i64>,
    /// The complaint it concerns.
    pub complaint_id: Option<i64>,
    /// `email`, `sms` or `whatsapp`.
    pub channel: String,
    /// Address or phone number.
    pub recipient: String,
    /// Email subject.
    pub subject: Option<String>,
    /// Plain-text body.
    pub body: String,
    /// Extra headers.
    pub headers: std::collections::BTreeMap<String, String>,
    /// Dedupe key.
    pub dedupe_key: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    /// Last failure.
    pub last_error: Option<String>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// The token of the claim that last took it; only that claim may record its result.
    pub claim_token: Option<String>,
}

/// One message on a complaint's thread: the original, a citizen's reply, or what the
/// unit sent back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplaintMessage {
    /// Database key (0 for one not stored yet).
    pub id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// `in` (from the citizen) or `out` (from the unit).
    pub direction: String,
    /// Channel key.
    pub channel: String,
    /// When it was sent or received.
    pub at: DateTime<Utc>,
    /// Sender address or number.
    pub sender: String,
    /// Subject, if the channel has one.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Email Message-ID or gateway message id; unique per channel, so a redelivery
    /// is a no-op.
    pub message_ref: Option<String>,
}

/// A unit's settings for one channel (IMAP mailbox, SMTP, SMS/WhatsApp gateway), as
/// a JSON object whose shape the channel's module owns.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSettings {
    /// The unit.
    pub unit_id: i64,
    /// Channel key (`email`, `sms`, `whatsapp`, ...).
    pub channel: String,
    /// The channel module's settings.
    pub config: serde_json::Value,
    /// Whether the channel is live.
    pub enabled: bool,
}

/// A file attached to a complaint (a scan, a photo, an email attachment), checked at
/// the edge: its type comes from its content, never from its name.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment {
    /// The complaint.
    pub complaint_id: i64,
    /// The thread message it came with (an email), if any.
    pub message_id: Option<i64>,
    /// Name as given (shown, never trusted).
    pub filename: String,
    /// Media type sniffed from the content.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// An attachment's description, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttachmentInfo {
    /// Database key.
    pub id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// Name as given.
    pub filename: String,
    /// Sniffed media type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// What is stored with a new complaint in its own transaction (see
/// [`crate::storage::Store::record_complaint_with`]). The `complaint_id` fields inside
/// are ignored: the new complaint's id is used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComplaintExtras {
    /// The original message (an email), first on the thread; attachments without a
    /// `message_id` are linked to it.
    pub first_message: Option<ComplaintMessage>,
    /// Files that came with the complaint, type already sniffed from their content.
    pub attachments: Vec<NewAttachment>,
    /// Acknowledgements to queue.
    pub notify: Vec<NewOutbox>,
    /// The client's retry key (issue 22): a complaint already filed under it is
    /// returned instead of a second one, and a new complaint stores it in the same
    /// transaction.
    pub idempotency: Option<IdempotencyKey>,
}

/// A retry key of complaint intake: the JSON API's `Idempotency-Key` header or a
/// complaint form's one-time token, so a client that lost the answer can send the
/// same request again and get the first result (see `intake::idempotency`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Who may reuse it: `api`, `form`, or a narrower scope (an API token).
    pub scope: String,
    /// The key the client sent.
    pub key: String,
    /// SHA-256 (hex) of the request: the same key with another request is refused.
    pub fingerprint: String,
}

// --- SPAN-LAPOR! import (issue 5) ---

/// One follow-up (tindak lanjut) of a LAPOR! report, stored as an outgoing thread
/// message keyed by `message_ref`, so a re-import of the same text adds nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct LaporFollowUp {
    /// Unique per unit, report and text (`lapor:{unit}:{tracking id}:{hash}`).
    pub message_ref: String,
    /// When LAPOR! says it was written, if the export says.
    pub at: Option<DateTime<Utc>>,
    /// The text as exported.
    pub text: String,
}

/// A LAPOR! report read from an export row and checked at the edge, ready to be
/// stored as a complaint (channel `span_lapor`, channel_ref = tracking ID) or to
/// update the complaint imported from it before.
#[derive(Debug, Clone)]
pub struct LaporReport {
    /// The complaint as it would be recorded when new.
    pub complaint: NewComplaint,
    /// The LAPOR! tracking ID (digits), also `complaint.channel_ref`.
    pub tracking_id: String,
    /// The status text exactly as exported ("" when the export has no status).
    pub lapor_status: String,
    /// That status in our vocabulary.
    pub status: crate::domain::ComplaintStatus,
    /// LAPOR! category (topic path), kept as given.
    pub kategori: Option<String>,
    /// Target agency (instansi tujuan), kept as given.
    pub instansi: Option<String>,
    /// The agency's follow-ups, oldest first, without duplicates.
    pub follow_ups: Vec<LaporFollowUp>,
}

/// What an import did (or, in a dry run, would do) with one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LaporOutcome {
    /// Stored as a new complaint (ids are None in a dry run).
    New {
        /// The new complaint.
        complaint_id: Option<i64>,
        /// Its nomor agenda.
        nomor_agenda: Option<String>,
    },
    /// The complaint imported before got a new status and/or follow-ups.
    Updated {
        /// The existing complaint.
        complaint_id: i64,
        /// LAPOR! status text before and after, when it changed.
        status_change: Option<(String, String)>,
        /// Follow-ups not seen before.
        new_follow_ups: usize,
    },
    /// Already imported exactly like this: nothing written.
    Unchanged {
        /// The existing complaint.
        complaint_id: i64,
    },
}

/// The LAPOR! side of an imported complaint, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaporLink {
    /// The complaint.
    pub complaint_id: i64,
    /// LAPOR! tracking ID.
    pub tracking_id: String,
    /// Status text as last imported.
    pub lapor_status: String,
    /// Category.
    pub kategori: Option<String>,
    /// Target agency.
    pub instansi: Option<String>,
}

/// How far one IMAP mailbox has been read (email channel). UIDs only mean something
/// within one UIDVALIDITY, so both are kept together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxCursor {
    /// The mailbox's stable name, `user@host:port/folder`.
    pub mailbox: String,
    /// The folder's UIDVALIDITY when `last_uid` was read.
    pub uid_validity: i64,
    /// The highest UID stored (or deliberately passed over).
    pub last_uid: i64,
}

// ---- Survey intake (issue 7) ----

/// One question of a rule set as a respondent reads it: wording and the four answers
/// (score 1 to 4) come from the `survey_elements` rows, never from positions in code.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurveyQuestion {
    /// Stable element key, the name of the form field and the key in `scores`.
    pub key: String,
    /// Questionnaire code, e.g. `U1`.
    pub code: String,
    /// Name of the unsur.
    pub name: String,
    /// The question as asked.
    pub question: String,
    /// The answers for scores 1, 2, 3 and 4.
    pub answers: [String; 4],
}

/// A response with who or what collected it, for [`super::Store::record_survey_batch`].
#[derive(Debug, Clone)]
pub struct SurveyIntake {
    /// The response itself.
    pub response: NewSurveyResponse,
    /// The kiosk it came from (source `kiosk`).
    pub kiosk_id: Option<i64>,
    /// The staff member who typed it in (paper forms, imports).
    pub entered_by: Option<i64>,
}

impl From<NewSurveyResponse> for SurveyIntake {
    fn from(response: NewSurveyResponse) -> Self {
        SurveyIntake {
            response,
            kiosk_id: None,
            entered_by: None,
        }
    }
}

/// A registered counter tablet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Kiosk {
    /// Database key.
    pub id: i64,
    /// Unit it serves.
    pub unit_id: i64,
    /// Where it stands, e.g. "Loket 2".
    pub name: String,
    /// The service it asks about, when it stands at one service's counter.
    pub service_id: Option<i64>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One stored response as the interchange layout writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedResponse {
    /// Day of the service.
    pub responded_on: NaiveDate,
    /// Service name (empty when none was named).
    pub service: String,
    /// Scores keyed by element key.
    pub scores: std::collections::BTreeMap<String, i64>,
    /// Respondent profile.
    pub profile: RespondentProfile,
    /// Free-text suggestion.
    pub saran: Option<String>,
    /// How it was collected (`web`, `kiosk`, `paper`, ...).
    pub source: String,
    /// The kiosk it came from, if any.
    pub kiosk_id: Option<i64>,
}
