//! JSON Schema checks: draft from `$schema` (2020-12 when absent), `format` validated.

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::JsonType;
use serde_json::Value;

use crate::i18n::Text;

/// Compiled schemas of a suite, by key (the file path under the suite, or the inline place).
#[derive(Clone, Default)]
pub struct Schemas {
    compiled: HashMap<String, Arc<jsonschema::Validator>>,
}

impl Schemas {
    pub fn insert(&mut self, key: String, validator: jsonschema::Validator) {
        self.compiled.insert(key, Arc::new(validator));
    }

    pub fn get(&self, key: &str) -> Option<&jsonschema::Validator> {
        self.compiled.get(key).map(Arc::as_ref)
    }
}

/// Compiles without touching the network: remote `$ref`s are not resolved.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    with_formats(jsonschema::options())
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Formats validated, with cpc's own beside JSON Schema's: `thai-citizen-id` (13 digits and
/// the checksum, THAI.md) and OpenAPI's `byte` (base64); OpenAPI's `binary` holds anything.
/// Formats no one knows are not judged, as JSON Schema says.
pub fn with_formats<'i>(
    options: jsonschema::ValidationOptions<'i>,
) -> jsonschema::ValidationOptions<'i> {
    use base64::Engine;
    options
        .should_validate_formats(true)
        .with_format("thai-citizen-id", crate::citizen_id::is_valid)
        .with_format("byte", |s: &str| {
            base64::engine::general_purpose::STANDARD.decode(s).is_ok()
        })
        .with_format("binary", |_: &str| true)
}

/// A place in the body that breaks the schema, and how.
pub struct Violation {
    /// The JSON pointer, kept as the validator gives it: it is what a developer searches for.
    pub at: String,
    /// `pointer: message`, in Thai and in English.
    pub text: Text,
}

/// The violations, at most `limit` of them.
pub fn violations(
    validator: &jsonschema::Validator,
    instance: &Value,
    limit: usize,
) -> Vec<Violation> {
    validator
        .iter_errors(instance)
        .take(limit)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            let text = Text::new(format!("{at}: {}", thai(&e)), format!("{at}: {e}"));
            Violation { at, text }
        })
        .collect()
}

/// A JSON value as a message shows it: compact, and cut where it is long (the whole body is in
/// the evidence).
fn shown(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "boolean (จริง/เท็จ)",
        JsonType::Integer => "จำนวนเต็ม (integer)",
        JsonType::Number => "ตัวเลข (number)",
        JsonType::String => "ข้อความ (string)",
        JsonType::Array => "รายการ (array)",
        JsonType::Object => "ออบเจกต์ (object)",
    }
}

