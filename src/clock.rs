//! Time in Asia/Bangkok (UTC+07:00, no daylight saving), as the portal and proposals use it.

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, UtcOffset, macros::format_description, macros::offset};

pub const BANGKOK: UtcOffset = offset!(+7);

/// Now, in Bangkok time, to the second.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc().to_offset(BANGKOK);
    now.replace_nanosecond(0).unwrap_or(now)
}

/// Milliseconds since the Unix epoch, now.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// RFC 3339 in Bangkok time to the millisecond, e.g. `2026-11-23T10:15:00.123+07:00`.
pub fn rfc3339_ms(unix_ms: u64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(BANGKOK);
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
    );
    at.format(format).unwrap_or_else(|_| rfc3339(at))
}

/// RFC 3339 with the `+07:00` offset, e.g. `2026-11-23T10:15:00+07:00`.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(BANGKOK)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// The Bangkok calendar date `offset_days` from `at`, as `YYYY-MM-DD`.
pub fn date_from(at: OffsetDateTime, offset_days: i64) -> String {
    let date: Date = at.to_offset(BANGKOK).date();
    let shifted = date
        .checked_add(Duration::days(offset_days))
        .unwrap_or(date);
    shifted
        .format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_in_bangkok_time() {
        let at = datetime!(2026-11-23 03:15:00 UTC);
        assert_eq!(rfc3339(at), "2026-11-23T10:15:00+07:00");
    }

    #[test]
    fn milliseconds_in_bangkok_time() {
        assert_eq!(
            rfc3339_ms(1_763_867_700_123),
            "2025-11-23T10:15:00.123+07:00"
        );
    }

    #[test]
    fn dates_cross_midnight_in_bangkok() {
        // 18:00 UTC is already the next day in Bangkok.
        let at = datetime!(2026-11-23 18:00:00 UTC);
        assert_eq!(date_from(at, 0), "2026-11-24");
        assert_eq!(date_from(at, -30), "2026-10-25");
    }
}
