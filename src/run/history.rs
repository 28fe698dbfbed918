//! The history directory on disk: one JSON file per round of a suite against a target, written
//! atomically at the end of a complete run. A file that cannot be read or is not a record is
//! skipped with a warning naming it: a damaged history never stops a run.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::gate::Gate;
use crate::history::{MAX_ROUND, RoundRecord};
use crate::i18n::Lang;
use crate::results::RunResults;

/// `--history`'s environment variable; `off` (or `--history off`) keeps no history.
pub const ENV: &str = "CPC_HISTORY";

/// Where a run's history is kept: `--history DIR`, else beside `--out` under the suite's id
/// (`cpc-history/<suite>/` next to the run directory); None when turned off.
pub fn dir_for(option: Option<&Path>, out: &Path, suite_id: &str) -> Option<PathBuf> {
    match option {
        Some(dir) if dir.as_os_str() == "off" => None,
        Some(dir) => Some(dir.to_path_buf()),
        None => {
            let beside = out.parent().unwrap_or(Path::new(""));
            Some(beside.join("cpc-history").join(folder_name(suite_id)))
        }
    }
}

/// A suite id as one folder's name: an id is the suite's (or a results file's) to choose, and
/// `../x` or `/etc` must not move the history elsewhere.
fn folder_name(suite_id: &str) -> String {
    let name: String = suite_id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_matches('.') {
        "" => "suite".into(),
        _ => name,
    }
}

/// Gives a whole run its round (the next after the last of this suite against this target,
/// unless `--round` said) and the round before it, to compare with. Warnings go to stderr.
pub fn assign_round(dir: &Path, results: &mut RunResults) {
    let suite = results.suite.id.clone();
    let target = crate::history::target_key(results);
    let before = results.round.unwrap_or(u32::MAX);
    let found = last_before(dir, &suite, &target, before);
    for warning in &found.warnings {
        // A record's bytes may reach the message (serde quotes what it did not expect).
        crate::complain!("warning: {}", crate::report::escape::console_text(warning));
    }
    // The round after the last record read whole. Damaged files never count (a file's name
    // is not a round); when the newest files were too many or too big to read to the last
    // record, the run has no round rather than one a damaged history made up.
    let after = match (&found.last, found.exhausted) {
        (Some(record), _) => Some(record.round.min(MAX_ROUND) + 1),
        (None, false) => Some(1),
        (None, true) => None,
    };
    results.round = results.round.or(after);
    results.previous_round = found.last;
}

/// What a run's start finds of its target's rounds.
struct Before {
    /// The last round before the run's, read whole and named as it is numbered.
    last: Option<RoundRecord>,
    /// The reading stopped at its bounds before a record was found.
    exhausted: bool,
    warnings: Vec<String>,
}

/// A run's start reads at most this many of its target's files, and this many bytes of them,
/// looking for the round before its own: one or two in a history cpc wrote, however many rounds
/// it holds; a history filled with damaged files costs no more than this.
const START_FILES: usize = 32;
const START_BYTES: u64 = 64 * 1024 * 1024;

/// The last round of this suite against this target before round `before`. Only that target's
/// files are read (their names carry the target's hash), newest first, until one is the round
/// sought. A record is taken only if it is the round its name says.
fn last_before(dir: &Path, suite: &str, target: &str, before: u32) -> Before {
    let mut found = Before {
        last: None,
        exhausted: false,
        warnings: Vec::new(),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    let tail = format!("-{}.json", target_hash(target));
    // Sorted by number (then name), the path made only for a file read: a history kept for
    // months holds thousands of names, and a run reads one or two.
    let mut rounds: Vec<(u32, std::ffi::OsString)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let number = name.to_str()?.strip_prefix("round-")?.strip_suffix(&tail)?;
            Some((number.parse().ok()?, name))
        })
        .filter(|(number, _)| *number < before)
        .collect();
    rounds.sort_unstable_by(|a, b| b.cmp(a));
    let mut bytes = 0u64;
    for (read, (number, name)) in rounds.into_iter().enumerate() {
        let path = dir.join(name);
        if read == START_FILES || bytes > START_BYTES {
            found.warnings.push(format!(
                "history: the newest {read} files of this target in `{}` hold no round to \
                 count from; this run has no round (give --round N, or remove the damaged files)",
                dir.display()
            ));
            found.exhausted = true;
            break;
        }
        bytes += std::fs::metadata(&path).map_or(0, |m| m.len());
        match read_record(&path) {
            Ok(record) if record.round != number => found.warnings.push(format!(
                "history: skipped {}: it holds round {}, not the round its name says",
                path.display(),
                record.round
            )),
            Ok(record) if record.suite == suite && record.target == target => {
                found.last = Some(record);
                break;
            }
            Ok(_) => {}
            Err(e) => found.warnings.push(e),
        }
    }
    found
}

