//! `results.jsonl`: the run as it happens, one JSON object per line, appended and flushed at
//! each case boundary, so a run killed at any moment (SIGKILL, power loss) leaves a file that
//! parses up to its last complete line, and `cpc report` rebuilds every file from it. Tools may
//! tail it while a run goes on.
//!
//! Lines, in order:
//! - `{"event": "run", "results": {…}}`: the run's frame (suite, target, requirements,
//!   invariants, selection), its `cases` every planned case as not finished (`interrupted`);
//! - `{"event": "case", "case": {…}}`: a case as it finished, in the order cases finish;
//! - `{"event": "end", "interrupted": false, "finished_at": "…"}`: the run ended (with a verdict
//!   or on a signal). Without it, the run was killed.
//!
//! Every line is masked like every other output.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::redact::Secrets;
use crate::results::{CaseResult, RunResults};

pub const STREAM: &str = "results.jsonl";

/// Data reaches the disk at least this often while a run goes on: after a power loss, at most
/// this much of a run is lost; after a SIGKILL, nothing that finished.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// The longest line `rebuild` reads: a run line holds every planned case, a case line its
/// steps with their (capped) bodies; a longer one is not cpc's.
const MAX_LINE_BYTES: u64 = 256 * 1024 * 1024;

/// A line as read back.
#[derive(Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Line {
    Run {
        results: Box<RunResults>,
    },
    Case {
        case: Box<CaseResult>,
    },
    End {
        interrupted: bool,
        finished_at: Option<String>,
    },
}

/// A line as written: the same shape as `Line`, borrowing what it writes.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum LineOut<'a> {
    Run {
        results: &'a RunResults,
    },
    Case {
        case: &'a CaseResult,
    },
    End {
        interrupted: bool,
        finished_at: Option<String>,
    },
}

/// Appends the lines of a run.
pub struct StreamWriter {
    file: File,
    path: PathBuf,
    secrets: Secrets,
    synced: Instant,
    /// Where each finished case's line starts, to read it back in suite order at the end, and
    /// the generation of secrets it was masked with.
    offsets: HashMap<String, (u64, u64)>,
    written: u64,
}

impl StreamWriter {
    pub fn create(dir: &Path, secrets: Secrets) -> io::Result<Self> {
        let path = dir.join(STREAM);
        Ok(Self {
            file: File::create(&path)?,
            path,
            secrets,
            synced: Instant::now(),
            offsets: HashMap::new(),
            written: 0,
        })
    }

    /// Writes a line masked with the secrets known now; gives the generation it was masked at.
    fn line(&mut self, line: &LineOut) -> io::Result<u64> {
        let json = serde_json::to_string(line).map_err(io::Error::other)?;
        let (redactor, generation) = self.secrets.redactor_at();
        let mut text = redactor.text(&json);
        text.push('\n');
        self.file.write_all(text.as_bytes())?;
        self.written += text.len() as u64;
        if self.synced.elapsed() >= SYNC_EVERY {
            self.file.sync_data()?;
            self.synced = Instant::now();
        }
        Ok(generation)
    }

    pub fn start(&mut self, results: &RunResults) -> io::Result<()> {
        self.line(&LineOut::Run { results }).map(drop)
    }

    pub fn case(&mut self, case: &CaseResult) -> io::Result<()> {
        let at = self.written;
        let generation = self.line(&LineOut::Case { case })?;
        self.offsets.insert(case.id.clone(), (at, generation));
        Ok(())
    }

    /// The last line. Not synced to disk: the files written next, from it, are the run's
    /// record; the stream's sync bounds what a power loss takes *during* a run.
    pub fn end(&mut self, interrupted: bool, finished_at: Option<String>) -> io::Result<()> {
        self.line(&LineOut::End {
            interrupted,
            finished_at,
        })
        .map(drop)
    }

    /// A reader of the cases written so far, by id (the full results, for results.json).
    pub fn reader(&self) -> io::Result<CaseReader> {
        Ok(CaseReader {
            file: BufReader::new(File::open(&self.path)?),
            offsets: self.offsets.clone(),
        })
    }
}

/// Reads finished cases back from the stream, one at a time.
pub struct CaseReader {
    file: BufReader<File>,
    offsets: HashMap<String, (u64, u64)>,
}

