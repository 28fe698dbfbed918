//! Which cases run: all, or those named with `--case` or tagged with `--tag`, and of those the
//! share of `--shard K/N`.

use serde_saphyr::Spanned;

use crate::results::Shard;
use crate::suite::{Case, CaseFile, Suite};

/// A case by position in the suite (file, case), cheap to send to a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseRef {
    file: usize,
    case: usize,
    /// It changes the portal for requests other cases may send: no other case runs beside it.
    pub alone: bool,
}

impl CaseRef {
    pub fn get<'a>(&self, suite: &'a Suite) -> (&'a CaseFile, &'a Spanned<Case>) {
        let file = &suite.case_files[self.file];
        (file, &file.cases[self.case])
    }
}

/// The selected cases in suite order. An unknown `--case` id is an error (a typo would
/// otherwise run nothing and say little). A shard may hold none of the selected cases (a small
/// suite over many machines): that is an empty plan, not an error.
pub fn plan(
    suite: &Suite,
    ids: &[String],
    tags: &[String],
    shard: Option<Shard>,
) -> Result<Vec<CaseRef>, String> {
    for id in ids {
        if !suite.cases().any(|(_, c)| &c.value.id.value == id) {
            return Err(format!("no case `{id}` in the suite"));
        }
    }
    let mut selected = Vec::new();
    for (f, file) in suite.case_files.iter().enumerate() {
        for (c, case) in file.cases.iter().enumerate() {
            let case = &case.value;
            let by_id = ids.is_empty() || ids.contains(&case.id.value);
            let by_tag = tags.is_empty() || case.tags.iter().any(|t| tags.contains(t));
            let in_shard = shard.is_none_or(|s| s.holds(&case.id.value));
            // A pending case is written down, not yet written: it never runs.
            if by_id && by_tag && in_shard && !case.pending {
                let alone = crate::suite::runs_alone(suite, case).is_some();
                selected.push(CaseRef {
                    file: f,
                    case: c,
                    alone,
                });
            }
        }
    }
    // A suite of pending cases only runs nothing, and its gate fails: no error.
    let chosen = !ids.is_empty() || !tags.is_empty();
    if selected.is_empty() && shard.is_none() && chosen {
        return Err("no case matches the selection".into());
    }
    Ok(selected)
}