/// Keeps the round of a whole run that ended by itself; says where, or warns why not.
pub fn keep_round(dir: &Path, results: &RunResults, gate: &Gate, lang: Lang) -> Option<String> {
    let round = results
        .round
        .filter(|_| !results.interrupted && !results.selection.partial)?;
    let record = RoundRecord::of(results, gate, round);
    match write(dir, &record) {
        Ok(path) => Some(match lang {
            Lang::Th => format!("ประวัติ: ครั้งที่ {round} → {}\n", path.display()),
            Lang::En => format!("history: round {round} → {}\n", path.display()),
        }),
        Err(e) => {
            crate::complain!(
                "warning: history: cannot write round {round} to `{}`: {e}",
                dir.display()
            );
            None
        }
    }
}

/// Bounds on a history directory, which anyone with the CI cache can write to.
const MAX_FILES: usize = 10_000;
const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;

/// Every record in `dir` (none when it does not exist yet), and a warning per file skipped.
pub fn read(dir: &Path) -> (Vec<RoundRecord>, Vec<String>) {
    let mut records = Vec::new();
    let mut warnings = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (records, warnings);
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    if paths.len() > MAX_FILES {
        warnings.push(format!(
            "history: {} files in `{}`, more than the {MAX_FILES} read; the rest skipped",
            paths.len(),
            dir.display()
        ));
        paths.truncate(MAX_FILES);
    }
    let mut total = 0u64;
    for path in paths {
        let parsed = crate::read::bounded(&path, crate::read::MAX_TEXT_FILE)
            .map_err(|e| format!("history: skipped {e}"))
            .and_then(|bytes| {
                total += bytes.len() as u64;
                if total > MAX_TOTAL_BYTES {
                    return Err(format!(
                        "history: skipped {}: the history holds more than {} MiB",
                        path.display(),
                        MAX_TOTAL_BYTES >> 20
                    ));
                }
                record_from(&path, &bytes)
            });
        match parsed {
            Ok(record) => records.push(record),
            Err(e) => warnings.push(e),
        }
    }
    (records, warnings)
}

fn read_record(path: &Path) -> Result<RoundRecord, String> {
    crate::read::bounded(path, crate::read::MAX_TEXT_FILE)
        .map_err(|e| format!("history: skipped {e}"))
        .and_then(|bytes| record_from(path, &bytes))
}

