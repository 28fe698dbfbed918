//! What a check, step or case came to.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Place;
use crate::i18n::{Lang, Text, Word, word};

/// An agency failing a check is data, not an `Err` (DESIGN §3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    Pass,
    /// A check failed: the target does not meet the requirement.
    Fail,
    /// Could not evaluate: refused connection, timeout, oversized or non-JSON body, …
    Error,
    /// Stopped by Ctrl-C or a crash before it finished.
    Interrupted,
    /// Not run (an earlier step failed, or the case was not selected).
    NotRun,
    /// A case that failed, then passed when run again (`--rerun-failed`): unstable, which
    /// does not pass a requirement (ไม่เสถียร).
    Flaky,
}

impl Outcome {
    pub fn label(self, lang: Lang) -> &'static str {
        word(
            lang,
            match self {
                Outcome::Pass => Word::Pass,
                Outcome::Fail => Word::Fail,
                Outcome::Error => Word::Error,
                Outcome::Interrupted => Word::Interrupted,
                Outcome::NotRun => Word::NotRun,
                Outcome::Flaky => Word::Flaky,
            },
        )
    }

    /// The outcome of a whole made of parts: a failed check outranks an error (the target was
    /// shown wrong, whatever else could not be judged), which outranks pass.
    pub fn combine(outcomes: impl IntoIterator<Item = Outcome>) -> Outcome {
        outcomes
            .into_iter()
            .fold(Outcome::Pass, |acc, o| match (acc, o) {
                (Outcome::Fail, _) | (_, Outcome::Fail) => Outcome::Fail,
                (Outcome::Error, _) | (_, Outcome::Error) => Outcome::Error,
                (Outcome::Interrupted, _) | (_, Outcome::Interrupted) => Outcome::Interrupted,
                (Outcome::Flaky, _) | (_, Outcome::Flaky) => Outcome::Flaky,
                _ => Outcome::Pass,
            })
    }
}

/// One check's result: what was checked, expected vs actual, and where the check is written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// e.g. `status`, `body $.status`, `header Content-Type`, `schema schemas/receipt.json`.
    pub check: String,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    pub message: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// For a failed check of the body: the start of the body it looked at (masked, cut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

impl CheckResult {
    pub fn new(check: impl Into<String>, outcome: Outcome, message: Text) -> Self {
        Self {
            check: check.into(),
            outcome,
            expected: None,
            actual: None,
            message,
            place: None,
            excerpt: None,
        }
    }

    pub fn expected(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }

    pub fn at(mut self, place: Place) -> Self {
        self.place = Some(place);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome::*;
    use super::*;

    #[test]
    fn a_failed_check_decides_over_an_error() {
        assert_eq!(Outcome::combine([Pass, Error, Fail]), Fail);
        assert_eq!(Outcome::combine([Pass, Error]), Error);
        assert_eq!(Outcome::combine([Pass, Interrupted]), Interrupted);
        assert_eq!(Outcome::combine([Pass, Pass]), Pass);
        assert_eq!(Outcome::combine([]), Pass);
    }
}
