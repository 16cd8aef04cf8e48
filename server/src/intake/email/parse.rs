//! Reading one email into what the channel keeps (issue 22: nothing lost from an
//! email). No I/O here: the same bytes always give the same result, which is what the
//! fuzz tests (`server/tests/email_fuzz.rs`) hold it to.
//!
//! - Every text part is kept, in order (a message with four text parts keeps four),
//!   decoded with mail-parser's full charset support (gb2312, Shift_JIS, ...); 8-bit
//!   text that declares no charset and is not UTF-8 is read as windows-1252, the
//!   usual sender's default, instead of becoming replacement characters.
//! - A part that still cannot be read as text (random bytes) is not stored as garbage:
//!   a placeholder says so, and the raw message is kept whole as an `.eml` attachment
//!   ([`raw_attachment`]) so nothing is lost.
//! - The received time is given by the caller (when the mail server or Tanggap took
//!   the message); the sender's `Date:` is kept as information only.
//! - [`content_hash`] judges a repeat by content as well as Message-ID.

use chrono::{DateTime, Utc};
use mail_parser::{Encoding, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::i18n::{Lang, t, tf};
use crate::intake::files;
use crate::intake::form::{clean, limits};
use crate::storage::model::NewAttachment;

/// The name of the raw message kept with every stored email.
pub const RAW_FILENAME: &str = "surel-asli.eml";
/// The media type of the raw message attachment (RFC 2046).
pub const RAW_CONTENT_TYPE: &str = "message/rfc822";
/// Longest subject stored; longer ones are cut (the full text stays in the raw mail).
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Most text parts read from one message: a hostile message with thousands of tiny
/// parts is cut here (the raw message keeps them all).
const MAX_TEXT_PARTS: usize = 50;
/// Most left-out attachments named one by one in the text; the rest are counted, so
/// a message with thousands of parts cannot grow the description without bound.
const MAX_LEFT_OUT_NOTES: usize = 20;

/// The parts of a message the channel uses, decoded and bounded.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    /// Its Message-ID without angle brackets or, when it has none, a key made of its
    /// content (`sha256:` and 32 hex of [`content_hash`]), so that a redelivery under
    /// another UID is still recognised.
    pub key: String,
    /// One line, control characters removed, at most 1,000 characters.
    pub subject: String,
    /// Every text part, cleaned, joined and cut at the description limit, with notes
    /// on what was left out.
    pub text: String,
    /// False when no part could be read as text (the text is then a placeholder).
    pub readable: bool,
    /// When the message was received (given by the caller, never the sender's date).
    pub received_at: DateTime<Utc>,
    /// The sender's `Date:` header as written, cleaned (information only).
    pub sender_date: Option<String>,
    /// The sender's display name.
    pub from_name: Option<String>,
    /// The sender's address, when it looks like one.
    pub from_address: Option<String>,
    /// Message ids from References and In-Reply-To, for threading.
    pub references: Vec<String>,
    /// Words of the subject that may be a nomor agenda, for threading.
    pub nomor_candidates: Vec<String>,
    /// Attachments admitted under the web form's rules.
    pub files: Vec<NewAttachment>,
    /// [`content_hash`] of the raw message.
    pub content_hash: String,
}

/// Cuts `text` to one line of visible characters, at most `max`.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    clean(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

impl ParsedMail {
    /// Reads `raw` (RFC 5322 bytes). Never fails: what cannot be read becomes a
    /// placeholder, and the raw message is kept by the caller.
    pub fn parse(raw: &[u8], received_at: DateTime<Utc>) -> ParsedMail {
        let content_hash = content_hash(raw);
        let fallback_key = format!("sha256:{}", &content_hash[..32]);
        match MessageParser::default().parse(raw) {
            Some(message) => ParsedMail::from_message(&message, fallback_key, received_at, content_hash),
            None => ParsedMail {
                key: fallback_key,
                subject: String::new(),
                text: tf(Lang::Id, "email_intake.unreadable", &[("file", RAW_FILENAME)]),
                readable: false,
                received_at,
                sender_date: None,
                from_name: None,
                from_address: None,
                references: Vec::new(),
                nomor_candidates: Vec::new(),
                files: Vec::new(),
                content_hash,
            },
        }
    }