/// A case as streamed: its JSON, masked at some generation of the run's secrets.
pub struct StreamedCase {
    pub json: String,
    pub generation: u64,
}

const CASE_PREFIX: &str = r#"{"event":"case","case":"#;

impl CaseReader {
    /// The case's JSON as streamed, if it finished: taken out of its line as it is, not parsed
    /// and written again.
    pub fn case(&mut self, id: &str) -> io::Result<Option<StreamedCase>> {
        let Some(&(at, generation)) = self.offsets.get(id) else {
            return Ok(None);
        };
        self.file.seek(SeekFrom::Start(at))?;
        let mut line = String::new();
        self.file.read_line(&mut line)?;
        let json = line
            .trim_end_matches('\n')
            .strip_prefix(CASE_PREFIX)
            .and_then(|rest| rest.strip_suffix('}'));
        Ok(json.map(|json| StreamedCase {
            json: json.to_string(),
            generation,
        }))
    }
}

/// A run rebuilt from its stream: the frame, every case that finished, and whether it ended.
/// A stream cut off (no `end`) is an interrupted run; a torn last line is left out.
pub fn rebuild(path: &Path) -> Result<RunResults, String> {
    rebuild_within(path, MAX_LINE_BYTES)
}

fn rebuild_within(path: &Path, max_line: u64) -> Result<RunResults, String> {
    let shown = path.display();
    let file = File::open(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!("`{shown}` is not a regular file"));
    }
    let mut reader = BufReader::new(file);
    let mut results: Option<RunResults> = None;
    // Where each planned case is in `results.cases`: its line replaces its skeleton.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut ended = false;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let read = reader
            .by_ref()
            .take(max_line + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        if read == 0 {
            break;
        }
        if line.len() as u64 > max_line {
            return Err(format!(
                "{shown}:{number}: a line longer than {max_line} bytes: not a cpc results stream"
            ));
        }
        let parsed = match serde_json::from_slice::<Line>(&line) {
            Ok(parsed) => parsed,
            // Only the last line may be torn (the run was killed while writing it).
            Err(_) => continue,
        };
        match (parsed, &mut results) {
            (Line::Run { results: frame }, None) => {
                index = frame
                    .cases
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.id.clone(), i))
                    .collect();
                results = Some(*frame);
            }
            // The run line plans every case: one it does not name is not this run's.
            (Line::Case { case }, Some(r)) => match index.get(&case.id) {
                Some(&i) => r.cases[i] = *case,
                None => {
                    return Err(format!(
                        "{shown}:{number}: case `{}` is not in the run's plan: not a cpc results stream",
                        crate::report::escape::console_text(&case.id)
                    ));
                }
            },
            (
                Line::End {
                    interrupted,
                    finished_at,
                },
                Some(r),
            ) => {
                r.interrupted = interrupted;
                r.finished_at = finished_at;
                ended = true;
            }
            _ => {
                return Err(format!(
                    "{shown}:{number}: not a cpc results stream (it starts with a `run` line)"
                ));
            }
        }
    }
    let mut results = results.ok_or_else(|| format!("`{}` holds no run", path.display()))?;
    if !ended {
        // Killed: whatever had not finished was interrupted.
        results.interrupted = true;
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_stream_is_refused_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let err = rebuild(dir.path()).unwrap_err();
        assert!(err.contains("is not a regular file"), "{err}");

        let path = dir.path().join(STREAM);
        std::fs::write(&path, format!("\n{}\n", "x".repeat(100))).unwrap();
        let err = rebuild_within(&path, 64).unwrap_err();
        assert!(
            err.ends_with(":2: a line longer than 64 bytes: not a cpc results stream"),
            "{err}"
        );

        std::fs::write(&path, "{\"event\":\"end\",\"interrupted\":false}\n").unwrap();
        let err = rebuild(&path).unwrap_err();
        assert!(
            err.ends_with(":1: not a cpc results stream (it starts with a `run` line)"),
            "{err}"
        );

        std::fs::write(&path, "torn").unwrap();
        let err = rebuild(&path).unwrap_err();
        assert!(err.ends_with("holds no run"), "{err}");
    }
}
