//! Never leak (DESIGN §8): secrets and national IDs are masked in every output, in every
//! encoding they take there, and masking comes before any cut, so a cut never leaves a part of
//! one behind.
//!
//! A secret is a declared secret variable's value, a captured secret, a credential written in
//! the suite or the portal's stubs, an `env.NAME` value (unless the suite says it is public),
//! the password of `--target`, or a credential header's value sent or received. Shorter ones
//! than `MIN_SECRET_LEN` cannot be masked without destroying the text around them, so cpc
//! refuses them where they are declared or captured.

mod decoded;
mod national_id;

use std::sync::{Arc, RwLock};

use decoded::Decoded;

/// Replaces a secret wherever it appears.
pub const MASK: &str = "***";

/// The shortest secret cpc masks.
pub const MIN_SECRET_LEN: usize = 6;

/// Headers (and query parameters) whose values are credentials, whatever the suite says
/// (compared case-insensitively).
const SENSITIVE_NAMES: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "token",
    "consumer-key",
    "consumersecret",
    "consumer-secret",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "access_token",
    "client_secret",
    "password",
];

pub fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_NAMES
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name.trim()))
}

/// The secrets a credential header's value holds: the value, the credential after its scheme
/// (`Bearer abc…` → `abc…`), and each cookie's value (`sid=abc…; Path=/` → `abc…`). Values too
/// short to mask are left to the header's name.
pub fn credential_values(value: &str) -> Vec<String> {
    let value = value.trim();
    let mut values = vec![value.to_string()];
    if let Some((_, credential)) = value.split_once(' ') {
        values.push(credential.trim().to_string());
    }
    for part in value.split(';') {
        if let Some((_, cookie)) = part.split_once('=') {
            values.push(cookie.trim().to_string());
        }
    }
    values.retain(|v| v.chars().count() >= MIN_SECRET_LEN);
    values
}

/// Masks known secrets and every national ID in text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Longest first, so a secret holding another is masked whole.
    secrets: Arc<Vec<String>>,
    /// Values the harness writes itself (digests): never masked, even when they look like an ID.
    protected: Arc<Vec<String>>,
}

