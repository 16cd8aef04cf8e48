//! After a trial: what the clients were told against what the database and the SMTP
//! sink hold, per way in: acknowledged, stored, lost (acknowledged but not stored,
//! or stored differently), doubled (stored more than once).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use crate::clients::{Answer, Outcome, Way};

/// A direct connection to the trial's database, for reading what was stored.
pub enum Db {
    /// SQLite file.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Pg(PgPool),
}

/// Runs a query returning rows of `$ty` on either database.
macro_rules! fetch {
    ($db:expr, $ty:ty, $sql:expr $(, $bind:expr)*) => {
        match $db {
            Db::Sqlite(p) => sqlx::query_as::<_, $ty>($sql)$(.bind($bind))*.fetch_all(p).await.expect($sql),
            Db::Pg(p) => sqlx::query_as::<_, $ty>($sql)$(.bind($bind))*.fetch_all(p).await.expect($sql),
        }
    };
}

/// A stored complaint: subject, nomor agenda, tracking code, year, number.
type ComplaintRow = (String, String, String, i64, i64);

impl Db {
    /// Connects to the URL the server uses.
    pub async fn open(url: &str) -> Db {
        if url.starts_with("sqlite:") {
            Db::Sqlite(SqlitePool::connect(url).await.expect("open sqlite"))
        } else {
            Db::Pg(PgPool::connect(url).await.expect("open postgres"))
        }
    }

    /// The unit's complaints.
    pub async fn complaints(&self, unit_id: i64) -> Vec<ComplaintRow> {
        fetch!(
            self,
            ComplaintRow,
            "SELECT subject, nomor_agenda, tracking_code, agenda_year, agenda_number FROM complaints WHERE unit_id = $1",
            unit_id
        )
    }

    /// How many complaints have this subject.
    pub async fn complaints_with_subject(&self, subject: &str) -> i64 {
        fetch!(
            self,
            (i64,),
            "SELECT COUNT(*) FROM complaints WHERE subject = $1",
            subject
        )[0]
        .0
    }

    /// How many survey responses have this saran.
    pub async fn responses_with_saran(&self, saran: &str) -> i64 {
        fetch!(
            self,
            (i64,),
            "SELECT COUNT(*) FROM survey_responses WHERE saran = $1",
            saran
        )[0]
        .0
    }

    /// How many answers are queued for a complaint.
    pub async fn answers_queued(&self, complaint_id: i64) -> i64 {
        fetch!(
            self,
            (i64,),
            "SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE $1",
            format!("jawaban:{complaint_id}:%")
        )[0]
        .0
    }

    async fn saran(&self, unit_id: i64) -> Vec<(Option<String>,)> {
        fetch!(
            self,
            (Option<String>,),
            "SELECT saran FROM survey_responses WHERE unit_id = $1",
            unit_id
        )
    }

    async fn moves(&self, unit_id: i64) -> Vec<(i64,)> {
        fetch!(
            self,
            (i64,),
            "SELECT e.complaint_id FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id \
             WHERE c.unit_id = $1 AND e.to_status = 'ditindaklanjuti'",
            unit_id
        )
    }

    async fn answers(&self) -> Vec<(String,)> {
        fetch!(
            self,
            (String,),
            "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'jawaban:%'"
        )
    }

    /// Complaints with outbox rows after `after`.
    pub async fn outbox_complaints(&self, after: i64) -> Vec<i64> {
        fetch!(
            self,
            (i64,),
            "SELECT DISTINCT complaint_id FROM outbox WHERE id > $1 AND complaint_id IS NOT NULL",
            after
        )
        .into_iter()
        .map(|r| r.0)
        .collect()
    }

    /// Outbox rows not yet sent or given up.
    pub async fn outbox_pending(&self) -> i64 {
        fetch!(
            self,
            (i64,),
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
        )[0]
        .0
    }
}

/// Counts for one way in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests (or queued messages) the clients were told were accepted (or sent).
    pub acknowledged: u64,
    /// Distinct requests (or messages) found stored (or delivered).
    pub stored: u64,
    /// Acknowledged but not stored, or stored with another result than was told.
    pub lost: u64,
    /// Extra copies stored (or distinct messages delivered for one outbox row).
    pub doubled: u64,
    /// Requests whose first answer was lost in the crash and that were sent again.
    pub retried: u64,
    /// Requests never answered, even after the restart.
    pub unanswered: u64,
    /// Mail only: repeats of one Message-ID (allowed: at-least-once, dedupable).
    pub redelivered: u64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.acknowledged += o.acknowledged;
        self.stored += o.stored;
        self.lost += o.lost;
        self.doubled += o.doubled;
        self.retried += o.retried;
        self.unanswered += o.unanswered;
        self.redelivered += o.redelivered;
    }
}

/// Tallies per way in, plus the outbox-to-SMTP path (`mail`).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Per way.
    pub ways: BTreeMap<Way, Tally>,
    /// Outbox rows against what reached the SMTP sink.
    pub mail: Tally,
    /// Nomor agenda sequences with a gap or a repeat (must stay 0).
    pub agenda_faults: u64,
}

impl std::ops::AddAssign<&Report> for Report {
    fn add_assign(&mut self, o: &Report) {
        for (way, t) in &o.ways {
            *self.ways.entry(*way).or_default() += *t;
        }
        self.mail += o.mail;
        self.agenda_faults += o.agenda_faults;
    }
}

