//! What the runner says as it goes. It never formats: the console, the progress bar, the
//! results stream and the final files are consumers of these events (nextest's shape).

use tokio::sync::mpsc;

use crate::results::CaseResult;

#[derive(Debug)]
pub enum Event {
    /// The run starts with this many cases.
    RunStarted {
        cases: usize,
    },
    CaseStarted {
        id: String,
    },
    /// A step of a case finished (its result comes with the case).
    StepFinished {
        case: String,
        index: usize,
    },
    /// A load step's progress: requests done so far, of `total` when it is a count.
    LoadProgress {
        case: String,
        done: u64,
        total: Option<u64>,
    },
    CaseFinished(Box<CaseResult>),
    /// Every case finished.
    RunFinished,
}

/// Where the runner sends its events. A consumer that has gone is not an error: the run goes
/// on, and its results are still collected.
#[derive(Clone, Debug)]
pub struct Events(Option<mpsc::UnboundedSender<Event>>);

impl Events {
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self(Some(tx)), rx)
    }

    /// Events nobody hears (tests, tools that want the results only).
    pub fn none() -> Self {
        Self(None)
    }

    pub fn send(&self, event: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(event);
        }
    }
}
