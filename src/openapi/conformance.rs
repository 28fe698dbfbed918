//! Whether an answer is what the document says its operation answers (`conforms: openapi`):
//! the method and path are documented, the status is (or `default` is), the content type is
//! one the response declares, the body validates against its schema, and the headers it
//! requires are there. Each finding names the operation and, in the body, the JSON pointer.

use super::operations::pick;
use super::{ApiDoc, Undocumented};
use crate::check::{CheckResult, Outcome, Response};
use crate::i18n::Text;

/// The most schema violations reported for one body (the whole body is in the evidence).
const MAX_VIOLATIONS: usize = 10;

pub fn judge(doc: &ApiDoc, method: &str, path: &str, response: &Response) -> Vec<CheckResult> {
    let mut findings = Vec::new();
    let method = method.to_ascii_uppercase();
    // The path as sent may hold what the target chose (a captured id) or a national ID: it
    // goes in the message, which is masked, never in the check's name.
    let op = match doc.operation(&method, path) {
        Ok(op) => op,
        Err(Undocumented::Path) => {
            findings.push(finding(
                "openapi".into(),
                Text::new(
                    format!("{method} {path}: ไม่มีเส้นทางนี้ในเอกสาร OpenAPI"),
                    format!("{method} {path}: the path is not in the OpenAPI document"),
                ),
            ));
            return findings;
        }
        Err(Undocumented::Method(methods)) => {
            let methods = methods.join(", ");
            findings.push(finding(
                "openapi".into(),
                Text::new(
                    format!("{method} {path}: เอกสาร OpenAPI ระบุเส้นทางนี้เฉพาะ {methods}"),
                    format!("{method} {path}: the OpenAPI document gives this path only {methods}"),
                ),
            ));
            return findings;
        }
    };
    let status = response.status;
    let check = format!("openapi {} → {status}", op.key());
    let Some(documented) = op.response(status) else {
        let listed: Vec<&str> = op.responses.iter().map(|r| r.status.as_str()).collect();
        let listed = listed.join(", ");
        findings.push(finding(
            check,
            Text::new(
                format!("ไม่มีสถานะนี้ในเอกสาร (ที่ระบุไว้: {listed})"),
                format!("the status is not documented (documented: {listed})"),
            ),
        ));
        return findings;
    };
    for header in &documented.required_headers {
        if response.header(header).is_none() {
            findings.push(finding(
                check.clone(),
                Text::new(
                    format!("ไม่มี header `{header}` ที่เอกสารระบุว่าต้องมี"),
                    format!("the required header `{header}` is missing"),
                ),
            ));
        }
    }
    // No body to judge: a 204 or 304, an answer to HEAD, or an empty body with no
    // Content-Type.
    let bodiless = matches!(status, 204 | 304) || method == "HEAD";
    if documented.content.is_empty() || (bodiless && response.body.is_empty()) {
        return findings;
    }
    let declared: Vec<&str> = documented
        .content
        .iter()
        .map(|m| m.media_type.as_str())
        .collect();
    let declared = declared.join(", ");
    let content_type = response.header("content-type");
    let media = match &content_type {
        Some(ct) => pick(&documented.content, ct),
        None if response.body.is_empty() => return findings,
        None => None,
    };
    let Some(media) = media else {
        let shown = content_type.as_deref().unwrap_or("(none)");
        findings.push(finding(
            check,
            Text::new(
                format!("Content-Type `{shown}` ไม่ใช่ชนิดที่เอกสารระบุ ({declared})"),
                format!("Content-Type `{shown}` is not one the document declares ({declared})"),
            ),
        ));
        return findings;
    };
    let Some(validator) = media
        .schema
        .as_ref()
        .and_then(|at| doc.compiled.validator(at))
    else {
        return findings;
    };
    let is_json = {
        let ct = content_type.as_deref().unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim().to_string();
        essence == "application/json" || essence.ends_with("+json")
    };
    if !is_json {
        // A schema for text or bytes: JSON Schema has nothing to judge in them.
        return findings;
    }
    match response.json() {
        Err(e) => findings.push(finding(
            check,
            Text::new(
                format!("body ไม่ใช่ JSON ที่ถูกต้อง: {e}"),
                format!("the body is not valid JSON: {e}"),
            ),
        )),
        Ok(body) => {
            for v in crate::check::schema::violations(validator, &body, MAX_VIOLATIONS) {
                findings.push(finding(check.clone(), v.text));
            }
        }
    }
    findings
}

fn finding(check: String, message: Text) -> CheckResult {
    CheckResult::new(check, Outcome::Fail, message)
}
