//! A schema keyword cpc does not know is most often a typo (`maxLenght`): JSON Schema ignores
//! it, so the rule the author meant would judge nothing and generate no case. OpenAPI 3.0 allows
//! only its Schema Object's fields and `x-` extensions, so any other key is refused; 3.1
//! schemas may carry keywords of their own, so only one a letter or two from a known keyword
//! (or the same but for case) is refused. Each names the keyword it is likely to be.

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
        for key in map.keys() {
            if KNOWN.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            }
            let likely = likely(key);
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
            problems.push((*file, format!("{pointer}/{}", super::escape(key)), message));
        }
    }
    problems
}

/// The known keyword `key` is a letter from (two for a longer key; a transposition counts
/// one), or the same but for case.
fn likely(key: &str) -> Option<&'static str> {
    let length = key.chars().count();
    let most = if length <= 5 { 1 } else { 2 };
    KNOWN
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
        assert_eq!(likely("maxLenght"), Some("maxLength"));
        assert_eq!(likely("MinLength"), Some("minLength"));
        assert_eq!(likely("requried"), Some("required"));
        assert_eq!(likely("nulable"), Some("nullable"));
        assert_eq!(likely("customRule"), None);
        assert_eq!(likely("tpye"), Some("type"));
        // A short key is not stretched to a keyword two letters away.
        assert_eq!(likely("ty"), None);
    }
}
