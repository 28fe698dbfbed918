//! The proposal's rules the reference enforces: the status table (§9) and the validation of a
//! submission (TP-4.4).

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::{Date, macros::format_description};

use crate::{citizen_id, clock};

/// §9: status → its Thai name.
pub fn status_th(status: &str) -> &'static str {
    match status {
        "received" => "รับคำขอแล้ว",
        "in_review" => "อยู่ระหว่างพิจารณา",
        "need_more_info" => "ขอเอกสารเพิ่มเติม",
        "approved" => "อนุมัติ",
        "rejected" => "ไม่อนุมัติ",
        _ => "ยกเลิกคำขอ",
    }
}

/// §9: the transitions the table allows.
pub fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("received", "in_review" | "cancelled")
            | (
                "in_review",
                "need_more_info" | "approved" | "rejected" | "cancelled"
            )
            | ("need_more_info", "in_review" | "cancelled")
    )
}

pub fn known_status(s: &str) -> Option<&'static str> {
    [
        "received",
        "in_review",
        "need_more_info",
        "approved",
        "rejected",
        "cancelled",
    ]
    .into_iter()
    .find(|k| *k == s)
}

/// Every field of §4 except `applicant.email`, `applicant.address.moo` and `attachments`.
const REQUIRED: &[&str] = &[
    "/request_id",
    "/service_code",
    "/submitted_at",
    "/applicant/citizen_id",
    "/applicant/title_th",
    "/applicant/first_name_th",
    "/applicant/last_name_th",
    "/applicant/birth_date",
    "/applicant/phone",
    "/applicant/address/house_no",
    "/applicant/address/subdistrict",
    "/applicant/address/district",
    "/applicant/address/province",
    "/applicant/address/postcode",
    "/form/child/citizen_id",
    "/form/child/first_name_th",
    "/form/child/last_name_th",
    "/form/child/birth_date",
    "/form/household_members",
    "/form/household_income_per_year",
    "/form/bank_account/bank_code",
    "/form/bank_account/account_no",
    "/consent/pdpa",
    "/consent/accepted_at",
];

/// The JSON type of each member of §4's example, as the agency's API description
/// (suites/csg/openapi.yaml) gives it: a member sent with another type is refused like a
/// missing one. `email` may be `null`.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    TextOrNull,
    Integer,
    Number,
    Boolean,
    Object,
    List,
}

const SHAPE: &[(&str, Kind)] = &[
    ("/request_id", Kind::Text),
    ("/service_code", Kind::Text),
    ("/submitted_at", Kind::Text),
    ("/applicant", Kind::Object),
    ("/applicant/citizen_id", Kind::Text),
    ("/applicant/title_th", Kind::Text),
    ("/applicant/first_name_th", Kind::Text),
    ("/applicant/last_name_th", Kind::Text),
    ("/applicant/birth_date", Kind::Text),
    ("/applicant/phone", Kind::Text),
    ("/applicant/email", Kind::TextOrNull),
    ("/applicant/address", Kind::Object),
    ("/applicant/address/house_no", Kind::Text),
    ("/applicant/address/moo", Kind::Text),
    ("/applicant/address/subdistrict", Kind::Text),
    ("/applicant/address/district", Kind::Text),
    ("/applicant/address/province", Kind::Text),
    ("/applicant/address/postcode", Kind::Text),
    ("/form", Kind::Object),
    ("/form/child", Kind::Object),
    ("/form/child/citizen_id", Kind::Text),
    ("/form/child/first_name_th", Kind::Text),
    ("/form/child/last_name_th", Kind::Text),
    ("/form/child/birth_date", Kind::Text),
    ("/form/household_members", Kind::Integer),
    ("/form/household_income_per_year", Kind::Number),
    ("/form/bank_account", Kind::Object),
    ("/form/bank_account/bank_code", Kind::Text),
    ("/form/bank_account/account_no", Kind::Text),
    ("/attachments", Kind::List),
    ("/consent", Kind::Object),
    ("/consent/pdpa", Kind::Boolean),
    ("/consent/accepted_at", Kind::Text),
];

/// Every member of an attachment is required ("every field above").
const ATTACHMENT_SHAPE: &[(&str, Kind)] = &[
    ("", Kind::Object),
    ("/type", Kind::Text),
    ("/file_name", Kind::Text),
    ("/content_type", Kind::Text),
    ("/size", Kind::Integer),
    ("/sha256", Kind::Text),
    ("/content_base64", Kind::Text),
];

