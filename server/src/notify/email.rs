//! Email out over SMTP (lettre, tokio, rustls), with a Message-ID that is stable per
//! outbox row so a retry after a crash is recognisable as the same message.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::settings::{EmailSettings, Security};
use super::{Delivered, SendError};
use crate::storage::model::OutboxMessage;

/// Headers the builder sets itself; every other queued header is passed on raw.
const BUILT_HEADERS: &[&str] = &["message-id", "in-reply-to", "references", "subject", "from", "to"];

/// The Message-ID an outbox row is sent with (angle brackets included): the one
/// queued in its headers, or `<outbox-{id}@{domain of the From}>`.
pub fn message_id_for(message: &OutboxMessage, from_address: &str) -> String {
    if let Some(id) = header(message, "Message-ID") {
        let id = id.trim();
        return if id.starts_with('<') {
            id.to_owned()
        } else {
            format!("<{id}>")
        };
    }
    let domain = from_address.rsplit_once('@').map_or("tanggap.invalid", |(_, d)| d);
    format!("<outbox-{}@{domain}>", message.id)
}

fn header<'a>(message: &'a OutboxMessage, name: &str) -> Option<&'a str> {
    message
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Builds the message as it goes on the wire.
pub fn build(settings: &EmailSettings, message: &OutboxMessage) -> Result<(Message, String), SendError> {
    let from_address = settings
        .from_address
        .parse()
        .map_err(|e| SendError::Temporary(format!("alamat pengirim unit tidak valid: {e}")))?;
    let from = Mailbox::new(
        Some(settings.from_name.clone()).filter(|n| !n.trim().is_empty()),
        from_address,
    );
    let to: Mailbox = message
        .recipient
        .trim()
        .parse()
        .map_err(|e| SendError::Permanent(format!("alamat tujuan tidak valid: {e}")))?;
    let message_id = message_id_for(message, &settings.from_address);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone().unwrap_or_default())
        .message_id(Some(message_id.clone()));
    if let Some(v) = header(message, "In-Reply-To") {
        builder = builder.in_reply_to(v.to_owned());
    }
    if let Some(v) = header(message, "References") {
        builder = builder.references(v.to_owned());
    }
    for (name, value) in &message.headers {
        if BUILT_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        let name = HeaderName::new_from_ascii(name.clone())
            .map_err(|e| SendError::Permanent(format!("nama header tidak valid {name}: {e}")))?;
        builder = builder.raw_header(HeaderValue::new(name, value.clone()));
    }
    let built = builder
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| SendError::Permanent(format!("surel tidak dapat disusun: {e}")))?;
    Ok((built, message_id))
}

/// Sends one queued email through the unit's SMTP server.
pub async fn send(
    settings: &EmailSettings,
    message: &OutboxMessage,
    timeout: Duration,
) -> Result<Delivered, SendError> {
    let smtp = &settings.smtp;
    if smtp.host.trim().is_empty() || smtp.port == 0 {
        return Err(SendError::Temporary("server SMTP belum diatur".into()));
    }
    let (email, message_id) = build(settings, message)?;
    let host = smtp.host.trim().to_owned();
    let tls = match smtp.security {
        Security::Plain => Tls::None,
        Security::Starttls => Tls::Required(tls_parameters(&host)?),
        Security::Tls => Tls::Wrapper(tls_parameters(&host)?),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(timeout));
    if !smtp.user.is_empty() {
        transport = transport.credentials(Credentials::new(smtp.user.clone(), smtp.password.clone()));
    }
    let transport = transport.build();
    match transport.send(email).await {
        Ok(_) => Ok(Delivered {
            message_ref: message_id.trim_start_matches('<').trim_end_matches('>').to_owned(),
            sender: settings.from_address.clone(),
        }),
        // A permanent SMTP answer (5xx: no such user, relaying denied) will not change.
        Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("server SMTP menolak: {e}"))),
        Err(e) => Err(SendError::Temporary(format!("pengiriman SMTP gagal: {e}"))),
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, SendError> {
    TlsParameters::new(host.to_owned()).map_err(|e| SendError::Temporary(format!("TLS tidak dapat disiapkan: {e}")))
}