    fn from_message(
        message: &Message<'_>,
        fallback_key: String,
        received_at: DateTime<Utc>,
        content_hash: String,
    ) -> ParsedMail {
        let key = message
            .message_id()
            .map(|id| one_line(id.trim().trim_start_matches('<').trim_end_matches('>'), 500))
            .filter(|id| !id.is_empty())
            .unwrap_or(fallback_key);
        let subject = one_line(message.subject().unwrap_or(""), 1_000);
        // Random bytes parse as a message with no known header and no text: that is
        // unreadable, not an empty mail.
        let mail_like = message.from().is_some()
            || message.to().is_some()
            || message.subject().is_some()
            || message.date().is_some()
            || message.message_id().is_some()
            || message.content_type().is_some();
        let (mut text, readable) = body_text(message, mail_like);
        let sender_date = message
            .header_raw("Date")
            .map(|d| one_line(d, 100))
            .filter(|d| !d.is_empty());
        let from = message.from().and_then(|a| a.first());
        let from_name = from
            .and_then(|a| a.name())
            .map(|n| one_line(n, limits::SHORT_MAX))
            .filter(|n| !n.is_empty());
        let from_address = from
            .and_then(|a| a.address())
            .map(|a| a.trim().to_owned())
            .filter(|a| a.contains('@') && a.len() <= 254 && !a.chars().any(char::is_control));
        let mut references = Vec::new();
        for value in [message.references(), message.in_reply_to()] {
            for id in header_ids(value) {
                if !references.contains(&id) && references.len() < 100 {
                    references.push(id);
                }
            }
        }
        let nomor_candidates = subject
            .split(|c: char| c.is_whitespace() || "[](){}<>:;,".contains(c))
            .filter(|t| t.contains('/') && t.chars().any(|c| c.is_ascii_digit()) && t.len() <= 64)
            .take(5)
            .map(str::to_owned)
            .collect();
        // The web form's rules: type from the content, size, count, a clean name.
        // What is left out is named in the text; the raw message keeps it.
        let mut kept: Vec<NewAttachment> = Vec::new();
        let mut left_out = Vec::new();
        for (i, part) in message.attachments().enumerate() {
            if part.contents().is_empty() {
                continue;
            }
            let name = part
                .attachment_name()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("lampiran-{}", i + 1));
            match files::admit(kept.len(), &name, part.contents().to_vec()) {
                Ok(file) => kept.push(file),
                Err(why) => left_out.push(tf(
                    Lang::Id,
                    "email_intake.file_left_out",
                    &[
                        ("name", &files::clean_filename(&name, "application/octet-stream")),
                        ("reason", t(Lang::Id, why.message_key())),
                        ("file", RAW_FILENAME),
                    ],
                )),
            }
        }
        if left_out.len() > MAX_LEFT_OUT_NOTES {
            let more = left_out.len() - MAX_LEFT_OUT_NOTES;
            left_out.truncate(MAX_LEFT_OUT_NOTES);
            left_out.push(tf(
                Lang::Id,
                "email_intake.more_left_out",
                &[("count", &more.to_string()), ("file", RAW_FILENAME)],
            ));
        }
        if !left_out.is_empty() {
            text.push_str("\n\n");
            text.push_str(&left_out.join("\n"));
        }
        ParsedMail {
            key,
            subject,
            text,
            readable,
            received_at,
            sender_date,
            from_name,
            from_address,
            references,
            nomor_candidates,
            files: kept,
            content_hash,
        }
    }

    /// The subject to show: the message's, or a placeholder when it has none.
    pub fn short_subject_str(&self) -> &str {
        if self.subject.is_empty() {
            t(Lang::Id, "email_intake.no_subject")
        } else {
            &self.subject
        }
    }

    /// The subject cut to [`MAX_SUBJECT_CHARS`], for the complaint's Perihal.
    pub fn short_subject(&self) -> String {
        self.short_subject_str().chars().take(MAX_SUBJECT_CHARS).collect()
    }

    /// The admitted files and the raw message, ready to store with a complaint or a
    /// reply (their complaint id is set by the store).
    pub fn attachments(&self, raw: &[u8]) -> Vec<NewAttachment> {
        let mut out = self.files.clone();
        out.push(raw_attachment(raw));
        out
    }
}

