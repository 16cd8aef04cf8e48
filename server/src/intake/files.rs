//! Attachments: photos and scans of letters. The type is read from the content (magic
//! bytes), so a script renamed `foto.jpg` is refused, and the name is kept only as a
//! label.

use crate::storage::model::NewAttachment;

/// Media types a complaint may carry: photos and PDF scans.
pub const ALLOWED_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"];

/// Largest single file (5 MiB): a phone photo or a scanned letter fits.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Most files on one complaint.
pub const MAX_FILES: usize = 5;

/// Why a file was refused; each maps to a sentence in the locale files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRejection {
    /// Not an image or a PDF by its content.
    WrongType,
    /// Over [`MAX_FILE_BYTES`].
    TooLarge,
    /// More than [`MAX_FILES`].
    TooMany,
}

impl FileRejection {
    /// The locale key of the message a person reads.
    pub fn message_key(self) -> &'static str {
        match self {
            FileRejection::WrongType => "intake.error.file_type",
            FileRejection::TooLarge => "intake.error.file_size",
            FileRejection::TooMany => "intake.error.file_count",
        }
    }
}

/// The media type of `bytes` if it is one we accept.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    ALLOWED_TYPES.iter().copied().find(|t| *t == kind.mime_type())
}

/// Characters that change how text around them is shown (bidirectional overrides,
/// zero-width marks): `gpj.exe` spelled backwards to look like a photo.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A file name safe to show and to send back in `Content-Disposition`: no folders,
/// no control or invisible formatting characters, no quotes, at most 120 characters.
pub fn clean_filename(name: &str, content_type: &str) -> String {
    let visible: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect();
    let base = visible.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !matches!(c, '"' | ';' | '<' | '>'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        let ext = content_type.rsplit('/').next().unwrap_or("bin");
        format!("lampiran.{ext}")
    } else {
        cleaned
    }
}

/// The `Content-Disposition` of a download: the name cleaned again (a name stored
/// before cleaning existed must not break the header), an ASCII fallback for old
/// clients and the exact name as RFC 6266 / RFC 5987 `filename*`. Always a valid
/// header value.
pub fn content_disposition(name: &str, content_type: &str) -> String {
    let name = clean_filename(name, content_type);
    let fallback: String = name
        .chars()
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';')) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Checks one more file for a complaint that has `already` files: the count, then
/// [`accept`]. Every edge (web form, email) goes through here, so the limits are
/// the same everywhere.
pub fn admit(already: usize, filename: &str, bytes: Vec<u8>) -> Result<NewAttachment, FileRejection> {
    if already >= MAX_FILES {
        return Err(FileRejection::TooMany);
    }
    accept(filename, bytes)
}

/// Checks one uploaded file and turns it into an attachment (its complaint id is set
/// when the complaint is stored).
pub fn accept(filename: &str, bytes: Vec<u8>) -> Result<NewAttachment, FileRejection> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileRejection::TooLarge);
    }
    let content_type = sniff(&bytes).ok_or(FileRejection::WrongType)?;
    Ok(NewAttachment {
        complaint_id: 0,
        message_id: None,
        filename: clean_filename(filename, content_type),
        content_type: content_type.to_owned(),
        content: bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
    ];

    #[test]
    fn type_comes_from_the_bytes_not_the_name() {
        let ok = accept("foto.txt", PNG.to_vec()).unwrap();
        assert_eq!(ok.content_type, "image/png");
        assert_eq!(ok.filename, "foto.txt");
        assert_eq!(
            accept("surat.pdf", b"%PDF-1.7\n...".to_vec()).unwrap().content_type,
            "application/pdf"
        );
        assert_eq!(
            accept("foto.jpg", b"#!/bin/sh\nrm -rf /".to_vec()),
            Err(FileRejection::WrongType)
        );
        assert_eq!(
            accept("x.html", b"<html><script>".to_vec()),
            Err(FileRejection::WrongType)
        );
        assert_eq!(accept("kosong.png", Vec::new()), Err(FileRejection::WrongType));
        let mut big = PNG.to_vec();
        big.resize(MAX_FILE_BYTES + 1, 0);
        assert_eq!(accept("besar.png", big), Err(FileRejection::TooLarge));
    }

    #[test]
    fn names_lose_folders_and_dangerous_characters() {
        assert_eq!(
            clean_filename("C:\\Users\\a\\scan \"1\".pdf", "application/pdf"),
            "scan 1.pdf"
        );
        assert_eq!(clean_filename("../../etc/passwd", "image/png"), "passwd");
        assert_eq!(clean_filename("", "image/png"), "lampiran.png");
        assert_eq!(clean_filename(".htaccess", "image/png"), "htaccess");
        assert_eq!(
            clean_filename("surat\r\n\u{7}..\u{0}/../x.pdf", "application/pdf"),
            "x.pdf"
        );
        assert_eq!(clean_filename("foto\u{202E}gpj.exe", "image/png"), "fotogpj.exe");
        assert_eq!(clean_filename("..\u{1}/", "image/png"), "lampiran.png");
    }

    #[test]
    fn content_disposition_is_always_a_valid_header() {
        for name in [
            "scan 1.pdf",
            "surat\r\nSet-Cookie: x=1.pdf",
            "jalan rusak – foto “1”.jpg",
            "%41;\\.png",
            "",
        ] {
            let value = content_disposition(name, "image/png");
            assert!(axum::http::HeaderValue::from_str(&value).is_ok(), "{value}");
            assert!(value.starts_with("attachment; filename=\""), "{value}");
            assert!(!value.contains('\r') && !value.contains('\n'), "{value}");
        }
        assert_eq!(
            content_disposition("jalan – 1.pdf", "application/pdf"),
            "attachment; filename=\"jalan _ 1.pdf\"; filename*=UTF-8''jalan%20%E2%80%93%201.pdf"
        );
    }

    #[test]
    fn admit_counts_before_checking() {
        assert_eq!(admit(MAX_FILES, "a.png", PNG.to_vec()), Err(FileRejection::TooMany));
        assert!(admit(MAX_FILES - 1, "a.png", PNG.to_vec()).is_ok());
    }
}
