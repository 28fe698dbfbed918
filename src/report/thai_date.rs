//! Dates as Thai official documents write them: Buddhist Era (พ.ศ. = ค.ศ. + 543), Thai month
//! names, Thai digits by default: `๒๓ พฤศจิกายน ๒๕๖๙ เวลา ๑๐:๑๕ น.`

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::clock::BANGKOK;

const MONTHS: [&str; 12] = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Which digits numbers are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digits {
    Thai,
    Arabic,
}

/// `0`–`9` become `๐`–`๙` (U+0E50 + d); everything else stays.
pub fn digits(text: &str, digits: Digits) -> String {
    match digits {
        Digits::Arabic => text.to_string(),
        Digits::Thai => text
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0x0E50 + d).unwrap_or(c),
                None => c,
            })
            .collect(),
    }
}

/// `2026-11-23T10:15:00+07:00` → `๒๓ พฤศจิกายน ๒๕๖๙ เวลา ๑๐:๑๕ น.`, in Bangkok time.
/// Text that is not RFC 3339 is returned as it is.
pub fn thai_datetime(rfc3339: &str, d: Digits) -> String {
    let Ok(at) = OffsetDateTime::parse(rfc3339, &Rfc3339) else {
        return rfc3339.to_string();
    };
    let at = at.to_offset(BANGKOK);
    let month = MONTHS[usize::from(u8::from(at.month())) - 1];
    let text = format!(
        "{} {month} {} เวลา {:02}:{:02} น.",
        at.day(),
        at.year() + 543,
        at.hour(),
        at.minute()
    );
    digits(&text, d)
}

/// `2026-12-31` → `๓๑ ธันวาคม ๒๕๖๙` (a waiver's dates); other text is returned as it is.
pub fn thai_date(ymd: &str, d: Digits) -> String {
    match parse_date(ymd) {
        Some(at) => {
            let month = MONTHS[usize::from(u8::from(at.month())) - 1];
            digits(&format!("{} {month} {}", at.day(), at.year() + 543), d)
        }
        None => ymd.to_string(),
    }
}

/// `2026-12-31` → `31 December 2026`.
pub fn english_date(ymd: &str) -> String {
    match parse_date(ymd) {
        Some(at) => {
            let month = MONTHS_EN[usize::from(u8::from(at.month())) - 1];
            format!("{} {month} {}", at.day(), at.year())
        }
        None => ymd.to_string(),
    }
}

fn parse_date(ymd: &str) -> Option<time::Date> {
    time::Date::parse(
        ymd.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The same moment for English readers: `23 November 2026, 10:15 (UTC+07:00)`.
pub fn english_datetime(rfc3339: &str) -> String {
    let Ok(at) = OffsetDateTime::parse(rfc3339, &Rfc3339) else {
        return rfc3339.to_string();
    };
    let at = at.to_offset(BANGKOK);
    let month = MONTHS_EN[usize::from(u8::from(at.month())) - 1];
    format!(
        "{} {month} {}, {:02}:{:02} (UTC+07:00)",
        at.day(),
        at.year(),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_alone_in_the_buddhist_era() {
        assert_eq!(thai_date("2026-12-31", Digits::Thai), "๓๑ ธันวาคม ๒๕๖๙");
        assert_eq!(thai_date("2027-01-02", Digits::Arabic), "2 มกราคม 2570");
        assert_eq!(english_date("2026-12-31"), "31 December 2026");
        assert_eq!(thai_date("31/12/2026", Digits::Thai), "31/12/2026");
    }

    #[test]
    fn buddhist_era_with_thai_digits() {
        assert_eq!(
            thai_datetime("2026-11-23T10:15:00+07:00", Digits::Thai),
            "๒๓ พฤศจิกายน ๒๕๖๙ เวลา ๑๐:๑๕ น."
        );
        assert_eq!(
            thai_datetime("2026-11-23T10:15:00+07:00", Digits::Arabic),
            "23 พฤศจิกายน 2569 เวลา 10:15 น."
        );
    }

    #[test]
    fn converts_to_bangkok_time_first() {
        // 31 December 20:30 UTC is already New Year in Bangkok, and a new BE year.
        assert_eq!(
            thai_datetime("2026-12-31T20:30:00Z", Digits::Arabic),
            "1 มกราคม 2570 เวลา 03:30 น."
        );
        assert_eq!(
            english_datetime("2026-12-31T20:30:00Z"),
            "1 January 2027, 03:30 (UTC+07:00)"
        );
    }

    #[test]
    fn digits_only_touch_digits() {
        assert_eq!(digits("TP-4.1 ผ่าน 12/34", Digits::Thai), "TP-๔.๑ ผ่าน ๑๒/๓๔");
        assert_eq!(thai_datetime("not a date", Digits::Thai), "not a date");
    }
}
