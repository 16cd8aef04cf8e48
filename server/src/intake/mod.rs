//! Intake: how a complaint gets in, from every channel, through one validation and
//! one nomor agenda sequence.
//!
//! - [`form`]: the complaint fields, validated once for the public web form, staff
//!   entry and the JSON API, so every channel produces the same Buku Pengaduan record.
//! - [`files`]: attachments, accepted by what their bytes are, never by their name.
//! - [`gateway`]: SMS and WhatsApp messages a gateway posts to us.
//! - [`email`]: the unit's mailbox, polled over IMAP.
//! - [`ack`]: the acknowledgement that carries the nomor agenda back to the citizen.
//! - [`idempotency`]: retry keys, so a complaint sent twice is filed once.

pub mod ack;
pub mod email;
pub mod files;
pub mod form;
pub mod gateway;
pub mod idempotency;
