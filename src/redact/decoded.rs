//! A text as a reader of it would decode it once: percent-encoding (`%2F`), JSON escapes
//! (`\"`, `\u0031`) and HTML/XML entities (`&amp;`, `&#49;`) become the characters they stand
//! for. Masking searches this view, so a secret or an ID is found whatever encoding an output
//! or a target gave it, and is masked in the original text, escapes and all.

/// One escape: where it is in the decoded text and in the original.
#[derive(Clone, Copy, Debug)]
struct Escape {
    decoded_start: usize,
    decoded_len: usize,
    start: usize,
    len: usize,
}

pub struct Decoded<'a> {
    /// The original itself when it has no escapes.
    pub text: std::borrow::Cow<'a, str>,
    /// In order; usually few, so a text without escapes costs nothing more than a copy.
    escapes: Vec<Escape>,
}

impl<'a> Decoded<'a> {
    pub fn new(original: &'a str) -> Self {
        let bytes = original.as_bytes();
        // SIMD jumps from one escape character to the next: most text has few or none.
        let mut candidates = memchr::memchr3_iter(b'%', b'\\', b'&', bytes).peekable();
        if candidates.peek().is_none() {
            return Self {
                text: original.into(),
                escapes: Vec::new(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut escapes = Vec::new();
        let mut copied = 0;
        for i in candidates {
            // Inside an escape already taken (`\\` then `\`): not a new one.
            if i < copied {
                continue;
            }
            let found = match bytes[i] {
                b'%' => percent(&bytes[i..]),
                b'\\' => json_escape(&original[i..]),
                _ => entity(&original[i..]),
            };
            if let Some((c, len)) = found {
                text.push_str(&original[copied..i]);
                escapes.push(Escape {
                    decoded_start: text.len(),
                    decoded_len: c.len_utf8(),
                    start: i,
                    len,
                });
                text.push(c);
                copied = i + len;
            }
        }
        text.push_str(&original[copied..]);
        Self {
            text: text.into(),
            escapes,
        }
    }

    /// Whether the text had no escapes (the decoded view is the original).
    pub fn is_plain(&self) -> bool {
        self.escapes.is_empty()
    }

    /// The original range of a decoded range. Both ends are character boundaries of the
    /// decoded text, and an escape decodes to one character, so escapes are taken whole.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        (self.map(start), self.map(end))
    }

    /// Between escapes, text is copied one to one: count from the last escape before `pos`.
    fn map(&self, pos: usize) -> usize {
        let before = self.escapes.partition_point(|e| e.decoded_start < pos);
        match before.checked_sub(1).map(|i| self.escapes[i]) {
            None => pos,
            Some(e) => e.start + e.len + (pos - e.decoded_start - e.decoded_len),
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `%XX` (one to four of them making one UTF-8 character).
fn percent(bytes: &[u8]) -> Option<(char, usize)> {
    let byte_at = |k: usize| -> Option<u8> {
        let at = k * 3;
        (bytes.get(at) == Some(&b'%'))
            .then(|| Some(hex(*bytes.get(at + 1)?)? * 16 + hex(*bytes.get(at + 2)?)?))
            .flatten()
    };
    let first = byte_at(0)?;
    let width = match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return None,
    };
    let mut buf = [0u8; 4];
    for (k, slot) in buf.iter_mut().enumerate().take(width) {
        *slot = byte_at(k)?;
    }
    let c = std::str::from_utf8(&buf[..width]).ok()?.chars().next()?;
    Some((c, width * 3))
}

/// `\"`, `\\`, `\/`, `\n` …, `\uXXXX` (with surrogate pairs).
fn json_escape(s: &str) -> Option<(char, usize)> {
    let mut chars = s.chars().skip(1);
    let c = match chars.next()? {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let unit = |at: usize| u32::from_str_radix(s.get(at..at + 4)?, 16).ok();
            let high = unit(2)?;
            if (0xD800..0xDC00).contains(&high) {
                let low = s.get(6..8).filter(|p| *p == "\\u").and_then(|_| unit(8))?;
                let c =
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low.checked_sub(0xDC00)?))?;
                return Some((c, 12));
            }
            return Some((char::from_u32(high)?, 6));
        }
        _ => return None,
    };
    Some((c, 2))
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NN;`, `&#xHH;`.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_decodes_and_maps_back() {
        let original = r#"a%2Fb \"q\" \u0031\u0032 &amp;&#x33; %E0%B8%81"#;
        let d = Decoded::new(original);
        assert_eq!(d.text, r#"a/b "q" 12 &3 ก"#);
        let at = d.text.find("12").unwrap();
        let (s, e) = d.original(at, at + 2);
        assert_eq!(&original[s..e], r"\u0031\u0032");
        let at = d.text.find('ก').unwrap();
        let (s, e) = d.original(at, at + 'ก'.len_utf8());
        assert_eq!(&original[s..e], "%E0%B8%81");
        let at = d.text.find("/b").unwrap();
        let (s, e) = d.original(at, at + 2);
        assert_eq!(&original[s..e], "%2Fb");
    }

    #[test]
    fn malformed_escapes_stay_as_written() {
        for text in [
            "100%", "%zz", r"\x", r"\u12", "&nope;", "&#xZZ;", "&", r"\uD800x",
        ] {
            assert_eq!(Decoded::new(text).text, text);
        }
    }

    #[test]
    fn an_escape_character_inside_an_escape_is_not_another_escape() {
        // `\\` is one backslash; the `\u0031` after it is text, not a digit.
        assert_eq!(Decoded::new(r"\\u0031").text, r"\u0031");
        assert_eq!(Decoded::new(r"%25%32").text, "%2");
        assert_eq!(Decoded::new("&amp;amp;").text, "&amp;");
    }

    #[test]
    fn a_surrogate_pair_is_one_character() {
        assert_eq!(Decoded::new(r"\ud83d\ude00").text, "😀");
    }
}
