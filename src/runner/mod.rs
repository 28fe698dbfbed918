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
        let permits = Arc::new(Semaphore::new(jobs.max(1)));
        let mut set = JoinSet::new();
        let mut by_task = HashMap::new();
        for case_ref in cases {
            let (suite, ctx, permits) = (suite.clone(), ctx.clone(), permits.clone());
            let task = set.spawn(async move {
                // A case that runs alone takes every slot.
                let slots = if case_ref.alone { jobs.max(1) } else { 1 };
                let _permit = permits.acquire_many_owned(slots as u32).await;
                let (file, case) = case_ref.get(&suite);
                ctx.events.send(Event::CaseStarted {
                    id: case.value.id.value.clone(),
                });
                case::run_case(ctx.clone(), &suite.meta.case_vars, file, case).await
            });
            by_task.insert(task.id(), case_ref);
        }
        while let Some(joined) = set.join_next_with_id().await {
            let result = match joined {
                Ok((_, result)) => result,
                // A bug in the harness must not lose the other cases' results.
                Err(e) => {
                    let Some(case_ref) = by_task.get(&e.id()) else {
                        continue;
                    };
                    let (file, case) = case_ref.get(&suite);
                    let mut crashed = skeleton(file, case, Outcome::Error);
                    crashed.error = Some(text!(
                        "cpc ขัดข้องระหว่างทดสอบกรณีนี้ (ข้อผิดพลาดของ cpc): {}",
                        "cpc crashed while running this case (a cpc bug): {}",
                        e
                    ));
                    crashed
                }
            };
            events.send(Event::CaseFinished(Box::new(result)));
        }
        events.send(Event::RunFinished);
    })
}
