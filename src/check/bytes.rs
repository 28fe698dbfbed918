//! Byte-level checks of a body: its size, how it starts, and its digests (a PDF's SHA-256 in
//! a header, an attachment's MD5).

use md5::Md5;
use sha2::{Digest, Sha256};

use super::outcome::{CheckResult, Outcome};
use crate::suite::{BytesSpec, LengthSpec};
use crate::template::{Answer, Template, TemplateError};
use crate::text;
use crate::vars::Vars;

use crate::suite::digest::hex;

pub fn evaluate(
    spec: &BytesSpec,
    body: &[u8],
    vars: &Vars,
    answer: Option<&dyn Answer>,
) -> Vec<CheckResult> {
    let render = |t: &str| -> Result<String, TemplateError> {
        Template::parse(t)?.render_string_with(vars, answer)
    };
    let mut results = Vec::new();
    if let Some(size) = spec.size {
        let n = body.len();
        let (ok, want) = match size {
            LengthSpec::Exactly(e) => (n == e, format!("{e} bytes")),
            LengthSpec::Range { min, max } => (
                min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m),
                format!(
                    "{} to {} bytes",
                    min.map_or("0".into(), |m| m.to_string()),
                    max.map_or("any".into(), |m| m.to_string())
                ),
            ),
        };
        results.push(verdict("bytes size", ok, want, format!("{n} bytes")));
    }
    let expected = |field: &Option<String>| field.as_deref().map(render).transpose();
    let checks: [(&str, &Option<String>); 4] = [
        ("bytes prefix", &spec.prefix),
        ("bytes prefix_hex", &spec.prefix_hex),
        ("bytes sha256", &spec.sha256),
        ("bytes md5", &spec.md5),
    ];
    for (check, field) in checks {
        let want = match expected(field) {
            Ok(Some(want)) => want,
            Ok(None) => continue,
            Err(e) => {
                results.push(CheckResult::new(
                    check,
                    Outcome::Error,
                    text!(
                        "ค่าที่คาดหวังใช้ไม่ได้: {}",
                        "the expected value cannot be built: {}",
                        e
                    ),
                ));
                continue;
            }
        };
        let result = match check {
            "bytes prefix" => {
                let got = String::from_utf8_lossy(&body[..body.len().min(want.len())]).into_owned();
                verdict(
                    check,
                    body.starts_with(want.as_bytes()),
                    format!("{want:?}"),
                    format!("{got:?}"),
                )
            }
            "bytes prefix_hex" => {
                let Some(prefix) = crate::suite::digest::from_hex(&want) else {
                    results.push(CheckResult::new(
                        check,
                        Outcome::Error,
                        text!("{} ไม่ใช่เลขฐานสิบหก", "{} is not hex", want),
                    ));
                    continue;
                };
                let got = hex(&body[..body.len().min(prefix.len())]);
                verdict(check, body.starts_with(&prefix), want.to_lowercase(), got)
            }
            "bytes sha256" => {
                let got = hex(&Sha256::digest(body));
                verdict(
                    check,
                    got.eq_ignore_ascii_case(want.trim()),
                    want.to_lowercase(),
                    got,
                )
            }
            _ => {
                let got = hex(&Md5::digest(body));
                verdict(
                    check,
                    got.eq_ignore_ascii_case(want.trim()),
                    want.to_lowercase(),
                    got,
                )
            }
        };
        results.push(result);
    }
    results
}

fn verdict(check: &str, ok: bool, expected: String, actual: String) -> CheckResult {
    let outcome = if ok { Outcome::Pass } else { Outcome::Fail };
    CheckResult::new(
        check,
        outcome,
        text!(
            "{}: คาดว่า {} ได้ {}",
            "{}: expected {}, got {}",
            check,
            expected,
            actual
        ),
    )
    .expected(expected, actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_prefix_and_digests() {
        let spec: BytesSpec = serde_saphyr::from_str(
            "size: { min: 5 }\nprefix: '%PDF-'\nprefix_hex: 255044\nsha256: 3FB8BBA8F2B4F6BDBE37A7C2FD40D6D0B2C4A3F0D8E1A3E0B7D8E6B1A1C2D3E4\nmd5: b7a6c8ff8d7f14ee6c4f6d4e1b8b8d5a",
        )
        .unwrap();
        let results = evaluate(&spec, b"%PDF-1.7 body", &Vars::default(), None);
        let outcomes: Vec<(String, Outcome)> = results
            .iter()
            .map(|r| (r.check.clone(), r.outcome))
            .collect();
        assert_eq!(outcomes[0], ("bytes size".into(), Outcome::Pass));
        assert_eq!(outcomes[1], ("bytes prefix".into(), Outcome::Pass));
        assert_eq!(outcomes[2], ("bytes prefix_hex".into(), Outcome::Pass));
        assert_eq!(outcomes[3], ("bytes sha256".into(), Outcome::Fail));
        assert_eq!(outcomes[4], ("bytes md5".into(), Outcome::Fail));
        let good = BytesSpec {
            sha256: Some(hex(&Sha256::digest(b"abc")).to_uppercase()),
            md5: Some("900150983cd24fb0d6963f7d28e17f72".into()),
            ..BytesSpec::default()
        };
        assert!(
            evaluate(&good, b"abc", &Vars::default(), None)
                .iter()
                .all(|r| r.outcome == Outcome::Pass)
        );
    }
}
