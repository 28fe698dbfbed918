//! `$ref`s between the document's files: a reference is `file#pointer`, `#pointer` or `file`,
//! the file relative to the one that holds the reference and inside the document's folder.

use serde_json::Value;

use super::ApiFile;

/// The most `$ref`s followed one after another before a node is reached (a chain longer than
/// this is a cycle or a mistake).
pub const MAX_REF_HOPS: usize = 64;

/// The file a reference names, relative to the file `from` (both `/`-separated names under the
/// document's folder), or why it cannot be followed.
pub fn join(from: &str, file: &str) -> Result<String, String> {
    if file.contains("://") || file.starts_with('/') || file.contains('\\') {
        return Err(format!(
            "`{file}`: only files beside the document are read (a relative path, no URL)"
        ));
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in file.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("`{file}` is outside the document's folder"));
                }
            }
            s => parts.push(s),
        }
    }
    Ok(parts.join("/"))
}

/// A reference split into its file (already joined to `from`) and its pointer.
pub fn split(from: &str, reference: &str) -> Result<(String, String), String> {
    let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
    let file = if file.is_empty() {
        from.to_string()
    } else {
        join(from, file)?
    };
    let pointer = percent_decode(pointer)?;
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(format!(
            "`{reference}`: only JSON pointers (`#/components/…`) are followed, not anchors"
        ));
    }
    Ok((file, pointer))
}

pub(crate) fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{text}`: a bad percent-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{text}` is not UTF-8 once decoded"))
}

/// Finds nodes across the files, following `$ref`s.
pub struct Resolver<'a> {
    pub files: &'a [ApiFile],
}

impl<'a> Resolver<'a> {
    pub fn file(&self, name: &str) -> Option<usize> {
        self.files.iter().position(|f| f.name == name)
    }

    pub fn node(&self, file: usize, pointer: &str) -> Option<&'a Value> {
        self.files.get(file)?.value.pointer(pointer)
    }

    /// The node at `pointer` in `file`, its `$ref`s followed: the file and pointer it is
    /// really at, and the node. A chain longer than `MAX_REF_HOPS` or one that comes back on
    /// itself is refused, naming the chain.
    pub fn deref(&self, file: usize, pointer: &str) -> Result<(usize, String, &'a Value), String> {
        let (mut file, mut pointer) = (file, pointer.to_string());
        let mut chain: Vec<String> = Vec::new();
        loop {
            let here = format!("{}#{}", self.files[file].name, pointer);
            let node = self
                .node(file, &pointer)
                .ok_or_else(|| format!("`{here}` does not exist"))?;
            let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
                return Ok((file, pointer, node));
            };
            if chain.contains(&here) {
                chain.push(here);
                return Err(format!(
                    "`$ref`s go round in a cycle: {}",
                    chain.join(" → ")
                ));
            }
            if chain.len() >= MAX_REF_HOPS {
                return Err(format!(
                    "more than {MAX_REF_HOPS} `$ref`s one after another from `{}`: point at the schema itself",
                    chain[0]
                ));
            }
            chain.push(here);
            let (name, target) = split(&self.files[file].name, reference)?;
            file = self
                .file(&name)
                .ok_or_else(|| format!("`{reference}`: the file `{name}` was not read"))?;
            pointer = target;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_stay_inside_the_folder() {
        assert_eq!(
            join("api/openapi.yaml", "schemas/a.yaml").unwrap(),
            "api/schemas/a.yaml"
        );
        assert_eq!(join("api/openapi.yaml", "../b.yaml").unwrap(), "b.yaml");
        assert!(join("openapi.yaml", "../secret.yaml").is_err());
        assert!(join("openapi.yaml", "/etc/passwd").is_err());
        assert!(join("openapi.yaml", "https://example.com/a.yaml").is_err());
        let (file, pointer) = split("openapi.yaml", "#/paths/~1a~1%7Bid%7D").unwrap();
        assert_eq!(
            (file.as_str(), pointer.as_str()),
            ("openapi.yaml", "/paths/~1a~1{id}")
        );
        assert!(split("openapi.yaml", "#anchor").is_err());
    }
}