/// A round's record, or why it is skipped (a warning naming the file).
fn record_from(path: &Path, bytes: &[u8]) -> Result<RoundRecord, String> {
    let record = serde_json::from_slice::<RoundRecord>(bytes).map_err(|e| {
        format!(
            "history: skipped {}:{}:{}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if record.round == 0 || record.round > MAX_ROUND {
        return Err(format!(
            "history: skipped {}: round {} is not a round number (1 to {MAX_ROUND})",
            path.display(),
            record.round
        ));
    }
    Ok(record)
}

/// The first bytes of the SHA-256 of a target, in hex: the part of a round's file name that
/// keeps rounds against other targets apart.
fn target_hash(target: &str) -> String {
    let digest = Sha256::digest(target.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The file of a round: by round and target, so rounds against other targets stay apart.
fn file_name(record: &RoundRecord) -> String {
    format!(
        "round-{:03}-{}.json",
        record.round,
        target_hash(&record.target)
    )
}

/// Writes a round's record (replacing one of the same round and target).
pub fn write(dir: &Path, record: &RoundRecord) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file_name(record));
    let temp = dir.join(format!(".{}.tmp", file_name(record)));
    let json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    let written = std::fs::write(&temp, json).and_then(|()| std::fs::rename(&temp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map(|()| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_history_stays_beside_the_run_whatever_the_suite_id() {
        let out = Path::new("runs/out");
        for (id, folder) in [
            ("csg", "csg"),
            ("../../etc", ".._.._etc"),
            ("/etc", "_etc"),
            ("..", "suite"),
            ("", "suite"),
            ("งานบริการ 1", "งานบริการ_1"),
        ] {
            let dir = dir_for(None, out, id).unwrap();
            assert_eq!(dir, Path::new("runs/cpc-history").join(folder), "{id:?}");
        }
    }

    fn record_of(round: u32, suite: &str, target: &str) -> RoundRecord {
        RoundRecord {
            round,
            suite: suite.into(),
            suite_digest: String::new(),
            target: target.into(),
            started_at: "2026-11-25T10:00:00+07:00".into(),
            verdict: crate::gate::Verdict::Pass,
            waived: vec![],
            requirements: vec![],
        }
    }

    #[test]
    fn a_run_reads_only_its_targets_newest_rounds() {
        let dir = tempfile::tempdir().unwrap();
        for round in 1..=3 {
            write(dir.path(), &record_of(round, "csg", "https://a.example/")).unwrap();
        }
        write(dir.path(), &record_of(9, "csg", "https://b.example/")).unwrap();
        write(dir.path(), &record_of(7, "other", "https://a.example/")).unwrap();
        // The newest file of target a is damaged: skipped with a warning, the one before taken.
        let damaged = dir.path().join(format!(
            "round-004-{}.json",
            target_hash("https://a.example/")
        ));
        std::fs::write(&damaged, "{").unwrap();
        // A file of target b that no run against a may read, though it is the newest.
        std::fs::write(
            dir.path().join(format!(
                "round-010-{}.json",
                target_hash("https://b.example/")
            )),
            "{",
        )
        .unwrap();

        let round = |suite, target, before| last_before(dir.path(), suite, target, before);
        let found = round("csg", "https://a.example/", u32::MAX);
        assert_eq!(found.last.map(|r| r.round), Some(3));
        assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
        assert!(
            found.warnings[0].contains("round-004-"),
            "{:?}",
            found.warnings
        );
        let found = round("csg", "https://a.example/", 3);
        assert_eq!(found.last.map(|r| r.round), Some(2));
        assert!(round("csg", "https://a.example/", 1).last.is_none());
        let found = round("other", "https://a.example/", u32::MAX);
        assert_eq!(found.last.map(|r| r.round), Some(7));
        assert!(round("csg", "https://c.example/", u32::MAX).last.is_none());
    }

    #[test]
    fn a_record_with_an_impossible_round_is_skipped_and_the_next_round_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let record = |round: u32| record_of(round, "csg", "reference");
        write(dir.path(), &record(2)).unwrap();
        write(dir.path(), &record(u32::MAX)).unwrap();
        write(dir.path(), &record(0)).unwrap();
        std::fs::write(dir.path().join("junk.json"), "{").unwrap();
        let (records, warnings) = read(dir.path());
        assert_eq!(records.iter().map(|r| r.round).collect::<Vec<_>>(), [2]);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("round 4294967295 is not a round number")),
            "{warnings:?}"
        );
        let found = last_before(dir.path(), "csg", "reference", u32::MAX);
        assert_eq!(
            found.last.map(|r| r.round),
            Some(2),
            "so the next round is 3"
        );
    }

    #[test]
    fn a_record_under_another_rounds_name_is_not_counted_and_damage_costs_a_bounded_read() {
        let dir = tempfile::tempdir().unwrap();
        for round in 1..=3 {
            write(dir.path(), &record_of(round, "csg", "reference")).unwrap();
        }
        let named = |round: u32| {
            dir.path().join(format!(
                "round-{round:03}-{}.json",
                target_hash("reference")
            ))
        };
        // Round 1 copied under a newer name: not the round before the next run.
        std::fs::copy(named(1), named(999)).unwrap();
        let found = last_before(dir.path(), "csg", "reference", u32::MAX);
        assert_eq!(found.last.map(|r| r.round), Some(3));
        assert!(
            found.warnings[0].contains("holds round 1"),
            "{:?}",
            found.warnings
        );

        // More damaged files than a start reads: it stops, and the run gets no round rather
        // than one the damaged files' names made up.
        for round in 1000..1100 {
            std::fs::write(named(round), "{").unwrap();
        }
        let found = last_before(dir.path(), "csg", "reference", u32::MAX);
        assert!(found.last.is_none());
        assert!(found.exhausted);
        assert_eq!(
            found.warnings.len(),
            START_FILES + 1,
            "{:?}",
            found.warnings
        );
        assert!(found.warnings[START_FILES].contains("hold no round to count from"));
    }

    #[test]
    fn damaged_files_do_not_make_up_a_round() {
        let dir = tempfile::tempdir().unwrap();
        let named = |round: u32| {
            dir.path().join(format!(
                "round-{round:03}-{}.json",
                target_hash("reference")
            ))
        };
        let next = || {
            let mut results = crate::gate::tests::results(Vec::new(), Vec::new());
            results.suite.id = "csg".into();
            results.target = "reference".into();
            results.reference_target = true;
            assign_round(dir.path(), &mut results);
            results.round
        };
        // Junk under high numbers, and no record: the first round, not 3001.
        for round in 3000..3003 {
            std::fs::write(named(round), "not a record").unwrap();
        }
        assert_eq!(next(), Some(1));
        // With round 2 kept, the next is 3.
        write(dir.path(), &record_of(2, "csg", "reference")).unwrap();
        assert_eq!(next(), Some(3));
    }
}