/// The raw message as an attachment: kept whole, whatever it holds, so nothing a
/// sender sent is lost even when it cannot be read.
pub fn raw_attachment(raw: &[u8]) -> NewAttachment {
    NewAttachment {
        complaint_id: 0,
        message_id: None,
        filename: RAW_FILENAME.to_owned(),
        content_type: RAW_CONTENT_TYPE.to_owned(),
        content: raw.to_vec(),
    }
}

/// Every text part of `message`, cleaned and joined, cut at the description limit;
/// false when none could be read, or when there is none in what is not mail at all
/// (`mail_like` false): the text is then a placeholder.
fn body_text(message: &Message<'_>, mail_like: bool) -> (String, bool) {
    let mut parts = Vec::new();
    let mut unreadable = 0;
    for i in 0..message.text_body_count().min(MAX_TEXT_PARTS) {
        let Some(text) = part_text(message, i) else { continue };
        if !looks_like_text(&text) {
            unreadable += 1;
            continue;
        }
        let text = clean(&text);
        if !text.is_empty() {
            parts.push(text);
        }
    }
    let readable = !parts.is_empty() || (unreadable == 0 && mail_like);
    let mut text = parts.join("\n\n");
    if text.is_empty() {
        text = if readable {
            tf(Lang::Id, "email_intake.no_body", &[])
        } else {
            tf(Lang::Id, "email_intake.unreadable", &[("file", RAW_FILENAME)])
        };
    } else if unreadable > 0 {
        text.push_str("\n\n");
        text.push_str(&tf(Lang::Id, "email_intake.part_unreadable", &[("file", RAW_FILENAME)]));
    }
    let length = text.chars().count();
    if length > limits::DESCRIPTION_MAX {
        text = text.chars().take(limits::DESCRIPTION_MAX).collect();
        text.push_str("\n\n");
        text.push_str(&tf(
            Lang::Id,
            "email_intake.text_cut",
            &[
                ("max", &limits::DESCRIPTION_MAX.to_string()),
                ("length", &length.to_string()),
                ("file", RAW_FILENAME),
            ],
        ));
    }
    (text, readable)
}

/// The `i`th text body part as text. A part that declares no charset, is sent
/// unencoded and is not UTF-8 is read as windows-1252 (a superset of ISO-8859-1),
/// what such mail almost always is, rather than as replacement characters.
fn part_text(message: &Message<'_>, i: usize) -> Option<String> {
    let part = message.text_part(u32::try_from(i).ok()?)?;
    let text = message.body_text(i)?;
    if let PartType::Text(_) = &part.body
        && text.contains('\u{FFFD}')
        && part.encoding == Encoding::None
        && part.content_type().and_then(|ct| ct.attribute("charset")).is_none()
    {
        let start = part.raw_body_offset() as usize;
        let end = part.raw_end_offset() as usize;
        if let Some(bytes) = message.raw_message().get(start..end)
            && std::str::from_utf8(bytes).is_err()
        {
            let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            return Some(decoded.into_owned());
        }
    }
    Some(text.into_owned())
}

/// Whether decoded text reads as text: random bytes decode to many replacement and
/// control characters; real text in any language has almost none.
pub fn looks_like_text(text: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    for c in text.chars() {
        total += 1;
        if c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            bad += 1;
        }
    }
    bad * 20 <= total
}

/// The message ids in an In-Reply-To or References header, without angle brackets.
fn header_ids(value: &HeaderValue<'_>) -> Vec<String> {
    let clean = |s: &str| one_line(s.trim().trim_start_matches('<').trim_end_matches('>'), 500);
    match value {
        HeaderValue::Text(t) => t.split_whitespace().map(clean).filter(|s| !s.is_empty()).collect(),
        HeaderValue::TextList(list) => list.iter().map(|s| clean(s)).filter(|s| !s.is_empty()).collect(),
        _ => Vec::new(),
    }
}

/// Header fields that say what a message is, as opposed to how it travelled: a
/// redelivery through another path (an alias, a second MX, a re-read mailbox) changes
/// `Received:`, `Delivered-To:`, `Return-Path:` and the like, never these.
const CONTENT_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

