//! The runner: cases concurrently (up to `jobs`), steps in order within a case. It emits events
//! (`events`) as it goes; nothing here formats output.

mod await_step;
mod case;
mod events;
mod invariants;
mod load_step;
mod outgoing;
mod plan;
mod portal_step;
mod record;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};

pub use case::{RunContext, skeleton};
pub use events::{Event, Events};
pub use invariants::{LiveInvariant, prepare as prepare_invariants};
pub use outgoing::RequestDefaults;
pub use plan::{CaseRef, plan};

use crate::check::Outcome;
use crate::suite::Suite;
use crate::text;

/// Starts the run: events arrive on `ctx.events`, `RunFinished` last. Aborting the handle
/// aborts every case still running.
pub fn start(
    suite: Arc<Suite>,
    ctx: Arc<RunContext>,
    cases: Vec<CaseRef>,
    jobs: usize,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let events = ctx.events.clone();
        events.send(Event::RunStarted { cases: cases.len() });
        let jobs = jobs.max(1);
        let permits = Arc::new(Semaphore::new(jobs));
        let mut set = JoinSet::new();
        let mut by_task = HashMap::new();
        let mut queue = cases.into_iter().peekable();
        // A case is spawned once it has its slot, in plan order, so memory follows `jobs`,
        // not the size of the suite; finished cases are reported as they finish.
        loop {
            // A case that runs alone takes every slot.
            let slots = queue.peek().map(|r| if r.alone { jobs } else { 1 });
            tokio::select! {
                biased;
                Some(joined) = set.join_next_with_id() => {
                    let result = match joined {
                        Ok((id, result)) => {
                            by_task.remove(&id);
                            result
                        }
                        // A bug in the harness must not lose the other cases' results.
                        Err(e) => match by_task.remove(&e.id()) {
                            Some(case_ref) => crashed(&suite, &case_ref, &e),
                            None => continue,
                        },
                    };
                    events.send(Event::CaseFinished(Box::new(result)));
                }
                permit = permits.clone().acquire_many_owned(slots.unwrap_or(1) as u32),
                    if slots.is_some() =>
                {
                    let (Ok(permit), Some(case_ref)) = (permit, queue.next()) else {
                        break;
                    };
                    let (suite, ctx) = (suite.clone(), ctx.clone());
                    let task = set.spawn(async move {
                        let _permit = permit;
                        let (file, case) = case_ref.get(&suite);
                        ctx.events.send(Event::CaseStarted {
                            id: case.value.id.value.clone(),
                        });
                        case::run_case(ctx.clone(), &suite.meta.case_vars, file, case).await
                    });
                    by_task.insert(task.id(), case_ref);
                }
                else => break,
            }
        }
        events.send(Event::RunFinished);
    })
}

/// The result of a case whose task panicked.
fn crashed(
    suite: &Suite,
    case_ref: &CaseRef,
    e: &tokio::task::JoinError,
) -> crate::results::CaseResult {
    let (file, case) = case_ref.get(suite);
    let mut crashed = skeleton(file, case, Outcome::Error);
    crashed.error = Some(text!(
        "cpc ขัดข้องระหว่างทดสอบกรณีนี้ (ข้อผิดพลาดของ cpc): {}",
        "cpc crashed while running this case (a cpc bug): {}",
        e
    ));
    crashed
}
