//! The complaint form: one set of fields and one validation for every edge (public
//! web form, staff entry, JSON API), so each channel yields the same Buku Pengaduan
//! record. `parse` at the edge: a [`ValidComplaint`] can only hold valid data.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Channel, Klasifikasi};
use crate::storage::model::{Complainant, NewComplaint, Service, Unit};

/// Who fills the form in: a citizen on the web, or staff typing in what came by
/// another channel (who also give the channel, when it arrived and its reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filer {
    /// The public form or the API: channel `website`, received now.
    Citizen,
    /// Staff entry for a paper, phone, in-person or social-media complaint.
    Staff {
        /// The staff member's account.
        user_id: i64,
    },
}

/// Channels staff record by hand (the others arrive by themselves).
pub const STAFF_CHANNELS: &[Channel] = &[
    Channel::KotakSaran,
    Channel::Surat,
    Channel::TatapMuka,
    Channel::Telepon,
    Channel::Fax,
    Channel::Sms,
    Channel::Whatsapp,
    Channel::MediaSosial,
    Channel::SpanLapor,
];

/// How the citizen wants the nomor agenda sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyBy {
    /// By email.
    Email,
    /// By SMS.
    Sms,
    /// By WhatsApp.
    Whatsapp,
}

impl NotifyBy {
    /// The outbox channel key.
    pub fn key(self) -> &'static str {
        match self {
            NotifyBy::Email => "email",
            NotifyBy::Sms => "sms",
            NotifyBy::Whatsapp => "whatsapp",
        }
    }
}

/// The raw fields as any edge receives them: strings, untrusted, all optional.
/// Serialized only to fingerprint a request for its idempotency key.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ComplaintInput {
    /// `pengaduan`, `aspirasi` or `permintaan_informasi`.
    pub klasifikasi: String,
    /// Short subject.
    pub subject: String,
    /// What happened.
    pub description: String,
    /// The service concerned: its id or code in the unit's catalog.
    pub service: String,
    /// Where it happened.
    pub event_place: String,
    /// When it happened (`YYYY-MM-DD`).
    pub event_date: String,
    /// Complainant's name.
    pub name: String,
    /// Phone or WhatsApp number.
    pub phone: String,
    /// Email address.
    pub email: String,
    /// Postal address.
    pub address: String,
    /// NIK (16 digits), optional.
    pub nik: String,
    /// Hide identity from everyone but the complaint managers (checkbox: any value).
    pub anonim: Option<String>,
    /// Keep the content off every public page (checkbox: any value).
    pub rahasia: Option<String>,
    /// `email`, `sms`, `whatsapp`, or empty: where to send the nomor agenda.
    pub notify: String,
    /// Staff only: the channel key it came by.
    pub channel: String,
    /// Staff only: the day it was received (`YYYY-MM-DD`, the unit's local date).
    pub received_date: String,
    /// Staff only: the time it was received (`HH:MM`, local), optional.
    pub received_time: String,
    /// Staff only: the channel's reference (letter number, post URL, sender number).
    pub channel_ref: String,
}

/// A form field and what is wrong with it (a locale key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name in [`ComplaintInput`].
    pub field: &'static str,
    /// The locale key of the message.
    pub message: &'static str,
}

/// A complaint that passed validation, ready to store.
#[derive(Debug, Clone)]
pub struct ValidComplaint {
    /// The record.
    pub complaint: NewComplaint,
    /// Where to send the nomor agenda, if anywhere.
    pub notify: Option<(NotifyBy, String)>,
}

/// Limits on the text fields (characters).
pub mod limits {
    /// Shortest subject.
    pub const SUBJECT_MIN: usize = 5;
    /// Longest subject.
    pub const SUBJECT_MAX: usize = 200;
    /// Shortest description.
    pub const DESCRIPTION_MIN: usize = 10;
    /// Longest description.
    pub const DESCRIPTION_MAX: usize = 10_000;
    /// Longest name, place, address or reference.
    pub const SHORT_MAX: usize = 300;
}

/// Text as every edge stores it: line ends as `\n`, no control characters but
/// newline and tab, then trimmed (so a text of only control characters and spaces is
/// empty; the web form, email, gateway, survey and LAPOR! intake all use it).
pub fn clean(text: &str) -> String {
    let kept: String = text
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    kept.trim().to_owned()
}

