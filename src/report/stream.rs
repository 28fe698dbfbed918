//! `results.jsonl`: the run as it happens, one JSON object per line, appended a batch of whole
//! lines at a time (the cases that finished in the last millisecond or so), so a run killed at
//! any moment (SIGKILL, power loss) leaves a file that parses up to its last complete line,
//! and `cpc report` rebuilds every file from it. Tools may tail it while a run goes on.
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

/// Appends the lines of a run. Lines are made as cases finish and written together when the
/// consumer has taken the events at hand (`flush`): one write for a batch of cases, and every
/// write ends on a line boundary.
pub struct StreamWriter {
    file: File,
    path: PathBuf,
    secrets: Secrets,
    synced: Instant,
    /// Where each finished case's line starts, to read it back in suite order at the end.
    offsets: HashMap<String, Streamed>,
    /// Bytes in the file, all of them whole lines.
    written: u64,
    /// Lines made since the last flush, and the cases among them.
    pending: Vec<u8>,
    pending_cases: Vec<(String, Streamed)>,
    /// A failed write could not be cut back: nothing more is written, since a later line's
    /// place in the file would no longer be known.
    broken: bool,
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
            pending: Vec::new(),
            pending_cases: Vec::new(),
            broken: false,
        })
    }

    /// Makes a line, masked; gives where it starts in the file.
    fn line(&mut self, line: &LineOut) -> io::Result<u64> {
        let json = serde_json::to_string(line).map_err(io::Error::other)?;
        let at = self.written + self.pending.len() as u64;
        self.pending
            .extend_from_slice(self.secrets.redactor().text(&json).as_bytes());
        self.pending.push(b'\n');
        Ok(at)
    }

    /// Writes the lines made so far. When the write fails (a full disk), the file is cut back
    /// to its last whole line and those cases are not in the stream (results.json then has
    /// them as the run held them).
    pub fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let cases = std::mem::take(&mut self.pending_cases);
        if self.broken {
            self.pending.clear();
            return Err(io::Error::other("an earlier write failed"));
        }
        if let Err(e) = self.file.write_all(&self.pending) {
            self.pending.clear();
            let cut = self.file.set_len(self.written);
            let back = self.file.seek(SeekFrom::Start(self.written));
            self.broken = cut.is_err() || back.is_err();
            return Err(e);
        }
        self.written += self.pending.len() as u64;
        self.pending.clear();
        for (id, streamed) in cases {
            self.offsets.insert(id, streamed);
        }
        if self.synced.elapsed() >= SYNC_EVERY {
            self.file.sync_data()?;
            self.synced = Instant::now();
        }
        Ok(())
    }

    pub fn start(&mut self, results: &RunResults) -> io::Result<()> {
        self.line(&LineOut::Run { results })?;
        self.flush()
    }

    /// A finished case's line, written at the next `flush`.
    pub fn case(&mut self, case: &CaseResult) -> io::Result<()> {
        let at = self.line(&LineOut::Case { case })?;
        let start = (at - self.written) as usize;
        // The id as the masked line has it: a declared secret or an ID inside it is masked.
        let Some(id_json) = id_json(&self.pending[start..]) else {
            return Ok(());
        };
        self.pending_cases
            .push((case.id.clone(), Streamed { at, id_json }));
        Ok(())
    }

    /// The last line. Not synced to disk: the files written next, from it, are the run's
    /// record; the stream's sync bounds what a power loss takes *during* a run.
    pub fn end(&mut self, interrupted: bool, finished_at: Option<String>) -> io::Result<()> {
        self.line(&LineOut::End {
            interrupted,
            finished_at,
        })?;
        self.flush()
    }

    /// A reader of the cases written so far, by id (the full results, for results.json).
    pub fn reader(&self) -> io::Result<CaseReader> {
        Ok(CaseReader {
            file: BufReader::with_capacity(READ_BUFFER, File::open(&self.path)?),
            offsets: self.offsets.clone(),
            at: 0,
        })
    }
}

/// Read back a quarter of a MiB at a time: a hundred cases' lines or more.
const READ_BUFFER: usize = 256 * 1024;

/// Where a case's line is, and how it starts: `{"id":"…"`, as masked.
#[derive(Clone)]
struct Streamed {
    at: u64,
    id_json: String,
}

/// `{"id":"…"` at the start of a case line (after the event), up to the id's closing quote.
fn id_json(line: &[u8]) -> Option<String> {
    let json = line.strip_prefix(CASE_PREFIX.as_bytes())?;
    let open = br#"{"id":""#.len();
    let mut i = json.starts_with(br#"{"id":""#).then_some(open)?;
    while let Some(&b) = json.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return String::from_utf8(json[..=i].to_vec()).ok(),
            _ => i += 1,
        }
    }
    None
}

/// Reads finished cases back from the stream, one at a time.
pub struct CaseReader {
    file: BufReader<File>,
    offsets: HashMap<String, Streamed>,
    /// Where the reader is: cases finish about in suite order, so the next one is usually
    /// here or near, inside what is buffered, and no system call is needed to get there.
    at: u64,
}

