//! The runner: cases concurrently (up to `jobs`), steps in order within a case. It emits events
//! (`events`) as it goes; nothing here formats output.

mod await_step;
mod body;
mod case;
mod events;
mod follow_step;
mod invariants;
mod load_step;
mod outgoing;
mod plan;
mod portal_step;
mod record;

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use tokio::sync::RwLock;
use tokio::task::{JoinHandle, JoinSet};

pub use case::{RunContext, skeleton};
pub use events::{Event, Events};
pub use follow_step::NEXT;
pub use invariants::{LiveInvariant, prepare as prepare_invariants};
pub use outgoing::RequestDefaults;
pub use plan::{CaseRef, plan};

use crate::check::Outcome;
use crate::results::CaseResult;
use crate::suite::Suite;
use crate::text;

/// Starts the run: events arrive on `ctx.events`, `RunFinished` last. Aborting the handle
/// aborts every case still running.
///
/// `jobs` workers take the cases in plan order, one at a time each, so memory follows `jobs`,
/// not the size of the suite, and a case starts the moment a worker is free. A case that runs
/// alone waits for the others to finish, and the others wait for it. A case that fails or errs
/// runs again, up to `reruns` more times, before it finishes (`--rerun-failed`).
pub fn start(
    suite: Arc<Suite>,
    ctx: Arc<RunContext>,
    cases: Vec<CaseRef>,
    jobs: usize,
    reruns: u32,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let events = ctx.events.clone();
        events.send(Event::RunStarted { cases: cases.len() });
        let jobs = jobs.clamp(1, cases.len().max(1));
        let queue = Arc::new(Mutex::new(cases.into_iter()));
        let alone = Arc::new(RwLock::new(()));
        let mut workers = JoinSet::new();
        for _ in 0..jobs {
            let (suite, ctx, queue, alone) =
                (suite.clone(), ctx.clone(), queue.clone(), alone.clone());
            workers.spawn(async move {
                while let Some(case_ref) = next(&queue) {
                    // Fair: once an alone case waits, later cases wait behind it.
                    let runs = || {
                        run_one(&suite, &ctx, case_ref).then(|first| {
                            first.rerun_failed(reruns, || run_one(&suite, &ctx, case_ref))
                        })
                    };
                    let result = if case_ref.alone {
                        let _all = alone.write().await;
                        runs().await
                    } else {
                        let _shared = alone.read().await;
                        runs().await
                    };
                    ctx.events.send(Event::CaseFinished(Box::new(result)));
                }
            });
        }
        while workers.join_next().await.is_some() {}
        events.send(Event::RunFinished);
    })
}

fn next(queue: &Mutex<std::vec::IntoIter<CaseRef>>) -> Option<CaseRef> {
    queue.lock().unwrap_or_else(|e| e.into_inner()).next()
}

/// One case; a bug of cpc's that panics in it is that case's error, and the run goes on.
async fn run_one(suite: &Suite, ctx: &Arc<RunContext>, case_ref: CaseRef) -> CaseResult {
    let (file, case) = case_ref.get(suite);
    ctx.events.send(Event::CaseStarted {
        id: case.value.id.value.clone(),
    });
    let running = case::run_case(ctx.clone(), &suite.meta.case_vars, file, case);
    match AssertUnwindSafe(running).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let mut crashed = skeleton(file, case, Outcome::Error);
            crashed.error = Some(text!(
                "cpc ขัดข้องระหว่างทดสอบกรณีนี้ (ข้อผิดพลาดของ cpc): {}",
                "cpc crashed while running this case (a cpc bug): {}",
                why
            ));
            crashed
        }
    }
}
