//! The suite digest in gate.json: which exact suite decided the verdict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// SHA-256 over the files of a suite, in path order, independent of the order they were read.
#[derive(Default)]
pub struct Digest {
    files: BTreeMap<PathBuf, [u8; 32]>,
}

impl Digest {
    pub fn add(&mut self, path: &Path, bytes: &[u8]) {
        self.files
            .insert(path.to_path_buf(), Sha256::digest(bytes).into());
    }

    /// The files that make the digest, in its order.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.keys().cloned().collect()
    }

    pub fn finish(self) -> String {
        let mut all = Sha256::new();
        // Only contents, in path order, count: a suite copied elsewhere keeps its digest.
        for hash in self.files.values() {
            all.update(hash);
        }
        hex(&all.finalize())
    }
}

/// Lowercase or uppercase hex back to bytes; `None` for anything else.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    text.len()
        .is_multiple_of(2)
        .then(|| {
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
