//! Runs one case: its steps in order, each request judged by its checks; the first step that
//! does not pass ends the case (later steps depend on what it would have captured).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use serde_saphyr::Spanned;

use super::invariants::Seen;
use super::outgoing::{RequestDefaults, build};
use super::record;
use crate::check::Response;
use crate::check::{self, CheckContext, CheckResult, Outcome, Schemas};
use crate::diagnostic::Place;
use crate::http::Transport;
use crate::i18n::Text;
use crate::portal::PortalLink;
use crate::redact::{MESSAGE_LIMIT, MIN_SECRET_LEN, Redactor, Secrets};
use crate::results::{Arrival, CaseResult, Exchange, LoadSummary, StepResult};
use crate::suite::{
    Case, CaseFile, MAX_WINDOW_MS, OrderedMap, PollSpec, RequestSpec, Scalar, Side, Step, StepKind,
    WaitSpec,
};
use crate::template::{Template, finished_at_key, json_uses_secret, render_json};
use crate::text;
use crate::vars::Vars;

/// What every case of a run shares.
pub struct RunContext {
    /// Every secret the run has met; cases add theirs as they meet them.
    pub secrets: Secrets,
    pub transport: Transport,
    /// The mock portal the agency calls, for `await` and `portal` steps.
    pub portal: Option<PortalLink>,
    pub schemas: Schemas,
    /// Prefixes for XPath checks (`xml_namespaces` in suite.yaml).
    pub namespaces: Vec<(String, String)>,
    /// Checks on every matching exchange.
    pub invariants: Vec<super::invariants::LiveInvariant>,
    /// The agency's API description and its compiled schemas, when the suite has one.
    pub api: Option<Arc<crate::openapi::ApiDoc>>,
    /// Where the runner says what happens.
    pub events: super::Events,
    pub defaults: RequestDefaults,
    pub vars: Vars,
}

impl RunContext {
    /// Masks with the run's secrets and this case's.
    pub fn redactor(&self, vars: &Vars) -> Redactor {
        self.secrets.redactor().with(vars.secret_values())
    }
}

/// Masks what in a step's result may quote the target: its checks, error, exchange and the
/// load step's error samples. Masking again with the same secrets changes nothing.
fn mask_step(step: &mut StepResult, redactor: &Redactor) {
    step.checks.iter_mut().for_each(|c| redactor.check(c));
    if let Some(load) = &mut step.load {
        for sample in &mut load.error_samples {
            *sample = redactor.cut(sample, MESSAGE_LIMIT);
        }
    }
    step.error = step.error.take().map(|e| redact_text(&e, redactor));
    step.exchange = step.exchange.take().map(|x| record::remask(x, redactor));
    for arrival in &mut step.arrivals {
        arrival.path = redactor.cut(&arrival.path, MESSAGE_LIMIT);
        arrival.exchange = arrival.exchange.take().map(|x| record::remask(x, redactor));
    }
}

fn redact_text(text: &Text, redactor: &Redactor) -> Text {
    Text::new(
        redactor.cut(&text.th, MESSAGE_LIMIT),
        redactor.cut(&text.en, MESSAGE_LIMIT),
    )
}

/// A case's result before any step has run (used for crashed and interrupted cases too).
pub fn skeleton(file: &CaseFile, case: &Spanned<Case>, outcome: Outcome) -> CaseResult {
    let c = &case.value;
    CaseResult {
        id: c.id.value.clone(),
        title_th: c.title_th.clone(),
        title_en: c.title_en.clone(),
        requirements: c.requirements.iter().map(|r| r.value.clone()).collect(),
        tags: c.tags.clone(),
        place: Place::of(&file.path, &c.id.referenced),
        outcome,
        duration_ms: 0,
        error: None,
        steps: Vec::new(),
        invariants: BTreeMap::new(),
        api_calls: BTreeMap::new(),
        generated: c.generated.clone(),
        actor: c.actor.as_ref().map(|a| a.value.clone()),
        attempts: Vec::new(),
    }
}

