//! Checks that a message is authentic and fresh: an HMAC-SHA256 signature of its body in a
//! header, made with a secret the suite knows (webhooks), and a timestamp header within some
//! seconds of its arrival (replay windows). Pure: the message, the spec and the variables in.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Response;
use super::outcome::{CheckResult, Outcome};
use crate::suite::{SignatureEncoding, SignatureSpec, TimestampFormat, TimestampSpec};
use crate::template::{Answer, Template};
use crate::text;
use crate::vars::Vars;

fn render(text: &str, vars: &Vars, answer: Option<&dyn Answer>) -> Result<String, String> {
    Template::parse(text)
        .and_then(|t| t.render_string_with(vars, answer))
        .map_err(|e| e.to_string())
}

/// HMAC-SHA256 of `message` then `body`, with `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8], body: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

pub fn signature(
    spec: &SignatureSpec,
    response: &Response,
    vars: &Vars,
    answer: Option<&dyn Answer>,
) -> CheckResult {
    let name = format!("signature {}", spec.header);
    let fail = |outcome, message| CheckResult::new(name.clone(), outcome, message);
    let (secret, message) = match (
        render(&spec.secret, vars, answer),
        spec.message
            .as_ref()
            .map(|m| render(m, vars, answer))
            .transpose(),
    ) {
        (Ok(secret), Ok(message)) => (secret, message.unwrap_or_default()),
        (Err(e), _) | (_, Err(e)) => {
            return fail(
                Outcome::Error,
                text!(
                    "สร้างลายมือชื่อที่คาดไม่ได้: {}",
                    "cannot build the expected signature: {}",
                    e
                ),
            );
        }
    };
    if response.truncated {
        return fail(
            Outcome::Error,
            text!(
                "body ยาวเกินกว่าที่เก็บไว้ทั้งหมด จึงตรวจลายมือชื่อไม่ได้",
                "the body is longer than what was kept whole: its signature cannot be checked"
            ),
        );
    }
    let Some(sent) = response.header(&spec.header) else {
        return fail(
            Outcome::Fail,
            text!("ไม่มี header {}", "no {} header", spec.header),
        );
    };
    let mac = hmac_sha256(secret.as_bytes(), message.as_bytes(), &response.body);
    let expected = match spec.encoding {
        SignatureEncoding::Hex => crate::suite::digest::hex(&mac),
        SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(&mac),
    };
    let prefix = spec.prefix.as_deref().unwrap_or("");
    let got = sent.trim().strip_prefix(prefix).unwrap_or("");
    let ok = match spec.encoding {
        SignatureEncoding::Hex => got.eq_ignore_ascii_case(&expected),
        SignatureEncoding::Base64 => got == expected,
    };
    // Neither value is shown: both are made from the secret.
    CheckResult::new(
        name,
        if ok { Outcome::Pass } else { Outcome::Fail },
        if ok {
            text!("ลายมือชื่อถูกต้อง", "the signature is right")
        } else {
            text!(
                "ลายมือชื่อใน {} ไม่ตรงกับ HMAC-SHA256 ของข้อความด้วยกุญแจของชุดทดสอบ",
                "the signature in {} is not the HMAC-SHA256 of the message with the suite's secret",
                spec.header
            )
        },
    )
}

pub fn timestamp(spec: &TimestampSpec, response: &Response) -> CheckResult {
    let name = format!("timestamp {}", spec.header);
    let arrived = if response.received_ms == 0 {
        crate::clock::unix_ms()
    } else {
        response.received_ms
    };
    let sent = response.header(&spec.header);
    // Times past year 9999 either way are not times: a hostile header cannot overflow this.
    const MAX_MS: i64 = 253_402_300_800_000;
    let at_ms: Option<i64> = sent.as_deref().and_then(|v| {
        let v = v.trim();
        let ms = match spec.format {
            TimestampFormat::Unix => v.parse::<i64>().ok().and_then(|s| s.checked_mul(1000)),
            TimestampFormat::UnixMs => v.parse::<i64>().ok(),
            TimestampFormat::Rfc3339 => {
                time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
            }
        };
        ms.filter(|ms| ms.abs() <= MAX_MS)
    });
    let Some(at_ms) = at_ms else {
        let shown = sent.unwrap_or_default();
        return CheckResult::new(
            name,
            Outcome::Fail,
            text!(
                "header {} ไม่มีเวลาในรูปแบบที่กำหนด ({:?})",
                "the {} header holds no time in the given format ({:?})",
                spec.header,
                shown
            ),
        );
    };
    let arrived = i64::try_from(arrived).unwrap_or(i64::MAX);
    // Both within ±MAX_MS: no overflow.
    let off_ms = (at_ms - arrived).unsigned_abs();
    let ok = off_ms <= spec.within_s.saturating_mul(1000);
    CheckResult::new(
        name,
        if ok { Outcome::Pass } else { Outcome::Fail },
        text!(
            "เวลาใน {} ห่างจากเวลาที่ได้รับ {} ms (ไม่เกิน {} วินาที)",
            "the time in {} is {} ms from its arrival (at most {} s)",
            spec.header,
            off_ms,
            spec.within_s
        ),
    )
    .expected(
        format!("within {} s", spec.within_s),
        format!("{off_ms} ms"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::suite::digest::hex;

    #[test]
    fn rfc_4231_vectors() {
        // Test case 1.
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"", b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2: a key shorter than the block, the message split in two.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want ", b"for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                b""
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_timestamp_is_judged_against_arrival() {
        let response = |value: &str| Response {
            headers: vec![("X-Timestamp".into(), value.into())],
            received_ms: 1_700_000_000_000,
            ..Response::default()
        };
        let spec = |format| TimestampSpec {
            header: "X-Timestamp".into(),
            within_s: 300,
            format,
        };
        let unix = spec(TimestampFormat::Unix);
        assert_eq!(
            timestamp(&unix, &response("1700000100")).outcome,
            Outcome::Pass
        );
        assert_eq!(
            timestamp(&unix, &response("1699999000")).outcome,
            Outcome::Fail
        );
        assert_eq!(timestamp(&unix, &response("soon")).outcome, Outcome::Fail);
        // Values that would overflow, or wrap to now in a release build, are not times.
        for hostile in [
            "-170141183460469231731687303715884105728",
            "7486212072260646196194241365295418914",
            "9223372036854775807",
        ] {
            assert_eq!(timestamp(&unix, &response(hostile)).outcome, Outcome::Fail);
            let ms = spec(TimestampFormat::UnixMs);
            assert_eq!(timestamp(&ms, &response(hostile)).outcome, Outcome::Fail);
        }
        let rfc = spec(TimestampFormat::Rfc3339);
        assert_eq!(
            timestamp(&rfc, &response("2023-11-15T05:13:20+07:00")).outcome,
            Outcome::Pass
        );
    }
}