/// Other forms a secret takes in an output that the decoded view does not undo: a form body's
/// `+` for a space, and the text a base64 secret stands for (sent as `body_base64`).
fn secret_variants(secret: &str) -> Vec<String> {
    use base64::Engine;
    let mut out = Vec::new();
    if secret.contains(' ') {
        out.push(secret.replace(' ', "+"));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(secret.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|t| t.chars().count() >= MIN_SECRET_LEN && !t.chars().any(char::is_control));
    out.extend(decoded);
    out
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        Self::default().with(secrets)
    }

    /// This redactor with more secrets (shorter ones than `MIN_SECRET_LEN` are left out).
    pub fn with(&self, secrets: impl IntoIterator<Item = String>) -> Self {
        let mut all: Vec<String> = self.secrets.as_ref().clone();
        let before = all.len();
        all.extend(
            secrets
                .into_iter()
                .filter(|s| s.chars().count() >= MIN_SECRET_LEN)
                .flat_map(|s| {
                    let variants = secret_variants(&s);
                    std::iter::once(s).chain(variants)
                }),
        );
        if all.len() == before {
            return self.clone();
        }
        all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        all.dedup();
        Self {
            secrets: Arc::new(all),
            protected: self.protected.clone(),
        }
    }

    /// This redactor, leaving these values alone wherever they appear.
    pub fn protecting(mut self, values: impl IntoIterator<Item = String>) -> Self {
        let mut all = self.protected.as_ref().clone();
        all.extend(values.into_iter().filter(|v| !v.is_empty()));
        self.protected = Arc::new(all);
        self
    }

    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// The text with every secret and national ID masked, as written and as decoded once
    /// (percent-encoding, JSON escapes, HTML entities).
    pub fn text(&self, text: &str) -> String {
        // Ranges of the original text: (start, end, replacement).
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        let decoded = Decoded::new(text);
        for secret in self.secrets.iter() {
            spans.extend(
                text.match_indices(secret.as_str())
                    .map(|(i, s)| (i, i + s.len(), MASK.to_string())),
            );
            // Without escapes the decoded view is the text itself: searched once.
            if !decoded.is_plain() {
                for (i, s) in decoded.text.match_indices(secret.as_str()) {
                    let (start, end) = decoded.original(i, i + s.len());
                    spans.push((start, end, MASK.to_string()));
                }
            }
        }
        for (i, end, masked) in national_id::find(&decoded.text) {
            let (start, end) = decoded.original(i, end);
            spans.push((start, end, masked));
        }
        spans.extend(
            self.in_base64(text)
                .into_iter()
                .map(|(s, e)| (s, e, MASK.to_string())),
        );
        if spans.is_empty() {
            return text.to_string();
        }
        let protected: Vec<(usize, usize)> = self
            .protected
            .iter()
            .flat_map(|p| {
                text.match_indices(p.as_str())
                    .map(|(i, s)| (i, i + s.len()))
            })
            .collect();
        spans.retain(|(s, e, _)| !protected.iter().any(|(ps, pe)| s < pe && ps < e));
        // Overlapping spans merge; a secret's mask wins over an ID's.
        spans.sort_by_key(|(s, e, r)| (*s, std::cmp::Reverse(*e), r != MASK));
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut current: Option<(usize, usize, String)> = None;
        for (s, e, r) in spans {
            match &mut current {
                Some((_, ce, cr)) if s < *ce => {
                    if e > *ce {
                        *ce = e;
                    }
                    if r == MASK {
                        *cr = r;
                    }
                }
                _ => {
                    if let Some((cs, ce, cr)) = current.take() {
                        out.push_str(&text[copied..cs]);
                        out.push_str(&cr);
                        copied = ce;
                    }
                    current = Some((s, e, r));
                }
            }
        }
        if let Some((cs, ce, cr)) = current {
            out.push_str(&text[copied..cs]);
            out.push_str(&cr);
            copied = ce;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Base64 runs (standard or URL-safe, padded or not, 16 characters or more) whose decoded
    /// text holds a secret or a national ID (a token's base64, an ID inside an encoded JSON):
    /// masked whole, since a part of one cannot be masked alone.
    fn in_base64(&self, text: &str) -> Vec<(usize, usize)> {
        use base64::Engine;
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        static RUN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"[A-Za-z0-9+/_-]{16,}={0,2}").expect("a valid pattern")
        });
        let config =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, config);
        let url = GeneralPurpose::new(&base64::alphabet::URL_SAFE, config);
        let mut spans = Vec::new();
        // A path holds base64 between its `/`s (`/hook/<base64>`): each piece on its own too.
        let pieces = RUN.find_iter(text).flat_map(|run| {
            let whole = (run.start(), run.as_str());
            let mut at = run.start();
            let parts = run.as_str().split('/').filter_map(move |piece| {
                let start = at;
                at += piece.len() + 1;
                (piece.len() >= 16 && piece.len() < run.as_str().len()).then_some((start, piece))
            });
            std::iter::once(whole).chain(parts)
        });
        for (start, token) in pieces {
            let engine = if token.contains(['-', '_']) {
                &url
            } else {
                &standard
            };
            // A run whose length is not a whole number of bytes: its last character is not
            // base64's (a word after it); decoded without it.
            let body = token.trim_end_matches('=');
            let body = if body.len() % 4 == 1 {
                &body[..body.len() - 1]
            } else {
                body
            };
            let Ok(bytes) = engine.decode(body) else {
                continue;
            };
            let decoded = String::from_utf8_lossy(&bytes);
            let holds = self.secrets.iter().any(|s| decoded.contains(s.as_str()))
                || !national_id::find(&decoded).is_empty();
            if holds {
                spans.push((start, start + token.len()));
            }
        }
        spans
    }

    /// Masked, then cut to `limit` characters (with `…`): never the other way round.
    pub fn cut(&self, text: &str, limit: usize) -> String {
        cut(&self.text(text), limit)
    }

    /// A check's words may quote what the target sent back.
    pub fn check(&self, check: &mut crate::check::CheckResult) {
        check.message.th = self.cut(&check.message.th, MESSAGE_LIMIT);
        check.message.en = self.cut(&check.message.en, MESSAGE_LIMIT);
        for field in [&mut check.expected, &mut check.actual]
            .into_iter()
            .flatten()
        {
            *field = self.cut(field, VALUE_LIMIT);
        }
        if let Some(excerpt) = &mut check.excerpt {
            *excerpt = self.cut(excerpt, VALUE_LIMIT);
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

/// A check message or error is shown up to this many characters.
pub const MESSAGE_LIMIT: usize = 500;
/// An expected or actual value is shown up to this many characters.
pub const VALUE_LIMIT: usize = 300;

/// Cut to `limit` characters; to be used only on text already masked.
pub fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// The run's secrets, masked in every output written: what the suite, the environment, the
/// command line and the portal's stubs declare. What a case meets (a captured secret, a
/// credential sent or received) is the target's choice: it masks that case's own record, not
/// the run's outputs (`runner::case`).
/// Shared while a run is set up, so an output prepared early masks what is added after; fixed
/// once the first line is written.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    current: Arc<RwLock<Redactor>>,
}

impl Secrets {
    pub fn new(redactor: Redactor) -> Self {
        Self {
            current: Arc::new(RwLock::new(redactor)),
        }
    }

    pub fn add(&self, secrets: impl IntoIterator<Item = String>) {
        // A thread that panicked holding the lock must not leave the run masking less.
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        *current = current.with(secrets);
    }

    pub fn redactor(&self) -> Redactor {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1101401234566";

    #[test]
    fn masks_ids_in_any_text() {
        let r = Redactor::default();
        assert_eq!(
            r.text(r#"{"citizen_id":"1101401234566","x":"เลข1101401234566ค"}"#),
            r#"{"citizen_id":"1-1014-xxxxx-xx-6","x":"เลข1-1014-xxxxx-xx-6ค"}"#
        );
        assert_eq!(r.text("id 1-1014-01234-56-6."), "id 1-1014-xxxxx-xx-6.");
        assert_eq!(r.text(r"\u0031101401234566"), "1-1014-xxxxx-xx-6");
    }

    #[test]
    fn masks_secrets_in_every_encoding() {
        let secret = "s3cr\"t/ไทย+1";
        let r = Redactor::new([secret.to_string(), "ab".to_string()]);
        let encoded = [
            secret.to_string(),
            serde_json::to_string(secret).unwrap(),
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
            "s3cr&quot;t/ไทย+1".to_string(),
        ];
        for form in encoded {
            let masked = r.text(&format!("[{form}] ab"));
            assert!(!masked.contains("s3cr"), "{form} → {masked}");
            assert!(
                masked.ends_with("] ab"),
                "short ones are not secrets: {masked}"
            );
        }
        // In a form body, and sent as the bytes a base64 secret stands for.
        let r = Redactor::new([
            "open sesame 123".to_string(),
            "c2VjcmV0LXZhbHVlLTk5".to_string(),
        ]);
        let masked = r.text("password=open+sesame+123&x=secret-value-99");
        assert!(
            !masked.contains("sesame") && !masked.contains("value-99"),
            "{masked}"
        );
        assert!(!r.text("cid=1+1014+01234+56+6").contains("01234"));
        assert_eq!(r.header("consumer-KEY", "anything"), MASK);
        assert_eq!(r.header("Accept", "application/json"), "application/json");
    }

    #[test]
    fn masks_what_base64_carries_and_ids_however_grouped_or_escaped() {
        use base64::Engine;
        let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
        let url = |t: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t);
        let r = Redactor::new(["captured-token-123".to_string()]);
        for text in [
            // A token's base64, and a Basic credential holding it.
            format!("X-Auth: {}", b64("captured-token-123")),
            format!("Authorization: Basic {}", b64("user:captured-token-123")),
            format!("POST /hook/{}/done", url("captured-token-123!")),
            // An ID inside an encoded JSON, padded or not, either alphabet.
            format!("payload={}", b64(&format!("{{\"cid\":\"{ID}\"}}"))),
            format!("jwt.{}.sig", url(&format!("{{\"sub\":\"{ID}\",\"n\":1}}"))),
            // IDs grouped however, and escaped in part.
            "id 11014-01234-566 end".to_string(),
            "id 11014\\u00301234566 end".to_string(),
            "id \\u0031101401234566 end".to_string(),
        ] {
            let shown = r.text(&text);
            assert!(!shown.contains("captured-token-123"), "{shown}");
            assert!(
                shown.contains(MASK) || shown.contains("1-1014-xxxxx-xx-6"),
                "{text} → {shown}"
            );
            assert!(!shown.contains("01234"), "{text} → {shown}");
        }
        // Base64 of nothing secret stays.
        let plain = format!("etag {}", b64("just an ordinary value here"));
        assert_eq!(r.text(&plain), plain);
    }

    #[test]
    fn masks_first_then_cuts() {
        let r = Redactor::new(["verysecretvalue".to_string()]);
        let text = format!("{}{ID} verysecretvalue", "x".repeat(5));
        // A cut inside the ID or the secret leaves neither part behind.
        for limit in 0..text.len() {
            let shown = r.cut(&text, limit);
            assert!(!shown.contains("0123"), "{shown}");
            assert!(!shown.contains("verys"), "{shown}");
        }
    }

    #[test]
    fn protected_values_are_left_alone() {
        let digest = format!("ab{ID}cd");
        let r = Redactor::default().protecting([digest.clone()]);
        assert_eq!(
            r.text(&format!("digest {digest}")),
            format!("digest {digest}")
        );
        assert_eq!(r.text(&format!("x{ID}y")), "x1-1014-xxxxx-xx-6y");
    }

    #[test]
    fn the_run_collects_secrets_as_cases_meet_them() {
        let secrets = Secrets::default();
        secrets.add(["captured-token".to_string()]);
        assert_eq!(secrets.redactor().text("a captured-token b"), "a *** b");
    }
}