pub async fn run_case(
    ctx: Arc<RunContext>,
    case_vars: &OrderedMap<Spanned<String>, Spanned<Value>>,
    file: &CaseFile,
    case: &Spanned<Case>,
) -> CaseResult {
    let started = Instant::now();
    let mut result = skeleton(file, case, Outcome::Pass);
    let mut vars = ctx.vars.clone();
    for (name, value) in case_vars.iter().chain(case.value.vars.iter()) {
        match render_json(&value.value, &vars) {
            // A value computed from a secret (`{{ token | base64 }}`) is one too.
            Ok(v) => {
                let secret = json_uses_secret(&value.value, &vars);
                vars.set(&name.value, v, secret)
            }
            Err(e) => {
                result.outcome = Outcome::Error;
                result.error = Some(text!("ตัวแปร {}: {}", "variable {}: {}", name.value, e));
                return result;
            }
        }
    }
    // The case's window on the portal's journal opens before its first step.
    let awaits = case.value.steps.iter().any(|s| s.value.await_.is_some());
    let since = match (&ctx.portal, awaits) {
        (Some(portal), true) => match portal.next_seq().await {
            Ok(seq) => seq,
            Err(e) => {
                result.outcome = Outcome::Error;
                result.error = Some(text!(
                    "อ่านบันทึกของ Portal จำลองไม่ได้: {}",
                    "cannot read the mock portal's journal: {}",
                    e
                ));
                return result;
            }
        },
        _ => 0,
    };
    let mut scope = CaseScope {
        since,
        overrides: Vec::new(),
        finished: HashMap::new(),
        tally: Default::default(),
        case: case.value.id.value.clone(),
    };
    let mut stopped = false;
    // The case's secrets each step was masked with.
    let mut masked_with = Vec::new();
    for (i, step) in case.value.steps.iter().enumerate() {
        let step_result = if stopped {
            not_run(file, i, step)
        } else {
            run_step(&ctx, file, i, step, &mut vars, &mut scope).await
        };
        stopped |= step_result.outcome != Outcome::Pass;
        ctx.events.send(super::Event::StepFinished {
            case: result.id.clone(),
            index: step_result.index,
        });
        result.steps.push(step_result);
        masked_with.push(vars.secret_values());
    }
    if let Some(portal) = &ctx.portal {
        for id in &scope.overrides {
            portal.remove_override(id).await;
        }
    }
    // What the case learnt later (a token captured, a credential received) is masked in its
    // earlier steps too: in what the target sent and what quotes it, never in cpc's own text.
    // These values are the target's choice, so they stay out of the run's other outputs: a
    // target sending `Api-Key: "verdict": "fail"` must not be able to mask gate.json's verdict,
    // a case id or the report's ไม่ผ่าน.
    let secrets = vars.secret_values();
    let redactor = ctx.redactor(&vars);
    for (step, seen) in result.steps.iter_mut().zip(&masked_with) {
        if *seen != secrets {
            mask_step(step, &redactor);
        }
    }
    result.invariants = scope.tally.invariants;
    result.api_calls = scope.tally.api_calls;
    result.outcome = Outcome::combine(
        result
            .steps
            .iter()
            .map(|s| s.outcome)
            .filter(|o| *o != Outcome::NotRun),
    );
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

fn kind_name(step: &Step) -> &'static str {
    step.kind().map_or("step", |k| k.name())
}

/// The file a step is written in: its case's, or its fragment's.
pub(super) fn step_file<'a>(file: &'a CaseFile, step: &'a Step) -> &'a std::path::Path {
    step.origin.as_deref().map_or(&file.path, |p| p.as_path())
}

fn not_run(file: &CaseFile, i: usize, step: &Spanned<Step>) -> StepResult {
    StepResult {
        index: i + 1,
        kind: kind_name(&step.value).into(),
        name: step.value.name.clone(),
        place: Place::of(step_file(file, &step.value), &step.referenced),
        outcome: Outcome::NotRun,
        duration_ms: 0,
        attempts: 0,
        error: None,
        checks: Vec::new(),
        exchange: None,
        load: None,
        delay_ms: None,
        arrivals: Vec::new(),
        arrivals_not_kept: 0,
    }
}

/// One request sent (or received) and judged.
#[derive(Default)]
pub(super) struct Attempt {
    pub outcome: Outcome,
    pub checks: Vec<CheckResult>,
    pub error: Option<Text>,
    pub exchange: Option<Exchange>,
    pub load: Option<LoadSummary>,
    /// An await's measured delay.
    pub delay_ms: Option<u64>,
    /// An await's matching requests, and how many more it did not keep.
    pub arrivals: (Vec<Arrival>, u64),
}

impl Attempt {
    pub fn error(error: Text, exchange: Option<Exchange>) -> Self {
        Self {
            outcome: Outcome::Error,
            error: Some(error),
            exchange,
            ..Self::default()
        }
    }
}

