//! The functions and filters of cpc's expressions, on a minijinja environment of its own:
//! fresh values (`uuid()`, `citizen_id()`), time (`now('+15m')`, `| unix`, `| http_date`,
//! `| be_date`), encodings (`| base64`, `| base64url`, `| hex`, `| urlencode`, `| json`) and
//! digests (`| sha256`, `| hmac_sha256(key)`).

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use hmac::Mac;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, filters};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Digest;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::report::thai_date::{Digits, thai_date};
use crate::suite::digest::hex;
use crate::{citizen_id, clock};

/// The work one expression may do: about 64 MiB of data created, or a million steps.
const FUEL: u64 = 1_000_000;

/// The longest `hmac_sha256` key: the work it costs is not counted in fuel.
const MAX_KEY_BYTES: usize = 64 * 1024;

/// `today(n)` and `now(offset)` reach a century either way.
const MAX_DAYS: i64 = 36_500;

pub static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.add_function("uuid", || uuid::Uuid::new_v4().to_string());
    env.add_function("citizen_id", citizen_id::generate);
    env.add_function("now", now);
    env.add_function("today", today);
    env.add_filter("base64", |v: Value| {
        Ok::<_, Error>(STANDARD.encode(bytes(&v)?))
    });
    env.add_filter("base64url", base64url);
    env.add_filter("base64_decode", |v: Value| decode(&v, &STANDARD));
    env.add_filter("base64url_decode", |v: Value| decode(&v, &URL_SAFE));
    env.add_filter("hex", |v: Value| Ok::<_, Error>(hex(bytes(&v)?)));
    env.add_filter("sha256", |v: Value, encoding: Option<String>| {
        encode(&sha2::Sha256::digest(bytes(&v)?), encoding.as_deref())
    });
    env.add_filter("hmac_sha256", hmac_sha256);
    env.add_filter("urlencode", |v: Value| {
        Ok::<_, Error>(urlencode(&text(&v)?))
    });
    env.add_filter("json", |v: Value| {
        serde_json::to_string(&v)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    env.add_filter("unix", |v: Value| instant(&v).map(|t| t.unix_timestamp()));
    env.add_filter("unix_ms", |v: Value| {
        instant(&v).map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
    });
    env.add_filter("rfc3339", |v: Value| instant(&v).map(clock::rfc3339));
    env.add_filter("http_date", |v: Value| instant(&v).map(http_date));
    env.add_filter("be_date", |v: Value| {
        instant(&v).map(|t| {
            let d = t.to_offset(clock::BANGKOK).date();
            format!(
                "{}-{:02}-{:02}",
                d.year() + 543,
                u8::from(d.month()),
                d.day()
            )
        })
    });
    env.add_filter("thai_date", |v: Value| {
        instant(&v).map(|t| thai_date(&clock::date_from(t, 0), Digits::Arabic))
    });
    env.add_filter("abs", filters::abs);
    env.add_filter("default", filters::default);
    env.add_filter("first", filters::first);
    env.add_filter("float", filters::float);
    env.add_filter("int", filters::int);
    env.add_filter("join", filters::join);
    env.add_filter("last", filters::last);
    env.add_filter("length", filters::length);
    env.add_filter("lower", filters::lower);
    env.add_filter("max", filters::max);
    env.add_filter("min", filters::min);
    env.add_filter("replace", filters::replace);
    env.add_filter("reverse", filters::reverse);
    env.add_filter("round", filters::round);
    env.add_filter("sort", filters::sort);
    env.add_filter("string", filters::string);
    env.add_filter("sum", filters::sum);
    env.add_filter("trim", filters::trim);
    env.add_filter("unique", filters::unique);
    env.add_filter("upper", filters::upper);
    env
});

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// The bytes of a text (its UTF-8) or of a binary value (a decoded base64 that is not text).
fn bytes(v: &Value) -> Result<&[u8], Error> {
    match v.kind() {
        ValueKind::String | ValueKind::Bytes => Ok(v.as_bytes().unwrap_or_default()),
        _ => Err(invalid(format!(
            "expects text, not {} (make it text with `| string` or `| json`)",
            v.kind()
        ))),
    }
}

fn text(v: &Value) -> Result<String, Error> {
    match v.kind() {
        ValueKind::Bytes => Err(invalid("expects text, not bytes")),
        ValueKind::String => Ok(v.as_str().unwrap_or_default().to_string()),
        _ => Ok(v.to_string()),
    }
}

