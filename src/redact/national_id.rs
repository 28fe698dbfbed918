//! Finding Thai national IDs in text, in the shapes they take: 13 digits in a row, or grouped
//! with one separator (dash, space, dot, a form's `+`) however the groups fall
//! (`1-1014-01234-56-6`, `11014-01234-566`); in ASCII, Thai (๑๒๓) or
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

const SEPARATORS: [char; 7] = ['-', ' ', '.', '+', '\u{a0}', '\u{2009}', '\u{202f}'];

/// Every ID in the text: its byte range and how it is shown masked.
pub fn find(text: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    // Every output passes through here, so the scan goes by bytes and decodes nothing but
    // digits (`digit_at`); every position it stops at is a character boundary.
    while let Some(skip) = bytes[i..]
        .iter()
        .position(|b| MAY_START_DIGIT[usize::from(*b)])
    {
        i += skip;
        let Some((_, width)) = digit_at(bytes, i) else {
            i += 1;
            continue;
        };
        let after_digit = digit_before(bytes, i);
        if !after_digit && let Some((end, digits, plain)) = at(&text[i..]) {
            let before = text[..i].chars().next_back();
            let ascii_alone = plain
                && !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !text[i + end..].starts_with(|n: char| n.is_ascii_alphanumeric());
            let digits = std::str::from_utf8(&digits).unwrap_or_default();
            if ascii_alone || citizen_id::is_valid(digits) {
                found.push((i, i + end, citizen_id::mask(digits)));
                i += end;
                continue;
            }
        }
        i += width;
    }
    found
}

/// The first bytes of a digit's encoding: the scan skips every other byte in one pass.
const MAY_START_DIGIT: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b'0';
    while b <= b'9' {
        table[b as usize] = true;
        b += 1;
    }
    table[0xE0] = true;
    table[0xEF] = true;
    table
};

/// The digit whose encoding starts at byte `i` (ASCII `0`–`9`, Thai `๐`–`๙` = E0 B9 90–99,
/// full-width `０`–`９` = EF BC 90–99), and its length in bytes.
fn digit_at(bytes: &[u8], i: usize) -> Option<(u8, usize)> {
    let wide = |second: u8| {
        (bytes.get(i + 1) == Some(&second))
            .then(|| bytes.get(i + 2).filter(|b| (0x90..=0x99).contains(*b)))
            .flatten()
            .map(|b| (b - 0x90, 3))
    };
    match bytes[i] {
        b @ b'0'..=b'9' => Some((b - b'0', 1)),
        0xE0 => wide(0xB9),
        0xEF => wide(0xBC),
        _ => None,
    }
}

/// Whether a digit ends just before byte `i` (a character boundary).
fn digit_before(bytes: &[u8], i: usize) -> bool {
    (i >= 1 && bytes[i - 1].is_ascii_digit())
        || (i >= 3 && digit_at(bytes, i - 3).is_some_and(|(_, width)| width == 3))
}

/// An ID-shaped run at the start of `text`: its byte length, its digits in ASCII, and whether
/// it is 13 plain ASCII digits. Groups of any size, split by one separator used throughout; no
/// digit may follow it, nor a separator and a digit (a longer grouped number).
fn at(text: &str) -> Option<(usize, [u8; 13], bool)> {
    let mut chars = text.char_indices().peekable();
    let mut digits = [0u8; 13];
    let mut count = 0;
    let mut separator: Option<char> = None;
    let mut plain = true;
    // Digits per group, for the shape of a grouped run.
    let mut groups: Vec<usize> = vec![0];
    while count < 13 {
        let (_, c) = *chars.peek()?;
        if let Some(d) = digit(c) {
            digits[count] = b'0' + d;
            count += 1;
            if let Some(last) = groups.last_mut() {
                *last += 1;
            }
            plain &= c.is_ascii_digit();
            chars.next();
            continue;
        }
        // Between groups: the same separator every time, and a digit after it.
        if count == 0 || separator.is_some_and(|s| s != c) || !SEPARATORS.contains(&c) {
            return None;
        }
        separator = Some(c);
        groups.push(0);
        chars.next();
        if chars.peek().is_none_or(|(_, n)| digit(*n).is_none()) {
            return None;
        }
    }
    let end = chars.peek().map_or(text.len(), |(i, _)| *i);
    let rest = &text[end..];
    let mut after = rest.chars();
    match after.next() {
        Some(c) if digit(c).is_some() => return None,
        Some(c) if Some(c) == separator && after.next().is_some_and(|n| digit(n).is_some()) => {
            return None;
        }
        _ => {}
    }
    // Grouped, it is an ID's shape only in three groups or more, and not a number written
    // with thousands separators (`1.234.567.890.123`).
    if separator.is_some() && (groups.len() < 3 || groups[1..].iter().all(|g| *g == 3)) {
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
            "11014-01234-566",
            "1101 4012 3456 6",
            "1+101401234+566",
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
            "1717171717.123",    // one separator: a decimal, whatever its check digit
            "1.234.567.890.123", // thousands
            "2026-11-24T13:51:47+07:00",
            "550e8400-e29b-41d4-a716-446655440000",
        ] {
            assert!(masked(text).is_empty(), "{text}: {:?}", masked(text));
        }
        // Standing alone, 13 ASCII digits are an ID even with a wrong check digit.
        assert_eq!(masked("x 1234545678789 y"), ["1234545678789"]);
    }

    #[test]
    fn a_digit_of_any_script_next_to_a_run_makes_it_longer_than_an_id() {
        for text in [
            "๑1101401234566",
            "１1101401234566",
            "11101401234566",
            "1101401234566๑",
            "๑๑๑๐๑๔๐๑๒๓๔๕๖๖",
        ] {
            assert!(masked(text).is_empty(), "{text}: {:?}", masked(text));
        }
        // Thai letters (the same lead byte as Thai digits) beside an ID do not hide it.
        assert_eq!(masked("เลขที่1101401234566ค่ะ"), ["1101401234566"]);
        assert_eq!(masked("กข๑๑๐๑๔๐๑๒๓๔๕๖๖"), ["๑๑๐๑๔๐๑๒๓๔๕๖๖"]);
    }
}
