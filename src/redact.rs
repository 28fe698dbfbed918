//! Never leak: secrets and national IDs are masked in every output (DESIGN §8).

use crate::citizen_id;

/// Replaces a secret wherever it appears.
pub const MASK: &str = "***";

/// Secrets shorter than this are masked only where they are known to be (sensitive headers,
/// secret variables' own fields): masking every "a" in a report would destroy it.
const MIN_SECRET_LEN: usize = 3;

/// Headers whose values are credentials, whatever the suite says (compared case-insensitively).
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "token",
    "consumer-key",
    "consumersecret",
    "consumer-secret",
    "cookie",
    "set-cookie",
    "x-api-key",
];

pub fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name.trim()))
}

/// Masks known secret values and every national ID in text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut redactor = Self::default();
        redactor.add(secrets);
        redactor
    }

    pub fn add(&mut self, secrets: impl IntoIterator<Item = String>) {
        self.secrets.extend(
            secrets
                .into_iter()
                .filter(|s| s.chars().count() >= MIN_SECRET_LEN),
        );
        // Longest first, so a secret containing another is masked whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self.secrets.dedup();
    }

    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        mask_citizen_ids(&out)
    }

    /// A check's words may quote what the target sent back.
    pub fn check(&self, check: &mut crate::check::CheckResult) {
        check.message.th = self.text(&check.message.th);
        check.message.en = self.text(&check.message.en);
        for field in [&mut check.expected, &mut check.actual]
            .into_iter()
            .flatten()
        {
            *field = self.text(field);
        }
    }

    /// A header value as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        if is_sensitive_header(name) {
            MASK.to_string()
        } else {
            self.text(value)
        }
    }
}

/// Masks every run of exactly 13 ASCII digits, and the dashed form `d-dddd-ddddd-dd-d`, that
/// stands alone: not inside a longer number or next to an ASCII letter, so hex digests and
/// UUIDs (the suite digest in gate.json, attachment sha256) are never mangled. Thai letters
/// around an ID do not protect it. Checksum-invalid IDs are masked too: a mistyped real ID is
/// still personal data.
pub fn mask_citizen_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let len = id_length_at(&bytes[i..]);
        if len > 0 {
            out.push_str(&text[copied..i]);
            out.push_str(&citizen_id::mask(&text[i..i + len]));
            copied = i + len;
            i += len;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of the ID starting here (13 or 17 with dashes), or 0. No digit or ASCII letter
/// may follow.
fn id_length_at(bytes: &[u8]) -> usize {
    const DASHED: &[u8] = b"d-dddd-ddddd-dd-d";
    let matches = |shape: &[u8]| {
        bytes.len() >= shape.len()
            && shape.iter().zip(bytes).all(|(s, b)| match s {
                b'd' => b.is_ascii_digit(),
                _ => b == s,
            })
            && !bytes
                .get(shape.len())
                .is_some_and(u8::is_ascii_alphanumeric)
    };
    if matches(b"ddddddddddddd") {
        13
    } else if matches(DASHED) {
        DASHED.len()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_ids_in_any_text() {
        assert_eq!(
            mask_citizen_ids(r#"{"citizen_id":"1101401234566","x":"เลข1101401234566ค"}"#),
            r#"{"citizen_id":"1-1014-xxxxx-xx-6","x":"เลข1-1014-xxxxx-xx-6ค"}"#
        );
        assert_eq!(
            mask_citizen_ids("id 1-1014-01234-56-6."),
            "id 1-1014-xxxxx-xx-6."
        );
    }

    #[test]
    fn leaves_other_numbers_alone() {
        for s in [
            "12345678901234",
            "123456789012",
            "0812345678",
            "CSG-2569-000123",
            "a-1-2",
        ] {
            assert_eq!(mask_citizen_ids(s), s);
        }
    }

    #[test]
    fn masks_secrets_and_sensitive_headers() {
        let r = Redactor::new(["csg-portal-token".to_string(), "ab".to_string()]);
        assert_eq!(r.text("Token=csg-portal-token; ab"), "Token=***; ab");
        assert_eq!(r.header("consumer-KEY", "anything"), MASK);
        assert_eq!(r.header("Accept", "application/json"), "application/json");
    }
}
