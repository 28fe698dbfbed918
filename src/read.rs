//! Reading input files (suites, fixtures, schemas, mappings): regular files only (a FIFO or a
//! device would block or never end) and of bounded size, with a message naming the file.

use std::io::Read;
use std::path::Path;

/// The largest YAML, JSON Schema or mapping file read.
pub const MAX_TEXT_FILE: u64 = 32 * 1024 * 1024;
/// The largest fixture or `__files` body read.
pub const MAX_DATA_FILE: u64 = 64 * 1024 * 1024;
/// The largest results.json read back (`cpc report`, `cpc merge`): far past any real run's.
pub const MAX_RESULTS_FILE: u64 = 1024 * 1024 * 1024;

pub fn bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!("`{shown}` is not a regular file"));
    }
    if meta.len() > limit {
        return Err(format!(
            "`{shown}` is {} bytes: at most {limit} bytes are read",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow while it is read: never past the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "`{shown}` grew past {limit} bytes while it was read"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(bounded(&file, 5).unwrap(), b"12345");
        assert!(bounded(&file, 4).unwrap_err().contains("at most 4 bytes"));
        assert!(
            bounded(dir.path(), 4)
                .unwrap_err()
                .contains("not a regular file")
        );
    }
}