fn optional(text: &str) -> Option<String> {
    let t = clean(text);
    (!t.is_empty()).then_some(t)
}

/// An Indonesian phone number in one form (`08...`), from `+62 812-...`, `62812...`,
/// `0062 812...`, `+62 (0)812...` or `0812 ...`; None when it is not one. Every
/// edge (web form, staff entry, the generic gateway, every native provider) stores
/// this form, so one person is one number for threading and duplicate detection.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if raw.chars().any(|c| !(c.is_ascii_digit() || " +-().".contains(c))) {
        return None;
    }
    // `00` is the international prefix dialled from Indonesia: `0062...` is `+62...`.
    let international = digits.strip_prefix("00").filter(|d| d.starts_with("62"));
    let local = if let Some(rest) = international.unwrap_or(&digits).strip_prefix("62") {
        // `+62 (0)812...`: the trunk zero written after the country code is dropped.
        format!("0{}", rest.strip_prefix('0').unwrap_or(rest))
    } else {
        digits
    };
    (local.starts_with('0') && !local.starts_with("00") && (9..=15).contains(&local.len())).then_some(local)
}

/// A number in the stored form (`08...`) written as providers that want the
/// country code expect it (`628...`); a number already without the trunk zero is
/// returned as its digits.
pub fn phone_international(local: &str) -> String {
    match normalize_phone(local) {
        Some(n) => format!("62{}", &n[1..]),
        None => local.chars().filter(|c| c.is_ascii_digit()).collect(),
    }
}

impl ComplaintInput {
    /// Validates every field at once (so the form can show all problems together) and
    /// builds the record. `now` is the time of receipt for citizens and the upper
    /// bound for dates staff enter.
    pub fn validate(
        &self,
        unit: &Unit,
        services: &[Service],
        filer: Filer,
        now: DateTime<Utc>,
    ) -> Result<ValidComplaint, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field, message| errors.push(FieldError { field, message });
        let zone: chrono_tz::Tz = unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
        let today = now.with_timezone(&zone).date_naive();

