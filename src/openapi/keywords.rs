//! A schema keyword cpc does not know is most often a typo (`maxLenght`): JSON Schema ignores
//! it, so the rule the author meant would judge nothing and generate no case. OpenAPI 3.0 allows
//! only its Schema Object's fields and `x-` extensions, so any other key is refused; 3.1
//! schemas may carry keywords of their own, so only one a letter or two from a known keyword
//! (or the same but for case) is refused. Each names the keyword it is likely to be. The same
//! holds for the fields of a path and of an operation (`respones:` would leave every status
//! undocumented), in both versions.

use super::convert::Problem;
use super::{ApiFile, Version};

/// Every keyword of JSON Schema (2020-12 and the drafts OpenAPI 3.0 took its keywords from) and
/// of OpenAPI's Schema Object.
const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
    "$comment",
    "$defs",
    "definitions",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependencies",
    "prefixItems",
    "items",
    "additionalItems",
    "contains",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "format",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "title",
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "examples",
    "example",
    "nullable",
    "discriminator",
    "xml",
    "externalDocs",
];

/// The keys of the schemas at `positions` that are likely mistakes, each at its own pointer.
pub fn unknown(
    files: &[ApiFile],
    positions: &[(usize, String, bool)],
    version: Version,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    // A JSON Schema file of the suite's, in its own dialect, is its author's.
    for (file, pointer, _) in positions.iter().filter(|(_, _, native)| !native) {
        let Some(serde_json::Value::Object(map)) = files[*file].value.pointer(pointer) else {
            continue;
        };
        for (key, value) in map {
            let at = format!("{pointer}/{}", super::escape(key));
            // A property's `required: true` is another dialect's (Swagger 2's parameters, JSON
            // Schema draft 3): here the parent lists it.
            if key == "required" && value.is_boolean() {
                problems.push((
                    *file,
                    at,
                    "`required` lists the members an object must have (`required: [name]`, in the object holding `properties`), not `true` on the member".into(),
                ));
                continue;
            }
            if key == "nullable" && version == Version::V31 {
                problems.push((
                    *file,
                    at,
                    "`nullable` is OpenAPI 3.0's: in 3.1 a value that may be null says so in its type (`type: [string, \"null\"]`)".into(),
                ));
                continue;
            }
            if KNOWN.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            }
            let likely = likely(key, KNOWN);
            let message = match (version, likely) {
                (Version::V30, Some(known)) => format!(
                    "`{key}` is no schema keyword: did you mean `{known}`? (OpenAPI 3.0 allows only the Schema Object's fields and `x-` extensions)"
                ),
                (Version::V30, None) => format!(
                    "`{key}` is no schema keyword: OpenAPI 3.0 allows only the Schema Object's fields and `x-` extensions (name an extension `x-{key}`)"
                ),
                (Version::V31, Some(known)) => format!(
                    "`{key}` is no schema keyword: did you mean `{known}`? (a keyword of your own is ignored; name it `x-{key}` if it is one)"
                ),
                (Version::V31, None) => continue,
            };
            problems.push((*file, at, message));
        }
    }
    problems
}

/// The fields of a Path Item Object and of an Operation Object (3.0 and 3.1 alike).
pub const PATH_ITEM: &[&str] = &[
    "$ref",
    "summary",
    "description",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "servers",
    "parameters",
];
pub const OPERATION: &[&str] = &[
    "tags",
    "summary",
    "description",
    "externalDocs",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
    "deprecated",
    "security",
    "servers",
];

/// The keys of an object with fixed fields (`what`: "a path", "an operation") that are none of
/// `fields` nor an `x-` extension, each with why: OpenAPI allows no other.
pub fn unknown_fields<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    fields: &'static [&'static str],
    what: &'a str,
) -> impl Iterator<Item = (&'a str, String)> + 'a {
    object
        .keys()
        .filter(move |key| !fields.contains(&key.as_str()) && !key.starts_with("x-"))
        .map(move |key| {
            let message = match likely(key, fields) {
                Some(known) => format!("`{key}` is not a field of {what}: did you mean `{known}`?"),
                None => format!(
                    "`{key}` is not a field of {what} (its fields: {}; an extension is `x-{key}`)",
                    fields.join(", ")
                ),
            };
            (key.as_str(), message)
        })
}

/// The known keyword `key` is a letter from (two for a longer key; a transposition counts
/// one), or the same but for case.
fn likely(key: &str, known: &'static [&'static str]) -> Option<&'static str> {
    let length = key.chars().count();
    let most = if length <= 5 { 1 } else { 2 };
    known
        .iter()
        // No distance is worked out for a key that cannot be near (a long key costs its square).
        .filter(|known| known.len().abs_diff(length) <= most)
        .map(|known| {
            let distance = match known.eq_ignore_ascii_case(key) {
                true => 0,
                false => strsim::osa_distance(known, key),
            };
            (distance, *known)
        })
        .filter(|(distance, _)| *distance <= most)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_is_matched_to_the_keyword_it_is_likely_to_be() {
        assert_eq!(likely("maxLenght", KNOWN), Some("maxLength"));
        assert_eq!(likely("MinLength", KNOWN), Some("minLength"));
        assert_eq!(likely("requried", KNOWN), Some("required"));
        assert_eq!(likely("nulable", KNOWN), Some("nullable"));
        assert_eq!(likely("customRule", KNOWN), None);
        assert_eq!(likely("tpye", KNOWN), Some("type"));
        // A short key is not stretched to a keyword two letters away.
        assert_eq!(likely("ty", KNOWN), None);
        assert_eq!(likely("respones", OPERATION), Some("responses"));
        assert_eq!(likely("requestbody", OPERATION), Some("requestBody"));
    }
}
