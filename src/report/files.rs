//! Writes a run's files. Each write is atomic (temp file, then rename) and passes through the
//! redactor, so no output can carry a secret or an unmasked national ID.

use std::io;
use std::path::{Path, PathBuf};

use crate::gate::{self, Gate};
use crate::i18n::Lang;
use crate::redact::Redactor;
use crate::results::RunResults;

pub const RESULTS: &str = "results.json";
pub const JUNIT: &str = "junit.xml";
pub const GATE: &str = "gate.json";

pub struct OutDir {
    dir: PathBuf,
    redactor: Redactor,
}

impl OutDir {
    pub fn create(dir: &Path, redactor: Redactor) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            redactor,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn write(&self, name: &str, text: &str) -> io::Result<()> {
        let target = self.dir.join(name);
        let temp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&temp, self.redactor.text(text))?;
        std::fs::rename(&temp, &target)
    }

    /// Rewritten as each case finishes, so a killed run still leaves what it obtained.
    pub fn results(&self, results: &RunResults) -> io::Result<()> {
        let json = serde_json::to_string_pretty(results).map_err(io::Error::other)?;
        self.write(RESULTS, &json)
    }

    /// results.json, junit.xml and gate.json from the results alone.
    pub fn all(&self, results: &RunResults, lang: Lang) -> io::Result<Gate> {
        self.results(results)?;
        let junit = super::junit::render(results, lang).map_err(io::Error::other)?;
        self.write(JUNIT, &junit)?;
        let gate = gate::decide(results);
        let json = serde_json::to_string_pretty(&gate).map_err(io::Error::other)?;
        self.write(GATE, &json)?;
        Ok(gate)
    }
}
