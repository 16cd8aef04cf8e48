//! Log redaction for the outbox (issue 17): an SMTP server or an SMS gateway often
//! echoes the recipient in its refusal ("550 <siti@contoh.id>: no such user"), and
//! logs carry no personal data. Email addresses and phone numbers are masked before
//! an error is written to the log; the outbox row keeps the full text for the admin.

/// What stands in for a masked email address.
pub const EMAIL_MASK: &str = "[surel]";
/// What stands in for a masked phone number (or any long run of digits).
pub const NUMBER_MASK: &str = "[nomor]";

/// Digits a run needs before it is taken for a phone number (Indonesian mobile
/// numbers have 10 to 13; status codes and counts have fewer).
const PHONE_MIN_DIGITS: usize = 7;

fn is_email_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// `text` with email addresses and phone-like digit runs masked.
pub fn redact_contacts(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut masked = vec![false; chars.len()];
    let mut emails = Vec::new();
    // Email addresses: the run of address characters on each side of an '@'.
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && is_email_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < chars.len() && is_email_char(chars[end]) {
            end += 1;
        }
        if start < at && end > at + 1 {
            emails.push((start, end));
            masked[start..end].iter_mut().for_each(|m| *m = true);
        }
    }
    // Phone numbers: digits with an optional leading '+' and single spaces or dashes
    // between them, at least PHONE_MIN_DIGITS digits in all.
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if masked[i]
            || !(chars[i].is_ascii_digit() || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut digits = 0;
        let mut j = i;
        while j < chars.len() && !masked[j] {
            let c = chars[j];
            if c.is_ascii_digit() {
                digits += 1;
                end = j + 1;
            } else if !((c == '+' && j == start)
                || (matches!(c, ' ' | '-') && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
            {
                break;
            }
            j += 1;
        }
        if digits >= PHONE_MIN_DIGITS {
            numbers.push((start, end));
        }
        i = j.max(i + 1);
    }
    let mut spans: Vec<(usize, usize, &str)> = emails
        .into_iter()
        .map(|(s, e)| (s, e, EMAIL_MASK))
        .chain(numbers.into_iter().map(|(s, e)| (s, e, NUMBER_MASK)))
        .collect();
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end, mask) in spans {
        out.extend(&chars[pos..start]);
        out.push_str(mask);
        pos = end;
    }
    out.extend(&chars[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_numbers_are_masked_and_the_rest_kept() {
        assert_eq!(
            redact_contacts("server SMTP menolak: 550 5.1.1 <siti.aminah+x@contoh.id>: no such user"),
            "server SMTP menolak: 550 5.1.1 <[surel]>: no such user"
        );
        assert_eq!(
            redact_contacts("gateway menjawab 400 Bad Request: nomor +62 812-3456-7890 tidak aktif"),
            "gateway menjawab 400 Bad Request: nomor [nomor] tidak aktif"
        );
        assert_eq!(
            redact_contacts("to=081234567890, retry in 60 s"),
            "to=[nomor], retry in 60 s"
        );
        assert_eq!(
            redact_contacts("pengaturan surel tidak valid"),
            "pengaturan surel tidak valid"
        );
        assert_eq!(redact_contacts("a @ b and @x and y@"), "a @ b and @x and y@");
        assert_eq!(redact_contacts("Ünïcode 0812345678@contoh.id é"), "Ünïcode [surel] é");
    }
}
