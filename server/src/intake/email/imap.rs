//! The IMAP side of the email channel: fetching one message (with the time the mail
//! server took it) and the TLS connection.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::IntakeError;

/// How far back the mail server's arrival time (INTERNALDATE) is believed: mail older
/// than this was put in the mailbox from an archive, and is dated when Tanggap takes
/// it, so that its nomor agenda and SLA clock start now.
pub const MAX_ARRIVAL_AGE_DAYS: i64 = 30;

/// Where a message is in its mailbox, for the set-aside record.
#[derive(Debug, Clone)]
pub struct MailPlace<'a> {
    /// The mailbox (`user@host:port/folder`).
    pub mailbox: &'a str,
    /// Its UIDVALIDITY.
    pub uid_validity: i64,
    /// The message's UID.
    pub uid: u32,
    /// Its size as the server reported it (0 when unknown).
    pub size: i64,
}

/// Fetches one message's `query` and returns what `pick` takes from the answer.
pub(super) async fn fetch_section<T>(
    session: &mut async_imap::Session<T>,
    uid: u32,
    query: &str,
    pick: impl Fn(&async_imap::types::Fetch) -> Option<&[u8]>,
) -> Result<Option<Vec<u8>>, IntakeError>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    Ok(fetch_message_with(session, uid, query, pick)
        .await?
        .map(|(bytes, _)| bytes))
}

/// Fetches one whole message and the time the mail server took it (INTERNALDATE).
pub(super) async fn fetch_message<T>(
    session: &mut async_imap::Session<T>,
    uid: u32,
) -> Result<Option<(Vec<u8>, Option<DateTime<Utc>>)>, IntakeError>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    fetch_message_with(
        session,
        uid,
        "(UID INTERNALDATE BODY.PEEK[])",
        async_imap::types::Fetch::body,
    )
    .await
}

async fn fetch_message_with<T>(
    session: &mut async_imap::Session<T>,
    uid: u32,
    query: &str,
    pick: impl Fn(&async_imap::types::Fetch) -> Option<&[u8]>,
) -> Result<Option<(Vec<u8>, Option<DateTime<Utc>>)>, IntakeError>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut fetches = session
        .uid_fetch(uid.to_string(), query)
        .await
        .map_err(|e| IntakeError::Imap(e.to_string()))?;
    let mut out = None;
    while let Some(fetch) = fetches.next().await {
        let fetch = fetch.map_err(|e| IntakeError::Imap(e.to_string()))?;
        if fetch.uid == Some(uid) {
            let arrived = fetch.internal_date().map(|d| d.with_timezone(&Utc));
            out = pick(&fetch).map(|bytes| (bytes.to_vec(), arrived));
        }
    }
    Ok(out)
}

/// When a message counts as received: when the mail server took it (INTERNALDATE)
/// if that is believable (not ahead of `now`, at most [`MAX_ARRIVAL_AGE_DAYS`] old),
/// else `now`. Never the sender's `Date:` header, which the sender writes.
pub fn received_at(arrived: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    arrived
        .filter(|a| *a <= now && *a >= now - chrono::Duration::days(MAX_ARRIVAL_AGE_DAYS))
        .unwrap_or(now)
}

/// A TLS stream to an IMAP server, checked against the Mozilla root certificates.
pub(super) async fn tls_connect(
    tcp: TcpStream,
    host: &str,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, IntakeError> {
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| IntakeError::Imap(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| IntakeError::Settings(format!("nama host {host}: {e}")))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| IntakeError::Imap(format!("jabat tangan TLS dengan {host}: {e}")))
}
