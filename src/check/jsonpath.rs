//! JSONPath expressions parsed once per run: every case of a big suite asks its answers the
//! same few questions, and validation has parsed each of them already (issue 10: compiled once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json_path::{JsonPath, ParseError};

/// Expressions kept at most: a suite's own are a few hundred; the rest (templates, portal
/// stubs) are parsed each time rather than let the cache grow without end.
const KEPT: usize = 4096;
/// Nor is a longer expression kept: a suite's are a line, and a portal client may send stubs
/// whose paths are megabytes (the cache would hold KEPT of them for the life of `cpc mock`).
const KEPT_LEN: usize = 1024;

/// `expr` parsed, from the cache when it was parsed before. Errors are not kept: a suite
/// with one does not run.
pub fn parse(expr: &str) -> Result<Arc<JsonPath>, ParseError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<JsonPath>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(parsed) = lock().get(expr) {
        return Ok(parsed.clone());
    }
    let parsed = Arc::new(JsonPath::parse(expr)?);
    if expr.len() > KEPT_LEN {
        return Ok(parsed);
    }
    let mut kept = lock();
    if kept.len() < KEPT {
        kept.insert(expr.to_string(), parsed.clone());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_expression_is_parsed_once() {
        let first = parse("$.items[0].id").unwrap();
        let again = parse("$.items[0].id").unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let json = serde_json::json!({"items": [{"id": 7}]});
        assert_eq!(again.query(&json).all(), [&serde_json::json!(7)]);
        assert!(parse("$.items[").is_err());
        let long = format!("$.{}", "a".repeat(KEPT_LEN));
        assert!(!Arc::ptr_eq(&parse(&long).unwrap(), &parse(&long).unwrap()));
    }
}
