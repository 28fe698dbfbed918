//! Writes a run's files. Each write is atomic (temp file, then rename, and the temp file is
//! removed if the write fails) and passes through the redactor, so no output can carry a secret
//! or an unmasked national ID. A run starts by removing the previous run's files, so a stale
//! verdict can never stand beside new results.

use std::io;
use std::path::{Path, PathBuf};

use std::io::Write;

use sha2::{Digest, Sha256};

use super::document::{self, Style};
use super::render::{self, Format};
use super::stream::{CaseReader, STREAM};
use super::thai_date::Digits;
use crate::gate::Gate;
use crate::i18n::Lang;
use crate::redact::Secrets;
use crate::results::RunResults;

pub const RESULTS: &str = "results.json";

/// A writer that hashes what passes through it.
struct Hashing<'a, W: Write> {
    inner: &'a mut W,
    digest: &'a mut Sha256,
}

impl<W: Write> Write for Hashing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
pub const JUNIT: &str = "junit.xml";
pub const GATE: &str = "gate.json";

pub struct OutDir {
    dir: PathBuf,
    /// Every secret the run has met by the time a file is written.
    secrets: Secrets,
    /// Held while this writes into the directory: a second run (or report, or merge) into it
    /// is refused instead of mixing its files with this one's.
    _lock: std::fs::File,
}

/// The lock file in a run directory.
const LOCK: &str = ".cpc.lock";

fn lock(dir: &Path) -> io::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::other(format!(
            "another cpc (a run, report or merge) is writing into `{}`: wait for it to end, or give another directory",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Whether a file in a run directory is one a run writes (or a temp file of one).
pub(crate) fn is_run_file(name: &str) -> bool {
    let name = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .unwrap_or(name);
    [RESULTS, STREAM, JUNIT, GATE].contains(&name)
        || (name.starts_with("report.")
            && [".html", ".md", ".pdf"]
                .iter()
                .any(|ext| name.ends_with(ext)))
}

impl OutDir {
    /// A directory to write into (created if missing); nothing is removed from it.
    pub fn open(dir: &Path, secrets: Secrets) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            _lock: lock(dir)?,
            dir: dir.to_path_buf(),
            secrets,
        })
    }

    /// A directory for a new run: created if missing, shown to be writable, and cleared of
    /// the files an earlier run wrote there (only those).
    pub fn prepare(dir: &Path, secrets: Secrets) -> io::Result<Self> {
        let out = Self::open(dir, secrets)?;
        let probe = dir.join(".cpc-write-probe.tmp");
        std::fs::write(&probe, b"cpc")?;
        std::fs::remove_file(&probe)?;
        for entry in std::fs::read_dir(dir)?.flatten() {
            let name = entry.file_name();
            if is_run_file(&name.to_string_lossy()) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn write(&self, name: &str, text: &str) -> io::Result<()> {
        self.write_with(name, |file| {
            file.write_all(self.secrets.redactor().text(text).as_bytes())
        })
    }

    /// Writes `name` through a temp file renamed into place (removed if anything fails).
    fn write_with(
        &self,
        name: &str,
        fill: impl FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
    ) -> io::Result<()> {
        let target = self.dir.join(name);
        let temp = self.dir.join(format!(".{name}.tmp"));
        let written = std::fs::File::create(&temp)
            .and_then(|file| {
                let mut file = io::BufWriter::new(file);
                fill(&mut file)?;
                file.flush()
            })
            .and_then(|()| std::fs::rename(&temp, &target));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written.map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))
    }

    /// results.json: the frame, then every case in suite order, each read back whole from the
    /// results stream when it is there (`full`), else as held. Written a case at a time, so a
    /// run of any size fits in memory.
    /// Returns the run digest: the SHA-256 of results.json as written.
    pub fn results(
        &self,
        results: &RunResults,
        mut full: Option<&mut CaseReader>,
    ) -> io::Result<String> {
        let redactor = self.secrets.redactor();
        let frame = RunResults {
            cases: Vec::new(),
            ..results.clone()
        };
        let head = serde_json::to_string_pretty(&frame).map_err(io::Error::other)?;
        // `cases` is the frame's last field: `"cases": []` closes it.
        let head = head
            .strip_suffix("[]\n}")
            .ok_or_else(|| io::Error::other("results.json: unexpected frame"))?;
        let mut digest = Sha256::new();
        self.write_with(RESULTS, |file| {
            let mut file = Hashing {
                inner: file,
                digest: &mut digest,
            };
            let file = &mut file;
            file.write_all(redactor.text(head).as_bytes())?;
            file.write_all(b"[")?;
            for (i, held) in results.cases.iter().enumerate() {
                let streamed = match full.as_deref_mut() {
                    Some(reader) => reader.case(&held.id)?,
                    None => None,
                };
                // A streamed case was masked when it finished, with the same secrets.
                let json = match streamed {
                    Some(json) => json,
                    None => {
                        let json = serde_json::to_string(held).map_err(io::Error::other)?;
                        redactor.text(&json)
                    }
                };
                file.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
                file.write_all(json.as_bytes())?;
            }
            file.write_all(b"\n  ]\n}")
        })?;
        Ok(crate::suite::digest::hex(&digest.finalize()))
    }

    /// results.json, junit.xml, the reports and gate.json (last: its presence says the run's
    /// files are complete), from the results alone (and the stream, for results.json).
    pub fn all(
        &self,
        results: &RunResults,
        gate: &Gate,
        lang: Lang,
        full: Option<&mut CaseReader>,
    ) -> io::Result<()> {
        // junit.xml is made beside results.json; the reports quote results.json's digest, so
        // they come after it.
        let (run_digest, junit) = std::thread::scope(|scope| {
            let junit = scope.spawn(|| {
                let xml = super::junit::render(results, lang).map_err(io::Error::other)?;
                self.write(JUNIT, &xml)
            });
            let run_digest = self.results(results, full);
            (run_digest, junit.join())
        });
        let run_digest = run_digest?;
        junit.map_err(|_| io::Error::other("junit.xml: rendering failed"))??;
        self.reports(results, gate, &run_digest)?;
        let json = serde_json::to_string_pretty(gate).map_err(io::Error::other)?;
        self.write(GATE, &json)
    }

    /// `report.th.html` and `report.th.md`, and the English ones when asked for.
    fn reports(&self, results: &RunResults, gate: &Gate, run_digest: &str) -> io::Result<()> {
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
            let style = Style { lang, digits };
            let doc = document::build(results, gate, render::labels(), style, Some(run_digest));
            // The run digest and its QR code are the harness's own: never taken for an ID.
            let mut redactor = self.secrets.redactor().protecting([run_digest.to_string()]);
            if let Some(qr) = &doc.run_qr {
                redactor = redactor.protecting([qr.clone()]);
            }
            for format in [Format::Html, Format::Markdown] {
                let text = render::render(&doc, format).map_err(io::Error::other)?;
                let code = if lang == Lang::Th { "th" } else { "en" };
                let name = format!("report.{code}.{}", format.extension());
                self.write_with(&name, |file| {
                    file.write_all(redactor.text(&text).as_bytes())
                })?;
            }
        }
        Ok(())
    }
}
