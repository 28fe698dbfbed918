//! `cpc merge`: shard runs (`--shard K/N`) of one suite against one target, combined into the
//! run of the whole suite. Pure: runs in, one run (or why not) out.
//!
//! The merged run passes the gate only when every shard 1..N is there, none was limited by
//! `--case`/`--tag`, and none was interrupted: a missing shard leaves its cases not run and
//! the run partial, so the gate fails.

use std::collections::{BTreeSet, HashMap};

use thiserror::Error;

use crate::results::{RunResults, Selection, Shard};

/// One run to merge, with where it came from (for messages).
pub struct ShardRun {
    pub from: String,
    pub results: RunResults,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("nothing to merge: give the run directories of the shards")]
    Empty,
    #[error("{from}: its {what} is `{found}` where the first run's is `{expected}`: {hint}")]
    Differs {
        from: String,
        what: &'static str,
        found: String,
        expected: String,
        hint: &'static str,
    },
    #[error(
        "{from} is {found} but {first} is {expected}: merge the shards of one `--shard K/N` split"
    )]
    ShardTotal {
        from: String,
        found: String,
        expected: String,
        first: String,
    },
    #[error("{from} and {other} are both shard {shard}")]
    SameShard {
        from: String,
        other: String,
        shard: String,
    },
    #[error("case `{case}` is in {from} and in {other}: a case may be in one run only")]
    SameCase {
        from: String,
        other: String,
        case: String,
    },
}

/// What came of a merge: the run, and the shards that were missing (the gate fails then).
pub struct Merged {
    pub results: RunResults,
    pub missing_shards: Vec<u32>,
}

/// What every merged run must share, and what to do when one does not.
type Field = fn(&RunResults) -> String;
const IDENTITY: [(&str, Field, &str); 6] = [
    ("suite", |r| r.suite.id.clone(), "merge runs of one suite"),
    (
        "suite digest",
        |r| r.suite.digest.clone(),
        "the suite's files changed between the runs; run every shard from the same commit",
    ),
    // The built-in reference listens on a new port each run: any two are the same target.
    (
        "target",
        |r| match r.reference_target {
            true => "reference".into(),
            false => r.target.clone(),
        },
        "merge runs against one target",
    ),
    (
        "run id",
        |r| r.run.id.clone(),
        "merge the shards of one run: give each the same `--run-id` (e.g. the CI pipeline's id)",
    ),
    (
        "fault switch",
        |r| r.run.fault.clone().unwrap_or_else(|| "none".into()),
        "merge shards run with the same `--fault`",
    ),
    (
        "options",
        |r| {
            let options: Vec<String> = r
                .run
                .options
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            options.join(" ")
        },
        "merge shards run with the same options",
    ),
];

pub fn merge(mut runs: Vec<ShardRun>) -> Result<Merged, MergeError> {
    runs.sort_by_key(|r| r.results.selection.shard.map(|s| s.index));
    let first = runs.first().ok_or(MergeError::Empty)?;
    let total = first.results.selection.shard.map(|s| s.total);
    let mut shards: HashMap<u32, &str> = HashMap::new();
    let mut cases: HashMap<&str, &str> = HashMap::new();
    for run in &runs {
        for (what, field, hint) in IDENTITY {
            let (found, expected) = (field(&run.results), field(&first.results));
            if found != expected {
                return Err(MergeError::Differs {
                    from: run.from.clone(),
                    what,
                    found: found.to_string(),
                    expected: expected.to_string(),
                    hint,
                });
            }
        }
        let shard = run.results.selection.shard;
        if shard.map(|s| s.total) != total {
            let split = |shard: Option<Shard>| {
                shard.map_or_else(|| "not a shard".into(), |s| format!("shard {s}"))
            };
            return Err(MergeError::ShardTotal {
                from: run.from.clone(),
                found: split(shard),
                expected: split(first.results.selection.shard),
                first: first.from.clone(),
            });
        }
        if let Some(shard) = shard
            && let Some(other) = shards.insert(shard.index, &run.from)
        {
            return Err(MergeError::SameShard {
                from: run.from.clone(),
                other: other.to_string(),
                shard: shard.to_string(),
            });
        }
        for case in &run.results.cases {
            if let Some(other) = cases.insert(&case.id, &run.from) {
                return Err(MergeError::SameCase {
                    from: run.from.clone(),
                    other: other.to_string(),
                    case: case.id.clone(),
                });
            }
        }
    }
    let missing_shards: Vec<u32> = (1..=total.unwrap_or(0))
        .filter(|i| !shards.contains_key(i))
        .collect();
    let filtered = runs
        .iter()
        .any(|r| !r.results.selection.cases.is_empty() || !r.results.selection.tags.is_empty());
    let union = |field: fn(&Selection) -> &Vec<String>| -> Vec<String> {
        let all: BTreeSet<&String> = runs
            .iter()
            .flat_map(|r| field(&r.results.selection))
            .collect();
        all.into_iter().cloned().collect()
    };
    let selection = Selection {
        // Unsharded runs are whole only when one of them is (merging `--case` runs is partial).
        partial: filtered
            || !missing_shards.is_empty()
            || (total.is_none() && runs.iter().all(|r| r.results.selection.partial)),
        cases: union(|s| &s.cases),
        tags: union(|s| &s.tags),
        shard: None,
    };
    let started_at = runs.iter().map(|r| r.results.started_at.clone()).min();
    let finished_at = runs
        .iter()
        .map(|r| r.results.finished_at.clone())
        .max()
        .flatten();
    let interrupted = runs.iter().any(|r| r.results.interrupted);
    let mut runs = runs.into_iter();
    let mut merged = runs.next().ok_or(MergeError::Empty)?.results;
    for run in runs {
        merged.cases.extend(run.results.cases);
    }
    // Suite order: case files by name, cases by line in them, a block's generated cases in
    // the order it made them.
    merged.cases.sort_by_key(|c| {
        (
            c.place.file.file_name().map(|n| n.to_os_string()),
            c.place.line,
            c.generated.as_ref().map(|g| g.order),
        )
    });
    merged.selection = selection;
    merged.interrupted = interrupted;
    merged.started_at = started_at.unwrap_or_default();
    merged.finished_at = finished_at;
    Ok(Merged {
        results: merged,
        missing_shards,
    })
}