fn is(kind: Kind, value: &Value) -> bool {
    match kind {
        Kind::Text => value.is_string(),
        Kind::TextOrNull => value.is_string() || value.is_null(),
        Kind::Integer => value.is_i64() || value.is_u64(),
        Kind::Number => value.is_number(),
        Kind::Boolean => value.is_boolean(),
        Kind::Object => value.is_object(),
        Kind::List => value.is_array(),
    }
}

const ATTACHMENT_TYPES: &[&str] = &[
    "birth_certificate",
    "house_registration",
    "income_certificate",
    "bank_book",
];
const CONTENT_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// TP-4.4: one `{field, message_th}` per broken rule; empty when the submission is valid.
/// `check_ids: false` is the `no-checksum` fault.
pub fn validate(body: &Value, check_ids: bool) -> Vec<Value> {
    let mut details = Vec::new();
    let mut fail = |field: &str, th: &str| details.push(json!({"field": field, "message_th": th}));
    for pointer in REQUIRED {
        if body.pointer(pointer).is_none_or(Value::is_null) {
            fail(pointer, "ต้องระบุข้อมูลนี้");
        }
    }
    let mut typed = |root: &str, shape: &[(&str, Kind)], all_required: bool| {
        for (member, kind) in shape {
            let pointer = format!("{root}{member}");
            match body.pointer(&pointer) {
                Some(value) if !is(*kind, value) => fail(&pointer, "ชนิดข้อมูลไม่ถูกต้อง"),
                None if all_required => fail(&pointer, "ต้องระบุข้อมูลนี้"),
                _ => {}
            }
        }
    };
    typed("", SHAPE, false);
    let attachments = body["attachments"].as_array().map_or(0, Vec::len);
    for i in 0..attachments {
        typed(&format!("/attachments/{i}"), ATTACHMENT_SHAPE, true);
    }
    if check_ids {
        for pointer in ["/applicant/citizen_id", "/form/child/citizen_id"] {
            if let Some(id) = body.pointer(pointer).and_then(Value::as_str)
                && !citizen_id::is_valid(id)
            {
                fail(pointer, "เลขประจำตัวประชาชนไม่ถูกต้อง");
            }
        }
    }
    if let Some(born) = body
        .pointer("/form/child/birth_date")
        .and_then(Value::as_str)
    {
        let today = clock::now().date();
        // "Older than 6 years": born before this day six years ago.
        let six_years_ago = today.replace_year(today.year() - 6).unwrap_or(today);
        match Date::parse(born, format_description!("[year]-[month]-[day]")) {
            Ok(date) if date > today => fail("/form/child/birth_date", "วันเกิดเป็นวันในอนาคต"),
            Ok(date) if date < six_years_ago => fail("/form/child/birth_date", "เด็กอายุเกิน 6 ปี"),
            Ok(_) => {}
            Err(_) => fail("/form/child/birth_date", "รูปแบบวันที่ไม่ถูกต้อง"),
        }
    }
    if body
        .pointer("/form/household_income_per_year")
        .and_then(Value::as_f64)
        .is_some_and(|n| n < 0.0)
    {
        fail("/form/household_income_per_year", "รายได้ต้องไม่ติดลบ");
    }
    if body
        .pointer("/form/household_members")
        .and_then(Value::as_i64)
        .is_some_and(|n| n < 1)
    {
        fail("/form/household_members", "จำนวนสมาชิกต้องไม่น้อยกว่า 1");
    }
    if body.pointer("/consent/pdpa") != Some(&Value::Bool(true)) {
        fail("/consent/pdpa", "ต้องให้ความยินยอมตาม PDPA");
    }
    for (i, attachment) in body["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let text = |key: &str| attachment[key].as_str().unwrap_or_default();
        if !ATTACHMENT_TYPES.contains(&text("type"))
            || !CONTENT_TYPES.contains(&text("content_type"))
        {
            fail(
                &format!("/attachments/{i}/content_type"),
                "ไม่รองรับประเภทไฟล์นี้",
            );
        }
        // The digest is of the decoded content, as sent.
        let content = base64::engine::general_purpose::STANDARD
            .decode(text("content_base64"))
            .unwrap_or_default();
        let sha: String = Sha256::digest(&content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if text("sha256") != sha {
            fail(&format!("/attachments/{i}/sha256"), "sha256 ไม่ตรงกับเนื้อไฟล์");
        }
    }
    details
}