/// A digest as `hex` (the default), `base64` or `base64url` (unpadded, as JWTs and webhooks
/// write it).
fn encode(digest: &[u8], encoding: Option<&str>) -> Result<String, Error> {
    match encoding.unwrap_or("hex") {
        "hex" => Ok(hex(digest)),
        "base64" => Ok(STANDARD.encode(digest)),
        "base64url" => Ok(URL_SAFE_NO_PAD.encode(digest)),
        other => Err(invalid(format!(
            "encoding `{other}`: cpc writes a digest as hex, base64 or base64url"
        ))),
    }
}

/// `message | hmac_sha256(key)`: RFC 2104 HMAC with SHA-256.
fn hmac_sha256(message: Value, key: Value, encoding: Option<String>) -> Result<String, Error> {
    let key = bytes(&key)?;
    if key.len() > MAX_KEY_BYTES {
        return Err(invalid(format!(
            "an HMAC key of {} bytes: at most {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key).map_err(|e| invalid(e.to_string()))?;
    mac.update(bytes(&message)?);
    encode(&mac.finalize().into_bytes(), encoding.as_deref())
}

/// RFC 4648 §5, padded unless `pad=false`.
fn base64url(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let pad: Option<bool> = kwargs.get("pad")?;
    kwargs.assert_all_used()?;
    let bytes = bytes(&v)?;
    Ok(if pad.unwrap_or(true) {
        URL_SAFE.encode(bytes)
    } else {
        URL_SAFE_NO_PAD.encode(bytes)
    })
}

/// Decoded base64, padded or not: text when it is UTF-8, bytes otherwise (which only a
/// digest or an encoding can take further).
fn decode(v: &Value, engine: &base64::engine::GeneralPurpose) -> Result<Value, Error> {
    let compact: String = text(v)?.split_whitespace().collect();
    let padded = match compact.len() % 4 {
        0 => compact,
        n => format!("{compact}{}", "=".repeat(4 - n)),
    };
    let bytes = engine
        .decode(padded.as_bytes())
        .map_err(|e| invalid(format!("not base64: {e}")))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Value::from(text),
        Err(e) => Value::from_bytes(e.into_bytes()),
    })
}

/// RFC 3986: everything but the unreserved characters is percent-encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn urlencode(text: &str) -> String {
    utf8_percent_encode(text, NOT_UNRESERVED).to_string()
}

/// `+15m`, `-2h`, `30s`, `1d`, `-1500ms`, or a number of seconds.
fn duration(offset: &Value) -> Result<Duration, Error> {
    let bad = || {
        invalid(format!(
            "`{offset}` is not a duration (`+15m`, `-2h`, `30s`, `1d`, `500ms` or seconds as a number), within {MAX_DAYS} days"
        ))
    };
    let (n, unit_ms) = if let Some(seconds) = offset.as_i64() {
        (seconds, 1000)
    } else {
        let text = offset.as_str().ok_or_else(bad)?.trim();
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let split = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..split].parse().map_err(|_| bad())?;
        let unit_ms = match &rest[split..] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        (if negative { -n } else { n }, unit_ms)
    };
    let ms = n.checked_mul(unit_ms).ok_or_else(bad)?;
    if ms.abs() > MAX_DAYS * 86_400_000 {
        return Err(bad());
    }
    Ok(Duration::milliseconds(ms))
}

/// `now()`: RFC 3339 in Bangkok time, to the second; `now('-5m')` five minutes ago.
fn now(offset: Option<Value>) -> Result<String, Error> {
    let shift = offset
        .as_ref()
        .map(duration)
        .transpose()?
        .unwrap_or_default();
    Ok(clock::rfc3339(clock::now() + shift))
}

/// `today()`: the Bangkok date as `YYYY-MM-DD`; `today(-30)` thirty days before.
fn today(days: Option<i64>) -> Result<String, Error> {
    let days = days.unwrap_or(0);
    if days.unsigned_abs() > MAX_DAYS as u64 {
        return Err(invalid(format!(
            "`today(…)` takes a whole number of days from -{MAX_DAYS} to {MAX_DAYS}"
        )));
    }
    Ok(clock::date_from(clock::now(), days))
}

/// A moment: RFC 3339 text, a `YYYY-MM-DD` date (midnight in Bangkok), or Unix seconds; in
/// the years 1 to 9998, so that it can be written in any time zone.
fn instant(v: &Value) -> Result<OffsetDateTime, Error> {
    let bad = || {
        invalid(format!(
            "`{}` is not a time (RFC 3339, YYYY-MM-DD or Unix seconds, years 1 to 9998)",
            crate::redact::cut(&v.to_string(), 40)
        ))
    };
    let at = if let Some(seconds) = v.as_i64() {
        OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| bad())?
    } else {
        let text = v.as_str().ok_or_else(bad)?;
        match OffsetDateTime::parse(text, &Rfc3339) {
            Ok(at) => at,
            Err(_) => time::Date::parse(
                text,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| bad())?
            .midnight()
            .assume_offset(clock::BANGKOK),
        }
    };
    if !(1..=9998).contains(&at.year()) {
        return Err(bad());
    }
    Ok(at)
}