/// What a case keeps between its steps besides variables.
pub(super) struct CaseScope {
    /// Journal entries from here on belong to this case's window.
    pub since: u64,
    /// Portal overrides this case added; removed when it ends.
    pub overrides: Vec<String>,
    /// Each named step's first journal sequence number (what the portal received from its
    /// start on) and when it finished: `since: name` opens a window there.
    pub finished: HashMap<String, (u64, Moment)>,
    /// What the invariants judged in this case, and the operations it reached.
    pub tally: super::invariants::Tally,
    /// The case's id, for events.
    pub case: String,
}

/// A point in time, on the monotonic clock (for waiting) and the wall clock (to compare with
/// the portal's journal).
#[derive(Clone, Copy, Debug)]
pub(super) struct Moment {
    pub instant: Instant,
    pub unix_ms: u64,
}

impl Moment {
    pub fn now() -> Self {
        Self {
            instant: Instant::now(),
            unix_ms: crate::clock::unix_ms(),
        }
    }
}

impl CaseScope {
    /// The first journal sequence number of the step a `since:` names, and when it finished
    /// (validate makes sure the step comes earlier).
    fn since(&self, name: Option<&Spanned<String>>) -> Result<Option<(u64, Moment)>, Text> {
        match name {
            None => Ok(None),
            Some(name) => self
                .finished
                .get(&name.value)
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    text!(
                        "ขั้นตอน {} ยังไม่เสร็จ จึงเริ่มนับเวลาจากขั้นตอนนั้นไม่ได้",
                        "step `{}` has not finished, so no window can start there",
                        name.value
                    )
                }),
        }
    }
}

async fn run_step(
    ctx: &Arc<RunContext>,
    file: &CaseFile,
    i: usize,
    step: &Spanned<Step>,
    vars: &mut Vars,
    scope: &mut CaseScope,
) -> StepResult {
    let started = Instant::now();
    let s = &step.value;
    // What the portal receives from here on is this step's doing (or later): counted by the
    // journal's own sequence, not by two clocks that may differ (a remote portal's).
    let first_seq = match (&s.name, &ctx.portal) {
        (Some(_), Some(portal)) => portal.next_seq().await.unwrap_or(scope.since),
        _ => scope.since,
    };
    let mut result = not_run(file, i, step);
    let (attempt, attempts) = match s.kind() {
        Some(StepKind::Request(r)) => (
            attempt(ctx, file, &r.value, s, vars, &mut scope.tally).await,
            1,
        ),
        Some(StepKind::Poll(p)) => match scope.since(p.value.since.as_ref()) {
            Ok(since) => {
                let since = since.map(|(_, finished)| finished);
                poll(ctx, file, &p.value, s, vars, since, &mut scope.tally).await
            }
            Err(e) => (Attempt::error(e, None), 0),
        },
        Some(StepKind::Await(a)) => match scope.since(a.value.since.as_ref()) {
            Ok(since) => {
                let attempt = super::await_step::run(
                    ctx,
                    file,
                    &a.value,
                    s,
                    vars,
                    (scope.since, since),
                    &mut scope.tally,
                )
                .await;
                let received = u32::from(attempt.exchange.is_some());
                (attempt, received)
            }
            Err(e) => (Attempt::error(e, None), 0),
        },
        Some(StepKind::Load(l)) => {
            let attempt = super::load_step::run(ctx, &l.value, s, vars, &scope.case).await;
            let sent = attempt.load.as_ref().map_or(0, |l| l.requests as u32);
            (attempt, sent)
        }
        Some(StepKind::Portal(p)) => (super::portal_step::run(ctx, &p.value, vars, scope).await, 0),
        Some(StepKind::Follow(f)) => {
            let (attempt, pages) =
                super::follow_step::run(ctx, file, &f.value, s, vars, &mut scope.tally).await;
            (attempt, pages)
        }
        Some(StepKind::Wait(w)) => (wait(&w.value, vars).await, 0),
        Some(StepKind::Use(_)) => (with_params(s, vars), 0),
        None => (
            Attempt::error(text!("ขั้นตอนไม่ระบุชนิด", "the step has no kind"), None),
            0,
        ),
    };
    result.outcome = attempt.outcome;
    result.checks = attempt.checks;
    result.error = attempt.error;
    result.exchange = attempt.exchange;
    result.load = attempt.load;
    (result.arrivals, result.arrivals_not_kept) = attempt.arrivals;
    // Everything the step says may quote the target: masked here with every secret the case
    // knows by now, then cut.
    mask_step(&mut result, &ctx.redactor(vars));
    result.attempts = attempts;
    result.delay_ms = attempt.delay_ms;
    result.duration_ms = started.elapsed().as_millis() as u64;
    // `since: name` and `finished_at('name')` count from here.
    if let Some(name) = &s.name {
        let now = Moment::now();
        scope.finished.insert(name.clone(), (first_seq, now));
        vars.set(
            &finished_at_key(name),
            crate::clock::rfc3339_ms(now.unix_ms).into(),
            false,
        );
    }
    result
}

