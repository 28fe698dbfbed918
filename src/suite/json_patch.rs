//! RFC 6902 JSON Patch, the three operations a negative case needs: `add`, `remove` and
//! `replace` at an RFC 6901 pointer.

use serde_json::Value;

use super::model::{PatchKind, PatchOp};

/// Applies one operation; a pointer that does not lead where the operation needs is an error
/// naming it.
pub fn json_patch(target: &mut Value, op: &PatchOp) -> Result<(), String> {
    let (parent, last) = split(&op.path)?;
    let Some(last) = last else {
        // The whole document.
        return match (op.op, &op.value) {
            (PatchKind::Remove, _) => Err("`remove` needs a path inside the body".into()),
            (_, Some(value)) => {
                *target = value.clone();
                Ok(())
            }
            (_, None) => Err(format!("`{:?}` needs a `value`", op.op).to_lowercase()),
        };
    };
    let container = target
        .pointer_mut(parent)
        .ok_or_else(|| format!("`{}`: nothing at `{parent}` in the body", op.path))?;
    let value = || {
        op.value
            .clone()
            .ok_or_else(|| format!("`{:?}` needs a `value`", op.op).to_lowercase())
    };
    let missing = || format!("`{}`: nothing there in the body", op.path);
    match container {
        Value::Object(map) => match op.op {
            PatchKind::Add => {
                map.insert(last, value()?);
            }
            PatchKind::Replace => {
                let slot = map.get_mut(&last).ok_or_else(missing)?;
                *slot = value()?;
            }
            PatchKind::Remove => {
                map.shift_remove(&last).ok_or_else(missing)?;
            }
        },
        Value::Array(items) => {
            let index = if last == "-" && op.op == PatchKind::Add {
                items.len()
            } else {
                // RFC 6901: an index is `0` or digits without a leading zero (no `+1`, `01`).
                let canonical = last == "0"
                    || (!last.starts_with('0')
                        && !last.is_empty()
                        && last.bytes().all(|b| b.is_ascii_digit()));
                canonical
                    .then(|| last.parse::<usize>().ok())
                    .flatten()
                    .filter(|i| *i < items.len() || (op.op == PatchKind::Add && *i == items.len()))
                    .ok_or_else(missing)?
            };
            match op.op {
                PatchKind::Add => items.insert(index, value()?),
                PatchKind::Replace => items[index] = value()?,
                PatchKind::Remove => {
                    items.remove(index);
                }
            }
        }
        _ => {
            return Err(format!(
                "`{}`: `{parent}` is not an object or an array",
                op.path
            ));
        }
    }
    Ok(())
}

/// The parent pointer and the last segment, unescaped; no segment for the whole document.
fn split(pointer: &str) -> Result<(&str, Option<String>), String> {
    if pointer.is_empty() {
        return Ok(("", None));
    }
    if !pointer.starts_with('/') {
        return Err(format!(
            "`{pointer}` is not a JSON pointer (it starts with `/`)"
        ));
    }
    let cut = pointer.rfind('/').unwrap_or(0);
    let last = pointer[cut + 1..].replace("~1", "/").replace("~0", "~");
    Ok((&pointer[..cut], Some(last)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(
        mut body: Value,
        op: PatchKind,
        path: &str,
        value: Option<Value>,
    ) -> Result<Value, String> {
        json_patch(
            &mut body,
            &PatchOp {
                op,
                path: path.into(),
                value,
            },
        )?;
        Ok(body)
    }

    #[test]
    fn operations_follow_rfc_6902() {
        let body = json!({"a": {"b": 1, "c/d": 2}, "list": [1, 2]});
        assert_eq!(
            patched(body.clone(), PatchKind::Replace, "/a/b", Some(Value::Null)).unwrap(),
            json!({"a": {"b": null, "c/d": 2}, "list": [1, 2]})
        );
        assert_eq!(
            patched(body.clone(), PatchKind::Remove, "/a/c~1d", None).unwrap(),
            json!({"a": {"b": 1}, "list": [1, 2]})
        );
        assert_eq!(
            patched(body.clone(), PatchKind::Add, "/list/-", Some(json!(3))).unwrap()["list"],
            json!([1, 2, 3])
        );
        assert_eq!(
            patched(
                body.clone(),
                PatchKind::Replace,
                "/list/0",
                Some(json!("x"))
            )
            .unwrap()["list"],
            json!(["x", 2])
        );
        assert!(patched(body.clone(), PatchKind::Replace, "/a/zz", Some(json!(1))).is_err());
        assert!(patched(body.clone(), PatchKind::Remove, "/list/5", None).is_err());
        assert!(patched(body.clone(), PatchKind::Remove, "/list/+1", None).is_err());
        assert!(patched(body.clone(), PatchKind::Remove, "/list/01", None).is_err());
        assert!(patched(body.clone(), PatchKind::Add, "/nope/x", Some(json!(1))).is_err());
        assert!(patched(body, PatchKind::Add, "a", Some(json!(1))).is_err());
    }
}
