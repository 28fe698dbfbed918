//! What listens to the runner's events: the console (a line per case), the progress bar of a
//! load step (on a terminal only), the results stream (`results.jsonl`, a line per case, written
//! once per batch of events), and the collection the final files are rendered from.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::check::Outcome;
use crate::report::console::Console;
use crate::report::stream::StreamWriter;
use crate::results::{CaseResult, RunResults};
use crate::runner::Event;

pub struct Consumers<'a> {
    pub console: Console,
    /// Writes a line to the console (masked).
    pub say: &'a dyn Fn(&str),
    pub stream: StreamWriter,
    /// What the final files are made of: a passing case without its steps (the stream has
    /// them), so memory follows what the reports show, not every exchange of the run.
    pub results: RunResults,
    /// The first error writing the stream, said once.
    pub stream_error: Option<String>,
    progress: Option<(String, ProgressBar)>,
    /// Console lines not said yet: said together once the events at hand are taken (`flush`).
    unsaid: String,
}

impl<'a> Consumers<'a> {
    pub fn new(
        console: Console,
        say: &'a dyn Fn(&str),
        stream: StreamWriter,
        results: RunResults,
    ) -> Self {
        Self {
            console,
            say,
            stream,
            results,
            stream_error: None,
            progress: None,
            unsaid: String::new(),
        }
    }

    /// Writes the stream lines of the events taken so far, then says their console lines,
    /// each in one write.
    pub fn flush(&mut self) {
        if let Err(e) = self.stream.flush() {
            self.stream_failed(&e);
        }
        if !self.unsaid.is_empty() {
            (self.say)(&self.unsaid);
            self.unsaid.clear();
        }
    }

    pub fn on(&mut self, event: Event) {
        match event {
            Event::LoadProgress { case, done, total } => self.progress(case, done, total),
            Event::CaseFinished(case) => self.finished(*case),
            Event::RunStarted { .. }
            | Event::CaseStarted { .. }
            | Event::StepFinished { .. }
            | Event::RunFinished => {}
        }
    }

    fn finished(&mut self, case: CaseResult) {
        if let Some((id, bar)) = &self.progress
            && *id == case.id
        {
            bar.finish_and_clear();
            self.progress = None;
        }
        self.unsaid.push_str(&self.console.case(&case));
        if let Err(e) = self.stream.case(&case) {
            self.stream_failed(&e);
        }
        self.results.cases.push(slim(case));
    }

    /// Said once: the run goes on, and its other files are written at the end.
    fn stream_failed(&mut self, e: &std::io::Error) {
        if self.stream_error.is_none() {
            crate::complain!("error: cannot write the results stream: {e}");
            self.stream_error = Some(e.to_string());
        }
    }

    /// Drawn for a person at a terminal only; CI logs stay clean.
    fn progress(&mut self, case: String, done: u64, total: Option<u64>) {
        self.flush();
        if !std::io::stderr().is_terminal() || std::env::var_os("NO_COLOR").is_some() {
            return;
        }
        let bar = match &self.progress {
            Some((id, bar)) if *id == case => bar.clone(),
            _ => {
                let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
                if let Ok(style) =
                    ProgressStyle::with_template("  load {bar:30} {pos}/{len} requests, {per_sec}")
                {
                    bar.set_style(style);
                }
                self.progress = Some((case, bar.clone()));
                bar
            }
        };
        bar.set_position(done);
    }
}

/// A passing case keeps what the reports and JUnit show of it; the rest is in the stream.
fn slim(mut case: CaseResult) -> CaseResult {
    if case.outcome == Outcome::Pass {
        case.steps = Vec::new();
    }
    case
}