/// A plain wait, its duration templated (from a captured `Retry-After`, say) and bounded.
async fn wait(spec: &WaitSpec, vars: &Vars) -> Attempt {
    let (scalar, scale) = match (&spec.ms, &spec.seconds) {
        (Some(ms), _) => (&ms.value, 1.0),
        (None, Some(s)) => (&s.value, 1000.0),
        (None, None) => {
            return Attempt::error(
                text!("ขั้นตอน wait ไม่ระบุเวลา", "the wait gives no time"),
                None,
            );
        }
    };
    let number = match scalar {
        Scalar::Number(n) => Ok(*n),
        Scalar::Text(t) => Template::parse(t)
            .and_then(|t| t.render_string(vars))
            .map_err(|e| e.to_string())
            .and_then(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{v}` is not a number"))
            }),
    };
    let ms = match number.map(|n| n * scale) {
        Ok(ms) if (0.0..=MAX_WINDOW_MS as f64).contains(&ms) => ms as u64,
        Ok(ms) => {
            return Attempt::error(
                text!(
                    "เวลารอ {} ms อยู่นอกช่วง 0 ถึง {} ms",
                    "a wait of {} ms is outside 0 to {} ms",
                    ms,
                    MAX_WINDOW_MS
                ),
                None,
            );
        }
        Err(e) => {
            return Attempt::error(
                text!("เวลารอใช้ไม่ได้: {}", "the wait cannot be built: {}", e),
                None,
            );
        }
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Attempt::default()
}

/// A `use` step: the fragment's parameters become variables for its steps. A value that
/// holds a secret stays secret.
fn with_params(step: &Step, vars: &mut Vars) -> Attempt {
    let secrets = vars.secret_values();
    for (name, template) in step.with.iter() {
        match render_json(&template.value, vars) {
            Ok(value) => {
                let text = crate::vars::value_text(&value);
                let secret = json_uses_secret(&template.value, vars)
                    || secrets
                        .iter()
                        .any(|s| !s.is_empty() && text.contains(s.as_str()));
                vars.set(&name.value, value, secret);
            }
            Err(e) => {
                return Attempt::error(
                    text!("พารามิเตอร์ {}: {}", "parameter {}: {}", name.value, e),
                    None,
                );
            }
        }
    }
    Attempt::default()
}

/// Repeats the request until its checks pass or `within_ms` passes (from `since`, when given);
/// the last attempt speaks.
async fn poll(
    ctx: &RunContext,
    file: &CaseFile,
    p: &PollSpec,
    step: &Step,
    vars: &mut Vars,
    since: Option<Moment>,
    tally: &mut super::invariants::Tally,
) -> (Attempt, u32) {
    let start = since.map_or_else(Instant::now, |m| m.instant);
    let deadline = start + Duration::from_millis(p.within_ms);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let violated_before: u64 = tally.invariants.values().map(|t| t.violated).sum();
        let last = attempt(ctx, file, &p.request.value, step, vars, tally).await;
        let next = Instant::now() + Duration::from_millis(p.interval_ms);
        // An attempt that broke an invariant ends the poll: that answer was wrong whatever
        // comes later.
        let violated = tally.invariants.values().map(|t| t.violated).sum::<u64>() > violated_before;
        if last.outcome == Outcome::Pass || violated || next > deadline {
            return (last, attempts);
        }
        tokio::time::sleep_until(next.into()).await;
    }
}

async fn attempt(
    ctx: &RunContext,
    file: &CaseFile,
    spec: &RequestSpec,
    step: &Step,
    vars: &mut Vars,
    tally: &mut super::invariants::Tally,
) -> Attempt {
    exchange(ctx, file, spec, step, vars, tally).await.0
}

/// Sends a request and judges its answer; the answer too, and the URL it came from, when
/// there is one.
pub(super) async fn exchange(
    ctx: &RunContext,
    file: &CaseFile,
    spec: &RequestSpec,
    step: &Step,
    vars: &mut Vars,
    tally: &mut super::invariants::Tally,
) -> (Attempt, Option<(Response, reqwest::Url)>) {
    let error = |e, x| (Attempt::error(e, x), None);
    let (out, timeout) = match build(spec, &ctx.defaults, vars) {
        Ok(built) => built,
        Err(e) => return error(e, None),
    };
    // What the request carries as credentials is a secret from now on, should the target
    // echo it back.
    vars.add_secret_values(record::credentials(&out.headers, &out.url));
    let response = match ctx.transport.send(&out, timeout).await {
        Ok(r) => r,
        Err(e) => {
            let request = record::request(&out, &ctx.redactor(vars));
            return error(
                transport_message(&e),
                Some(Exchange {
                    request,
                    response: None,
                }),
            );
        }
    };
    // So are the credentials the answer carries (a `Set-Cookie`, a `Token` header).
    vars.add_secret_values(record::credentials(&response.headers, &out.url));
    let (outcome, mut checks) = judge(ctx, file, step, &response, vars);
    let seen = Seen {
        side: Side::Agency,
        method: out.method.as_str(),
        path: super::outgoing::suite_path(&out.url, &ctx.defaults.target),
        response: &response,
    };
    checks.extend(super::invariants::judge(ctx, &seen, tally));
    let outcome =
        Outcome::combine(std::iter::once(outcome).chain(checks.iter().map(|c| c.outcome)));
    // Mask with what the case knows now, including secrets captured by this step.
    let redactor = ctx.redactor(vars);
    let exchange = Exchange {
        request: record::request(&out, &redactor),
        response: Some(record::response(&response, &redactor)),
    };
    let attempt = Attempt {
        outcome,
        checks,
        exchange: Some(exchange),
        ..Attempt::default()
    };
    (attempt, Some((response, out.url)))
}

/// Checks a response against the step's `expect` and, when they pass, takes its captures.
/// (The step's results are masked where the step ends, with every secret known by then.)
pub(super) fn judge(
    ctx: &RunContext,
    file: &CaseFile,
    step: &Step,
    response: &Response,
    vars: &mut Vars,
) -> (Outcome, Vec<CheckResult>) {
    let check_ctx = CheckContext {
        file: step_file(file, step),
        vars,
        schemas: &ctx.schemas,
        namespaces: &ctx.namespaces,
    };
    let mut checks = check::evaluate(&step.expect, response, &check_ctx);
    let mut outcome = Outcome::combine(checks.iter().map(|c| c.outcome));
    if outcome == Outcome::Pass && !step.capture.is_empty() {
        let json = response.json().ok();
        let json = json.as_deref();
        for (name, capture) in step.capture.iter() {
            let taken = check::capture(&capture.value, response, json, &ctx.namespaces)
                .and_then(|value| {
                let length = crate::vars::value_text(&value).chars().count();
                if capture.value.is_secret() && length < MIN_SECRET_LEN {
                    Err(text!(
                        "ค่าความลับที่ได้มายาวเพียง {} ตัวอักษร สั้นเกินกว่าจะปิดบังได้อย่างปลอดภัย (อย่างน้อย {})",
                        "the captured secret is {} characters long, too short to keep out of the outputs (at least {})",
                        length,
                        MIN_SECRET_LEN
                    ))
                } else {
                    Ok(value)
                }
            });
            match taken {
                Ok(value) => vars.set(&name.value, value, capture.value.is_secret()),
                Err(message) => {
                    outcome = Outcome::Error;
                    checks.push(
                        CheckResult::new(
                            format!("capture {}", name.value),
                            Outcome::Error,
                            message,
                        )
                        .at(Place::of(step_file(file, step), &capture.referenced)),
                    );
                }
            }
        }
    }
    (outcome, checks)
}

fn transport_message(e: &crate::http::TransportError) -> Text {
    use crate::http::TransportError::*;
    match e {
        Timeout(ms) => text!(
            "ไม่ได้รับคำตอบครบภายใน {} ms",
            "no complete response within {} ms",
            ms
        ),
        Connect(d) => text!(
            "เชื่อมต่อระบบที่ทดสอบไม่ได้: {}",
            "cannot connect to the target: {}",
            d
        ),
        TooLarge(cap) => text!(
            "body ของคำตอบใหญ่เกินเพดาน {} ไบต์",
            "the response body exceeds the {}-byte cap",
            cap
        ),
        Tls(words) => text!("เชื่อมต่อแบบ TLS ไม่ได้: {}", "{}", words),
        Other(d) => text!("การรับส่ง HTTP ผิดพลาด: {}", "HTTP exchange failed: {}", d),
    }
}
