//! Finding Thai national IDs in text, in the shapes they take: 13 digits in a row, or grouped
//! `1-1014-01234-56-6` with one separator (dash, space, dot); in ASCII, Thai (๑๒๓) or
//! full-width (１２３) digits; next to letters or not. An ID with a valid check digit is found
//! in any of these shapes; 13 ASCII digits standing alone (no digit or ASCII letter beside
//! them) are taken for an ID whatever their check digit, since a mistyped real ID is still
//! personal data.

use crate::citizen_id;

/// The value of a decimal digit in any of the scripts IDs are written in.
fn digit(c: char) -> Option<u8> {
    let value = match c {
        '0'..='9' => c as u32 - '0' as u32,
        '๐'..='๙' => c as u32 - '๐' as u32,
        '０'..='９' => c as u32 - '０' as u32,
        _ => return None,
    };
    Some(value as u8)
}

const SEPARATORS: [char; 6] = ['-', ' ', '.', '\u{a0}', '\u{2009}', '\u{202f}'];
/// Digits per group of the printed form, `1-1014-01234-56-6`.
const GROUPS: [usize; 5] = [1, 4, 5, 2, 1];

/// Every ID in the text: its byte range and how it is shown masked.
pub fn find(text: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Every output passes through here: skip in bytes to what may start a digit (an ASCII
        // digit, or the lead byte of a Thai or full-width one; both are character boundaries).
        if !(bytes[i].is_ascii_digit() || bytes[i] == 0xE0 || bytes[i] == 0xEF) {
            i += 1;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let before = text[..i].chars().next_back();
        if digit(c).is_some()
            && before.is_none_or(|b| digit(b).is_none())
            && let Some((end, digits, plain)) = at(&text[i..])
        {
            let ascii_alone = plain
                && !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !text[i + end..].starts_with(|n: char| n.is_ascii_alphanumeric());
            if ascii_alone || citizen_id::is_valid(&digits) {
                found.push((i, i + end, citizen_id::mask(&digits)));
                i += end;
                continue;
            }
        }
        i += c.len_utf8();
    }
    found
}

/// An ID-shaped run at the start of `text`: its byte length, its digits in ASCII, and whether
/// it is 13 plain ASCII digits. No digit may follow it.
fn at(text: &str) -> Option<(usize, String, bool)> {
    let mut chars = text.char_indices().peekable();
    let mut digits = String::with_capacity(13);
    let mut separator: Option<char> = None;
    let mut plain = true;
    for (g, size) in GROUPS.iter().enumerate() {
        for _ in 0..*size {
            let (_, c) = chars.next()?;
            digits.push(char::from(b'0' + digit(c)?));
            plain &= c.is_ascii_digit();
        }
        if g + 1 == GROUPS.len() {
            break;
        }
        // Between groups: nothing (13 in a row), or the same separator every time.
        let &(_, next) = chars.peek()?;
        match separator {
            None if digits.len() == 1 && SEPARATORS.contains(&next) => {
                separator = Some(next);
                chars.next();
            }
            Some(sep) if next == sep => {
                chars.next();
            }
            Some(_) => return None,
            None => {}
        }
    }
    let end = chars.peek().map_or(text.len(), |(i, _)| *i);
    if chars.peek().is_some_and(|(_, c)| digit(*c).is_some()) {
        return None;
    }
    Some((end, digits, plain && separator.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> Vec<String> {
        find(text)
            .into_iter()
            .map(|(s, e, _)| text[s..e].to_string())
            .collect()
    }

    #[test]
    fn every_shape_of_a_valid_id_is_found() {
        for shape in [
            "1101401234566",
            "CID1101401234566",
            "1-1014-01234-56-6",
            "1 1014 01234 56 6",
            "1.1014.01234.56.6",
            "๑๑๐๑๔๐๑๒๓๔๕๖๖",
            "１１０１４０１２３４５６６",
        ] {
            let text = format!("id: {shape}.");
            let found = find(&text);
            assert_eq!(found.len(), 1, "{shape}");
            assert_eq!(found[0].2, "1-1014-xxxxx-xx-6", "{shape}");
        }
    }

    #[test]
    fn other_numbers_are_left_alone() {
        for text in [
            "12345678901234",
            "123456789012",
            "0812345678",
            "CSG-2569-000123",
            "x1234545678789",    // invalid check digit next to a letter
            "1-1014-01234 56-6", // mixed separators
            "2026-11-24T13:51:47+07:00",
            "550e8400-e29b-41d4-a716-446655440000",
        ] {
            assert!(masked(text).is_empty(), "{text}: {:?}", masked(text));
        }
        // Standing alone, 13 ASCII digits are an ID even with a wrong check digit.
        assert_eq!(masked("x 1234545678789 y"), ["1234545678789"]);
    }
}