/// The validator's message in Thai, for the Thai report (TP clauses are read by a committee).
fn thai(e: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let value = shown(e.instance());
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e.kind() {
        K::Required { property } => format!("ขาดฟิลด์ที่ต้องมี {property}"),
        K::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_name(*t).to_string(),
                TypeKind::Multiple(set) => {
                    set.iter().map(type_name).collect::<Vec<_>>().join(" หรือ ")
                }
            };
            format!("{value} มีชนิดข้อมูลไม่ถูกต้อง ต้องเป็น {expected}")
        }
        K::Pattern { pattern } => format!("{value} ไม่ตรงตามรูปแบบ (pattern) \"{pattern}\""),
        K::Enum { options } => format!("{value} ไม่อยู่ในค่าที่อนุญาต {}", shown(options)),
        K::Constant { expected_value } => format!("ต้องมีค่าเป็น {}", shown(expected_value)),
        K::Format { format } => format!("{value} ไม่อยู่ในรูปแบบ \"{format}\""),
        K::Minimum { limit } => format!("{value} น้อยกว่าค่าต่ำสุด {limit}"),
        K::Maximum { limit } => format!("{value} มากกว่าค่าสูงสุด {limit}"),
        K::ExclusiveMinimum { limit } => format!("{value} ต้องมากกว่า {limit}"),
        K::ExclusiveMaximum { limit } => format!("{value} ต้องน้อยกว่า {limit}"),
        K::MultipleOf { multiple_of } => format!("{value} ไม่ใช่พหุคูณของ {multiple_of}"),
        K::MinLength { limit } => format!("{value} สั้นกว่า {limit} ตัวอักษร"),
        K::MaxLength { limit } => format!("{value} ยาวกว่า {limit} ตัวอักษร"),
        K::MinItems { limit } => format!("มีสมาชิกน้อยกว่า {limit} รายการ"),
        K::MaxItems { limit } => format!("มีสมาชิกมากกว่า {limit} รายการ"),
        K::AdditionalItems { limit } => format!("มีสมาชิกเกิน {limit} รายการที่กำหนด"),
        K::UniqueItems => "มีสมาชิกซ้ำกัน".to_string(),
        K::Contains => "ไม่มีสมาชิกใดตรงตาม schema ที่กำหนด".to_string(),
        K::MinProperties { limit } => format!("มีฟิลด์น้อยกว่า {limit} ฟิลด์"),
        K::MaxProperties { limit } => format!("มีฟิลด์มากกว่า {limit} ฟิลด์"),
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            format!("มีฟิลด์ที่ไม่อนุญาต {}", list(unexpected))
        }
        K::UnevaluatedItems { unexpected } => format!("มีสมาชิกที่ไม่อนุญาต {}", list(unexpected)),
        K::PropertyNames { error } => format!("ชื่อฟิลด์ไม่ถูกต้อง: {}", thai(error)),
        K::AnyOf { .. } => format!("{value} ไม่ตรงกับ schema ใดเลยใน anyOf"),
        K::OneOfNotValid { .. } => format!("{value} ไม่ตรงกับ schema ใดเลยใน oneOf"),
        K::OneOfMultipleValid { .. } => format!("{value} ตรงกับ schema มากกว่าหนึ่งรายการใน oneOf"),
        K::Not { .. } => format!("{value} ต้องไม่ตรงตาม schema ที่ระบุใน not"),
        K::FalseSchema => format!("schema ไม่อนุญาตค่า {value}"),
        K::ContentEncoding { content_encoding } => {
            format!("{value} ไม่ได้เข้ารหัสแบบ \"{content_encoding}\"")
        }
        K::ContentMediaType { content_media_type } => {
            format!("{value} ไม่ใช่ชนิด \"{content_media_type}\"")
        }
        // Failures of the validator itself, not of the body: its own words, after a Thai lead.
        _ => format!("ตรวจตาม schema ไม่สำเร็จ: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn thai_messages(schema: Value, instance: Value) -> Vec<String> {
        let validator = compile(&schema).unwrap();
        violations(&validator, &instance, 10)
            .into_iter()
            .map(|v| v.text.th)
            .collect()
    }

    #[test]
    fn messages_are_thai_with_the_json_pointer_kept() {
        let schema = json!({
            "type": "object",
            "required": ["citizen_id", "status"],
            "properties": {
                "amount": {"type": "integer", "minimum": 1, "maximum": 3000},
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "status": {"enum": ["ok", "pending"]},
                "email": {"type": "string", "format": "email"},
                "kids": {"type": "array", "items": {"type": "string"}}
            }
        });
        let got = thai_messages(
            schema,
            json!({"amount": 0, "code": "ab", "status": "lost", "email": "x", "kids": [1]}),
        );
        let expect = [
            "/: ขาดฟิลด์ที่ต้องมี \"citizen_id\"",
            "/amount: 0 น้อยกว่าค่าต่ำสุด 1",
            "/code: \"ab\" ไม่ตรงตามรูปแบบ (pattern) \"^[A-Z]{3}$\"",
            "/status: \"lost\" ไม่อยู่ในค่าที่อนุญาต [\"ok\",\"pending\"]",
            "/email: \"x\" ไม่อยู่ในรูปแบบ \"email\"",
            "/kids/0: 1 มีชนิดข้อมูลไม่ถูกต้อง ต้องเป็น ข้อความ (string)",
        ];
        for line in expect {
            assert!(got.iter().any(|g| g == line), "{line:?} not in {got:#?}");
        }
        assert_eq!(got.len(), expect.len(), "{got:#?}");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "ก".repeat(500);
        let got = thai_messages(json!({"type": "integer"}), json!(long));
        assert!(got[0].chars().count() < 120, "{}", got[0]);
        assert!(got[0].contains('…'));
    }
}
