//! Writes a run's files. Each write is atomic (temp file, then rename) and passes through the
//! redactor, so no output can carry a secret or an unmasked national ID.

use std::io;
use std::path::{Path, PathBuf};

use super::document::{self, Style};
use super::render::{self, Format};
use super::thai_date::Digits;
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

    /// results.json, junit.xml, gate.json and the reports, from the results alone.
    pub fn all(&self, results: &RunResults, lang: Lang) -> io::Result<Gate> {
        self.results(results)?;
        let junit = super::junit::render(results, lang).map_err(io::Error::other)?;
        self.write(JUNIT, &junit)?;
        let gate = gate::decide(results);
        let json = serde_json::to_string_pretty(&gate).map_err(io::Error::other)?;
        self.write(GATE, &json)?;
        self.reports(results, &gate)?;
        Ok(gate)
    }

    /// `report.th.html` and `report.th.md`, and the English ones when asked for.
    fn reports(&self, results: &RunResults, gate: &Gate) -> io::Result<()> {
        let digits = if results.report.arabic_digits {
            Digits::Arabic
        } else {
            Digits::Thai
        };
        let mut langs = vec![Lang::Th];
        if results.report.english {
            langs.push(Lang::En);
        }
        for lang in langs {
            let doc = document::build(results, gate, render::labels(), Style { lang, digits });
            for format in [Format::Html, Format::Markdown] {
                let text = render::render(&doc, format).map_err(io::Error::other)?;
                let code = if lang == Lang::Th { "th" } else { "en" };
                self.write(&format!("report.{code}.{}", format.extension()), &text)?;
            }
        }
        Ok(())
    }
}
