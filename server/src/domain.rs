//! Domain vocabulary shared by every channel, page and store.
//!
//! Each enum here is the single place where a word of ../shared/domain/PENGADUAN.md
//! becomes a Rust value. Values cross the storage boundary as the stable lowercase
//! keys below (never as positions), so a database written today reads the same
//! after a variant is added.

use serde::{Deserialize, Serialize};

/// Error for a key that is not one of an enum's stable keys.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind}: {value:?}")]
pub struct UnknownKey {
    /// Which vocabulary was asked for (e.g. "channel").
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
}

macro_rules! keyed_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal { $( $(#[$vmeta:meta])* $variant:ident => $key:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order people expect to see them listed.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable key stored in the database and used in URLs and files.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }

            /// Parses a stable key; the only way in from outside.
            pub fn parse(value: &str) -> Result<Self, UnknownKey> {
                match value.trim() {
                    $($key => Ok($name::$variant),)+
                    _ => Err(UnknownKey { kind: $kind, value: value.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.key())
            }
        }
    };
}

keyed_enum! {
    /// How a complaint reached the unit (saluran); the answer goes back the same way.
    Channel, "channel" {
        /// Drop box (kotak saran).
        KotakSaran => "kotak_saran",
        /// Letter or post.
        Surat => "surat",
        /// In person at the counter (loket / tatap muka).
        TatapMuka => "tatap_muka",
        /// Phone call.
        Telepon => "telepon",
        /// Fax.
        Fax => "fax",
        /// SMS gateway.
        Sms => "sms",
        /// WhatsApp gateway.
        Whatsapp => "whatsapp",
        /// The unit's public mailbox, polled over IMAP.
        Email => "email",
        /// The public web form of this system.
        Website => "website",
        /// A post or direct message on social media.
        MediaSosial => "media_sosial",
        /// The national SP4N-LAPOR! system.
        SpanLapor => "span_lapor",
        /// Free-text saran in an SKM survey response.
        Skm => "skm",
    }
}

keyed_enum! {
    /// Severity (bobot pengaduan): decides who handles a complaint and its time limit.
    Bobot, "bobot" {
        /// Answered directly by the staff member handling it.
        Ringan => "ringan",
        /// Signed off by kepala bidang and kepala dinas.
        Sedang => "sedang",
        /// Escalated to the mayor's or regent's office.
        Berat => "berat",
    }
}

keyed_enum! {
    /// What kind of report it is, as SP4N-LAPOR! classifies.
    Klasifikasi, "klasifikasi" {
        /// A complaint.
        Pengaduan => "pengaduan",
        /// A suggestion.
        Aspirasi => "aspirasi",
        /// A request for information.
        PermintaanInformasi => "permintaan_informasi",
    }
}

keyed_enum! {
    /// Where a complaint stands in its life cycle (PENGADUAN.md, "Life of a complaint").
    ComplaintStatus, "status" {
        /// Received, not yet verified.
        Diterima => "diterima",
        /// Verified complete.
        Terverifikasi => "terverifikasi",
        /// Assigned to a division or officer.
        Didisposisikan => "didisposisikan",
        /// Being followed up.
        Ditindaklanjuti => "ditindaklanjuti",
        /// Answered; closes by itself when the complainant stays silent.
        Dijawab => "dijawab",
        /// Closed.
        Selesai => "selesai",
        /// Not this unit's authority: forwarded elsewhere and closed.
        BukanWewenang => "bukan_wewenang",
        /// Incomplete: returned to the complainant to complete.
        Dikembalikan => "dikembalikan",
        /// Spam, or merged into a duplicate.
        Diarsipkan => "diarsipkan",
        /// Reopened by the complainant after an answer.
        DibukaKembali => "dibuka_kembali",
    }
}

keyed_enum! {
    /// What a staff account may do; checked on the server for every request.
    Role, "role" {
        /// Units, catalog, users, channel settings.
        Admin => "admin",
        /// Secretariat staff who record and triage complaints.
        Petugas => "petugas",
        /// Head of a division.
        KepalaBidang => "kepala_bidang",
        /// Secretary of the office; checks the monthly report.
        Sekretaris => "sekretaris",
        /// Head of office.
        KepalaDinas => "kepala_dinas",
        /// Read-only.
        Auditor => "auditor",
    }
}

keyed_enum! {
    /// How a survey response was collected.
    SurveySource, "survey source" {
        /// The public survey page.
        Web => "web",
        /// A registered tablet at the counter.
        Kiosk => "kiosk",
        /// The QR code on a receipt or poster.
        Qr => "qr",
        /// A one-time invite link.
        Invite => "invite",
        /// A paper form typed in by staff.
        Paper => "paper",
        /// A historical file import.
        Import => "import",
    }
}

impl ComplaintStatus {
    /// Statuses that end a complaint's clock.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Selesai | ComplaintStatus::BukanWewenang | ComplaintStatus::Diarsipkan
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_unknown_keys_are_rejected() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.key()), Ok(*c));
        }
        for s in ComplaintStatus::ALL {
            assert_eq!(ComplaintStatus::parse(s.key()), Ok(*s));
        }
        assert_eq!(Channel::ALL.len(), 12);
        assert_eq!(ComplaintStatus::ALL.len(), 10);
        let err = Bobot::parse("parah").unwrap_err();
        assert_eq!(err.kind, "bobot");
        assert!(Role::parse("Admin").is_err(), "keys are case sensitive");
    }
}