        let klasifikasi = if self.klasifikasi.trim().is_empty() {
            Klasifikasi::Pengaduan
        } else {
            Klasifikasi::parse(&self.klasifikasi).unwrap_or_else(|_| {
                err("klasifikasi", "intake.error.klasifikasi");
                Klasifikasi::Pengaduan
            })
        };
        let subject = clean(&self.subject);
        let subject_len = subject.chars().count();
        if subject_len < limits::SUBJECT_MIN {
            err("subject", "intake.error.subject_short");
        } else if subject_len > limits::SUBJECT_MAX {
            err("subject", "intake.error.subject_long");
        }
        let description = clean(&self.description);
        let description_len = description.chars().count();
        if description_len < limits::DESCRIPTION_MIN {
            err("description", "intake.error.description_short");
        } else if description_len > limits::DESCRIPTION_MAX {
            err("description", "intake.error.description_long");
        }
        let service_id = match self.service.trim() {
            "" => None,
            wanted => match services.iter().find(|s| s.id.to_string() == wanted || s.code == wanted) {
                Some(s) => Some(s.id),
                None => {
                    err("service", "intake.error.service");
                    None
                }
            },
        };
        let event_date = match self.event_date.trim() {
            "" => None,
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(d) if d > today => {
                    err("event_date", "intake.error.date_future");
                    None
                }
                Ok(d) if d.year_ce().1 < 1990 => {
                    err("event_date", "intake.error.date");
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    err("event_date", "intake.error.date");
                    None
                }
            },
        };
        let mut too_long = |field: &'static str, value: &Option<String>| {
            if value.as_ref().is_some_and(|v| v.chars().count() > limits::SHORT_MAX) {
                err(field, "intake.error.too_long");
            }
        };
        let event_place = optional(&self.event_place);
        too_long("event_place", &event_place);
        let name = optional(&self.name);
        too_long("name", &name);
        let address = optional(&self.address);
        too_long("address", &address);
        let channel_ref = optional(&self.channel_ref);
        too_long("channel_ref", &channel_ref);
        let phone = match self.phone.trim() {
            "" => None,
            raw => {
                let p = normalize_phone(raw);
                if p.is_none() {
                    err("phone", "intake.error.phone");
                }
                p
            }
        };
        let email = match self.email.trim() {
            "" => None,
            raw => {
                if raw.len() <= 254 && email_address::EmailAddress::is_valid(raw) && raw.contains('.') {
                    Some(raw.to_lowercase())
                } else {
                    err("email", "intake.error.email");
                    None
                }
            }
        };
        let nik = match self.nik.trim() {
            "" => None,
            raw => {
                if raw.len() == 16 && raw.chars().all(|c| c.is_ascii_digit()) {
                    Some(raw.to_owned())
                } else {
                    err("nik", "intake.error.nik");
                    None
                }
            }
        };
        let notify = match self.notify.trim() {
            "" | "none" => None,
            "email" => match &email {
                Some(e) => Some((NotifyBy::Email, e.clone())),
                None => {
                    err("notify", "intake.error.notify_email");
                    None
                }
            },
            "sms" | "whatsapp" => match &phone {
                Some(p) => Some((
                    if self.notify.trim() == "sms" {
                        NotifyBy::Sms
                    } else {
                        NotifyBy::Whatsapp
                    },
                    p.clone(),
                )),
                None => {
                    err("notify", "intake.error.notify_phone");
                    None
                }
            },
            _ => {
                err("notify", "intake.error.notify");
                None
            }
        };

        let (channel, received_at, recorded_by) = match filer {
            Filer::Citizen => (Channel::Website, now, None),
            Filer::Staff { user_id } => {
                let channel = match Channel::parse(&self.channel) {
                    Ok(c) if STAFF_CHANNELS.contains(&c) => Some(c),
                    _ => {
                        err("channel", "intake.error.channel");
                        None
                    }
                };
                let date = NaiveDate::parse_from_str(self.received_date.trim(), "%Y-%m-%d").ok();
                let time = match self.received_time.trim() {
                    "" => Some(NaiveTime::MIN),
                    raw => NaiveTime::parse_from_str(raw, "%H:%M").ok(),
                };
                let received = match (date, time) {
                    (Some(d), Some(t)) => zone
                        .from_local_datetime(&NaiveDateTime::new(d, t))
                        .earliest()
                        .map(|local| local.with_timezone(&Utc)),
                    _ => None,
                };
                let received = match received {
                    Some(r) if r > now + chrono::Duration::minutes(5) => {
                        err("received_date", "intake.error.date_future");
                        None
                    }
                    Some(r) if r.with_timezone(&zone).date_naive().year_ce().1 < 2000 => {
                        err("received_date", "intake.error.date");
                        None
                    }
                    None => {
                        err("received_date", "intake.error.received");
                        None
                    }
                    r => r,
                };
                (
                    channel.unwrap_or(Channel::KotakSaran),
                    received.unwrap_or(now),
                    Some(user_id),
                )
            }
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidComplaint {
            complaint: NewComplaint {
                unit_id: unit.id,
                channel,
                channel_ref: if matches!(filer, Filer::Staff { .. }) {
                    channel_ref
                } else {
                    None
                },
                channel_detail: None,
                received_at,
                recorded_by,
                complainant: Complainant {
                    name,
                    phone,
                    email,
                    address,
                    nik,
                },
                anonim: self.anonim.as_deref().is_some_and(|v| !v.is_empty() && v != "false"),
                rahasia: self.rahasia.as_deref().is_some_and(|v| !v.is_empty() && v != "false"),
                subject,
                description,
                event_place,
                event_date,
                klasifikasi,
                service_id,
            },
            notify,
        })
    }
}