const CASE_PREFIX: &str = r#"{"event":"case","case":"#;

impl CaseReader {
    /// The case's JSON as streamed, if it finished: taken out of its line as it is, not parsed
    /// and written again.
    pub fn case(&mut self, id: &str) -> io::Result<Option<String>> {
        let Some(streamed) = self.offsets.get(id) else {
            return Ok(None);
        };
        self.file
            .seek_relative(streamed.at as i64 - self.at as i64)?;
        let mut line = String::new();
        self.at = streamed.at + self.file.read_line(&mut line)? as u64;
        // The line must be this case's (its id comes first): anything else is not taken.
        let json = line
            .trim_end_matches('\n')
            .strip_prefix(CASE_PREFIX)
            .and_then(|rest| rest.strip_suffix('}'))
            .filter(|json| json.starts_with(&streamed.id_json));
        Ok(json.map(str::to_string))
    }
}

/// A run rebuilt from its stream: the frame, every case that finished, and whether it ended.
/// A stream cut off (no `end`) is an interrupted run; a torn last line is left out.
pub fn rebuild(path: &Path) -> Result<RunResults, String> {
    rebuild_within(path, MAX_LINE_BYTES)
}

fn rebuild_within(path: &Path, max_line: u64) -> Result<RunResults, String> {
    let shown = path.display();
    // Checked before opening: opening a FIFO would block.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(format!("`{shown}` is not a regular file"));
    }
    let file = File::open(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!("`{shown}` is not a regular file"));
    }
    let mut reader = BufReader::new(file);
    let mut results: Option<RunResults> = None;
    // Where each planned case is in `results.cases`: its line replaces its skeleton.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut ended = false;
    // A line that does not parse: only the last may be (the run was killed while writing it).
    let mut torn: Option<usize> = None;
    let mut finished: std::collections::HashSet<String> = std::collections::HashSet::new();
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
        if let Some(torn) = torn {
            return Err(format!(
                "{shown}:{torn}: a line that is not whole, and more after it: the stream was edited (only its last line may be cut short)"
            ));
        }
        let parsed = match serde_json::from_slice::<Line>(&line) {
            Ok(parsed) => parsed,
            Err(_) => {
                torn = Some(number);
                continue;
            }
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
                Some(_) if !finished.insert(case.id.clone()) => {
                    return Err(format!(
                        "{shown}:{number}: case `{}` finished twice: the stream was edited",
                        crate::report::escape::console_text(&case.id)
                    ));
                }
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

    fn case(id: &str) -> CaseResult {
        serde_json::from_value(serde_json::json!({
            "id": id, "title_th": "ทดสอบ", "title_en": null, "requirements": ["R-1"],
            "tags": [], "place": {"file": "cases/a.yaml", "line": 1, "column": 1},
            "outcome": "pass", "duration_ms": 1, "steps": []
        }))
        .unwrap()
    }

    #[test]
    fn cases_reach_the_file_at_a_flush_and_read_back_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Secrets::new(crate::redact::Redactor::new(["s3cret-token".to_string()]));
        let mut stream = StreamWriter::create(dir.path(), secrets).unwrap();
        let path = dir.path().join(STREAM);
        let lines = || std::fs::read_to_string(&path).unwrap().lines().count();
        // The run line holds every planned case as not finished; the case lines replace them.
        let planned = ["C-1", "C-2", "C-3", "C-s3cret-token"].map(|id| CaseResult {
            outcome: crate::check::Outcome::Interrupted,
            ..case(id)
        });
        let run = crate::gate::tests::results(vec![], planned.to_vec());
        stream.start(&run).unwrap();
        assert_eq!(lines(), 1, "the run line is written at once");
        let mut masked = case("C-2");
        masked.title_th = "มี s3cret-token".into();
        for c in [case("C-3"), case("C-1"), masked, case("C-s3cret-token")] {
            stream.case(&c).unwrap();
        }
        assert_eq!(lines(), 1, "case lines wait for the flush");
        stream.flush().unwrap();
        assert_eq!(lines(), 5);
        let mut reader = stream.reader().unwrap();
        for id in ["C-1", "C-2", "C-3", "C-1"] {
            let json = reader.case(id).unwrap().unwrap();
            assert_eq!(serde_json::from_str::<CaseResult>(&json).unwrap().id, id);
            assert!(!json.contains("s3cret-token"), "{json}");
        }
        // An id that holds a secret is masked in its line, and the line is still its own.
        let json = reader.case("C-s3cret-token").unwrap().unwrap();
        assert!(json.starts_with(r#"{"id":"C-***""#), "{json}");
        assert!(reader.case("C-4").unwrap().is_none());
        stream.end(false, None).unwrap();
        let rebuilt = rebuild(&path).unwrap();
        assert_eq!(rebuilt.cases.len(), 4);
        assert!(
            rebuilt
                .cases
                .iter()
                .all(|c| c.outcome == crate::check::Outcome::Pass)
        );
    }
}