impl Report {
    /// True when nothing was lost, doubled or left unanswered, and numbers are gapless.
    pub fn clean(&self) -> bool {
        self.agenda_faults == 0
            && self.mail.lost == 0
            && self.mail.doubled == 0
            && self
                .ways
                .values()
                .all(|t| t.lost == 0 && t.doubled == 0 && t.unanswered == 0)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<16} {:>12} {:>8} {:>6} {:>8} {:>8} {:>11} {:>12}",
            "path", "acknowledged", "stored", "lost", "doubled", "retried", "unanswered", "redelivered"
        )?;
        let rows = Way::ALL
            .iter()
            .map(|w| (w.name(), self.ways.get(w).copied().unwrap_or_default()))
            .chain(std::iter::once(("outbox-smtp", self.mail)));
        for (name, t) in rows {
            writeln!(
                f,
                "{:<16} {:>12} {:>8} {:>6} {:>8} {:>8} {:>11} {:>12}",
                name, t.acknowledged, t.stored, t.lost, t.doubled, t.retried, t.unanswered, t.redelivered
            )?;
        }
        write!(f, "nomor agenda gaps or repeats: {}", self.agenda_faults)
    }
}

/// Compares the outcomes of a trial with the database.
pub async fn requests(db: &Db, unit_id: i64, outcomes: &[Outcome]) -> Report {
    let mut by_subject: HashMap<String, Vec<ComplaintRow>> = HashMap::new();
    let complaints = db.complaints(unit_id).await;
    for row in &complaints {
        by_subject.entry(row.0.clone()).or_default().push(row.clone());
    }
    let mut saran: HashMap<String, u64> = HashMap::new();
    for (s,) in db.saran(unit_id).await {
        *saran.entry(s.unwrap_or_default()).or_default() += 1;
    }
    let mut moves: HashMap<i64, u64> = HashMap::new();
    for (id,) in db.moves(unit_id).await {
        *moves.entry(id).or_default() += 1;
    }
    let mut answers: HashMap<i64, u64> = HashMap::new();
    for (key,) in db.answers().await {
        if let Some(id) = key.split(':').nth(1).and_then(|id| id.parse().ok()) {
            *answers.entry(id).or_default() += 1;
        }
    }
    let mut report = Report::default();
    for o in outcomes {
        let subject = format!("Uji {}", o.marker);
        let rows = match o.way {
            Way::Api | Way::Form => by_subject.get(&subject).map_or(0, Vec::len) as u64,
            Way::Survey => saran.get(&subject).copied().unwrap_or(0),
            Way::Move => moves.get(&o.target.unwrap()).copied().unwrap_or(0),
            Way::Answer => answers.get(&o.target.unwrap()).copied().unwrap_or(0),
        };
        let t = report.ways.entry(o.way).or_default();
        t.stored += u64::from(rows > 0);
        t.doubled += rows.saturating_sub(1);
        t.retried += u64::from(o.retried);
        match &o.answer {
            Answer::Acked(told) => {
                t.acknowledged += 1;
                let matches = match o.way {
                    Way::Api => by_subject.get(&subject).is_some_and(|r| r.iter().any(|r| &r.1 == told)),
                    Way::Form => by_subject.get(&subject).is_some_and(|r| r.iter().any(|r| &r.2 == told)),
                    _ => true,
                };
                if rows == 0 || !matches {
                    t.lost += 1;
                }
            }
            Answer::Refused => {}
            Answer::None => t.unanswered += 1,
        }
    }
    report.agenda_faults = agenda_faults(&complaints);
    report
}

/// Nomor agenda numbers per year that are not exactly 1..=n.
fn agenda_faults(complaints: &[ComplaintRow]) -> u64 {
    let mut per_year: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in complaints {
        per_year.entry(row.3).or_default().push(row.4);
    }
    per_year
        .values_mut()
        .map(|numbers| {
            numbers.sort_unstable();
            numbers.iter().enumerate().filter(|(i, n)| **n != *i as i64 + 1).count() as u64
        })
        .sum()
}

/// The Message-ID header of a raw message, as sent.
fn message_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.split('\n').find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("message-id")
            .then(|| value.trim().to_owned())
    })
}

/// Every outbox row of `complaint_ids` against the SMTP sink: each must arrive, with
/// its own stable Message-ID; copies of one Message-ID are counted as redelivered.
pub fn mail(queued: &[(String, String)], sink: &[Vec<u8>]) -> Tally {
    let mut copies: HashMap<String, u64> = HashMap::new();
    for raw in sink {
        if let Some(id) = message_id(raw) {
            *copies.entry(id).or_default() += 1;
        }
    }
    let mut t = Tally::default();
    for (status, id) in queued {
        let n = copies.get(id).copied().unwrap_or(0);
        t.acknowledged += u64::from(status == "sent");
        t.stored += u64::from(n > 0);
        t.lost += u64::from(n == 0);
        t.redelivered += n.saturating_sub(1);
    }
    t
}

/// Messages in the sink whose Message-ID is no outbox row's: a second, different
/// message for something already sent (must stay 0).
pub fn unknown_messages(known: &std::collections::HashSet<String>, sink: &[Vec<u8>]) -> u64 {
    sink.iter()
        .filter(|raw| message_id(raw).is_none_or(|id| !known.contains(&id)))
        .count() as u64
}