/// SHA-256 (hex) of a message's content: its [`CONTENT_HEADERS`] (unfolded, spaces
/// collapsed, in order) and its body (line ends as LF, trailing white space dropped).
/// Two deliveries of one message hash alike; a different message under the same
/// Message-ID does not. Works on any bytes, mail or not.
pub fn content_hash(raw: &[u8]) -> String {
    let (head, body) = split_head_body(raw);
    let mut hash = Sha256::new();
    let mut field: Vec<u8> = Vec::new();
    let take = |field: &[u8], hash: &mut Sha256| {
        let Some(colon) = field.iter().position(|b| *b == b':') else {
            return;
        };
        let name = String::from_utf8_lossy(&field[..colon]).trim().to_ascii_lowercase();
        if !CONTENT_HEADERS.contains(&name.as_str()) {
            return;
        }
        let value: Vec<&[u8]> = field[colon + 1..]
            .split(u8::is_ascii_whitespace)
            .filter(|w| !w.is_empty())
            .collect();
        hash.update(name.as_bytes());
        hash.update(b":");
        hash.update(value.join(&b' ').as_slice());
        hash.update(b"\n");
    };
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            field.push(b' ');
            field.extend_from_slice(line);
        } else {
            take(&field, &mut hash);
            field.clear();
            field.extend_from_slice(line);
        }
    }
    take(&field, &mut hash);
    hash.update(b"\n\n");
    let mut lines: Vec<&[u8]> = body
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).trim_ascii_end())
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        hash.update(line);
        hash.update(b"\n");
    }
    hex::encode(hash.finalize())
}

/// The header block and the body of a raw message (split at the first empty line);
/// bytes with no empty line are all body, so nothing of them escapes the hash.
fn split_head_body(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut start = 0;
    while start < raw.len() {
        let end = raw[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(raw.len(), |p| start + p);
        let line = &raw[start..end];
        if line.is_empty() || line == b"\r" {
            return (&raw[..start], raw.get(end + 1..).unwrap_or_default());
        }
        start = end + 1;
    }
    (&[], raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redelivery_hashes_alike_and_a_different_message_does_not() {
        let original = b"From: a@b.test\r\nSubject: Jalan\r\nMessage-ID: <x@b.test>\r\n\r\nJalan rusak.\r\n";
        let redelivered = b"Received: from mx2 by mx1; Tue, 3 Mar 2026\nDelivered-To: humas@dinas.test\n\
            From: a@b.test\nSubject:  Jalan\nMessage-ID: <x@b.test>\n\nJalan rusak.  \n\n";
        let different = b"From: a@b.test\r\nSubject: Jalan\r\nMessage-ID: <x@b.test>\r\n\r\nLampu padam.\r\n";
        assert_eq!(content_hash(original), content_hash(redelivered));
        assert_ne!(content_hash(original), content_hash(different));
        // No header block: every byte counts.
        assert_ne!(content_hash(b"\x01\x02random"), content_hash(b"\x01\x02randon"));
    }

    #[test]
    fn eight_bit_text_without_a_charset_is_read_as_windows_1252() {
        let raw = b"From: a@b.test\r\nSubject: x\r\n\r\nCaf\xe9 di Jl. Sudirman \x96 tutup.\r\n";
        let parsed = ParsedMail::parse(raw, Utc::now());
        assert!(parsed.readable);
        assert_eq!(parsed.text, "Café di Jl. Sudirman – tutup.");
    }

    #[test]
    fn every_text_part_is_kept() {
        let mut raw = String::from("From: a@b.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
        for i in 1..=4 {
            raw.push_str(&format!(
                "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBagian {i}\r\n"
            ));
        }
        raw.push_str("--b--\r\n");
        let parsed = ParsedMail::parse(raw.as_bytes(), Utc::now());
        for i in 1..=4 {
            assert!(parsed.text.contains(&format!("Bagian {i}")), "{}", parsed.text);
        }
    }

    #[test]
    fn random_bytes_get_a_placeholder_not_garbage() {
        let raw: Vec<u8> = (0..2000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let parsed = ParsedMail::parse(&raw, Utc::now());
        assert!(!parsed.readable, "{}", parsed.text);
        assert!(parsed.text.contains(RAW_FILENAME), "{}", parsed.text);
    }
}