use chrono::Datelike as _;

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> Unit {
        Unit {
            id: 7,
            code: "dinsos".into(),
            name: "Dinas Sosial".into(),
            short_name: "Dinsos".into(),
            address: String::new(),
            city: String::new(),
            phone: String::new(),
            email: "pengaduan@dinsos.go.id".into(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec![],
            head_title: String::new(),
            head_name: String::new(),
            head_nip: String::new(),
            agenda_format: "ADU/{year}/{number:06}".into(),
            complaint_channels: vec![],
        }
    }

    fn good() -> ComplaintInput {
        ComplaintInput {
            subject: "Antrean terlalu lama".into(),
            description: "Saya menunggu tiga jam di loket pelayanan.".into(),
            phone: "+62 812-3456-7890".into(),
            notify: "whatsapp".into(),
            ..Default::default()
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
    }

    #[test]
    fn a_citizen_complaint_is_received_now_by_website() {
        let v = good().validate(&unit(), &[], Filer::Citizen, now()).unwrap();
        assert_eq!(v.complaint.channel, Channel::Website);
        assert_eq!(v.complaint.received_at, now());
        assert_eq!(v.complaint.complainant.phone.as_deref(), Some("081234567890"));
        assert_eq!(v.notify, Some((NotifyBy::Whatsapp, "081234567890".into())));
        assert_eq!(v.complaint.klasifikasi, Klasifikasi::Pengaduan);
        assert!(!v.complaint.anonim && !v.complaint.rahasia);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let input = ComplaintInput {
            klasifikasi: "gosip".into(),
            subject: "abc".into(),
            description: "pendek".into(),
            service: "999".into(),
            event_date: "2027-01-01".into(),
            phone: "halo".into(),
            email: "bukan-surel".into(),
            nik: "123".into(),
            notify: "email".into(),
            ..Default::default()
        };
        let errors = input.validate(&unit(), &[], Filer::Citizen, now()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "klasifikasi",
                "subject",
                "description",
                "service",
                "event_date",
                "phone",
                "email",
                "nik",
                "notify"
            ]
        );
        assert_eq!(errors[4].message, "intake.error.date_future");
    }

    #[test]
    fn staff_give_the_channel_and_the_local_received_time() {
        let input = ComplaintInput {
            channel: "kotak_saran".into(),
            received_date: "2026-11-20".into(),
            received_time: "09:15".into(),
            channel_ref: "KS-17".into(),
            ..good()
        };
        let v = input
            .validate(&unit(), &[], Filer::Staff { user_id: 3 }, now())
            .unwrap();
        assert_eq!(v.complaint.channel, Channel::KotakSaran);
        // 09:15 WIB is 02:15 UTC.
        assert_eq!(
            v.complaint.received_at,
            Utc.with_ymd_and_hms(2026, 11, 20, 2, 15, 0).unwrap()
        );
        assert_eq!(v.complaint.recorded_by, Some(3));
        assert_eq!(v.complaint.channel_ref.as_deref(), Some("KS-17"));
        let web = ComplaintInput {
            channel: "website".into(),
            ..input.clone()
        };
        let errors = web
            .validate(&unit(), &[], Filer::Staff { user_id: 3 }, now())
            .unwrap_err();
        assert_eq!(errors[0].field, "channel", "website complaints are filed by citizens");
        let future = ComplaintInput {
            received_date: "2026-11-23".into(),
            ..input
        };
        assert_eq!(
            future
                .validate(&unit(), &[], Filer::Staff { user_id: 3 }, now())
                .unwrap_err()[0]
                .message,
            "intake.error.date_future"
        );
    }

    #[test]
    fn citizens_cannot_set_a_channel_reference() {
        let input = ComplaintInput {
            channel_ref: "spoof".into(),
            channel: "span_lapor".into(),
            ..good()
        };
        let v = input.validate(&unit(), &[], Filer::Citizen, now()).unwrap();
        assert_eq!(v.complaint.channel_ref, None);
        assert_eq!(v.complaint.channel, Channel::Website);
    }

    #[test]
    fn phones_are_normalized_to_one_form() {
        assert_eq!(normalize_phone("0812 3456 7890").as_deref(), Some("081234567890"));
        assert_eq!(normalize_phone("6281234567890").as_deref(), Some("081234567890"));
        assert_eq!(normalize_phone("(0765) 123456").as_deref(), Some("0765123456"));
        assert_eq!(normalize_phone("12345"), None);
        // One person however the number is written (issue 19): every provider's form.
        for written in [
            "081234567890",
            "0812 3456 7890",
            "0812-3456-7890",
            "+62 812-3456-7890",
            "6281234567890",
            "+6281234567890",
            "006281234567890",
            "+62 (0)812 3456 7890",
        ] {
            assert_eq!(normalize_phone(written).as_deref(), Some("081234567890"), "{written}");
        }
        assert_eq!(
            normalize_phone("00812345678"),
            None,
            "an international prefix to no country"
        );
        assert_eq!(normalize_phone("6281234567890@s.whatsapp.net"), None);
        assert_eq!(phone_international("0812 3456 7890"), "6281234567890");
        assert_eq!(phone_international("+62 812 3456 7890"), "6281234567890");
        assert_eq!(normalize_phone("0812abc"), None);
    }
}