/// RFC 9110 IMF-fixdate, e.g. `Sun, 06 Dec 2026 01:39:06 GMT`.
fn http_date(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    utc.format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    fn eval(src: &str) -> Result<Value, Error> {
        ENV.compile_expression(src)?.eval(context! {})
    }

    fn text(src: &str) -> String {
        eval(src).unwrap().to_string()
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 §10.
        for (plain, b64) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(text(&format!("'{plain}' | base64")), b64);
            assert_eq!(text(&format!("'{plain}' | base64url")), b64);
            assert_eq!(text(&format!("'{b64}' | base64_decode")), plain);
            let unpadded = b64.trim_end_matches('=');
            assert_eq!(text(&format!("'{plain}' | base64url(pad=false)")), unpadded);
            assert_eq!(text(&format!("'{unpadded}' | base64url_decode")), plain);
        }
        // The two alphabets differ in 62 and 63: bytes FB FF.
        assert_eq!(text("'+/8=' | base64_decode | base64url"), "-_8=");
        assert_eq!(text("'-_8' | base64url_decode | hex"), "fbff");
        assert!(eval("'%%' | base64_decode").is_err());
    }

    #[test]
    fn hmac_matches_rfc4231_vectors() {
        // RFC 4231 test cases 1 and 2 (3 to 7 use binary keys, given here as base64).
        assert_eq!(
            text("'Hi There' | hmac_sha256('CwsLCwsLCwsLCwsLCwsLCwsLCws=' | base64_decode)"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            text("'what do ya want for nothing?' | hmac_sha256('Jefe')"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block size.
        let key = format!("'{}qqo=' | base64_decode", "qqqq".repeat(43));
        assert_eq!(
            text(&format!(
                "'Test Using Larger Than Block-Size Key - Hash Key First' | hmac_sha256({key})"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            text("'what do ya want for nothing?' | hmac_sha256('Jefe', 'base64')"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
        );
        assert!(eval("'x' | hmac_sha256('k', 'rot13')").is_err());
        assert!(eval("'x' | hmac_sha256('k' * 70000)").is_err());
    }

    #[test]
    fn digests_and_encodings() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            text("'abc' | sha256"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(text("'ก' | hex"), "e0b881");
        assert_eq!(text("'a b&c=ก/~' | urlencode"), "a%20b%26c%3D%E0%B8%81%2F~");
        assert_eq!(text("{'n': 1, 's': 'ก\"'} | json"), r#"{"n":1,"s":"ก\""}"#);
        assert!(eval("3 | sha256").is_err());
    }

    #[test]
    fn time_in_every_form() {
        let at = "'2026-12-06T08:39:06+07:00'";
        assert_eq!(text(&format!("{at} | unix")), "1796521146");
        assert_eq!(text(&format!("{at} | unix_ms")), "1796521146000");
        assert_eq!(
            text(&format!("{at} | http_date")),
            "Sun, 06 Dec 2026 01:39:06 GMT"
        );
        assert_eq!(text(&format!("{at} | be_date")), "2569-12-06");
        assert_eq!(text(&format!("{at} | thai_date")), "6 ธันวาคม 2569");
        assert_eq!(text("1796521146 | rfc3339"), "2026-12-06T08:39:06+07:00");
        assert_eq!(
            text("((('2026-12-06' | unix) + 86400) | rfc3339)"),
            "2026-12-07T00:00:00+07:00"
        );
        let before = clock::now().unix_timestamp();
        let shifted = eval("now('-15m') | unix").unwrap().as_i64().unwrap();
        assert!((before - 900 - shifted).abs() <= 2, "{before} {shifted}");
        assert!(eval("now('soon')").is_err());
        assert!(eval("now('+99999999d')").is_err());
        assert!(eval("today(40000)").is_err());
        assert!(eval("'yesterday' | unix").is_err());
        // Times that could not be written in Bangkok time are refused, not a panic.
        assert!(eval("253402300799 | be_date").is_err());
        assert!(eval("'9999-12-31T23:59:59Z' | thai_date").is_err());
        assert!(eval("today(-9223372036854775807 - 1)").is_err());
    }

    #[test]
    fn work_is_bounded() {
        let err = eval("'x' * 1000000000").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfFuel, "{err}");
    }
}
