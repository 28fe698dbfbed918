//! The `load` step: `users` virtual users send one templated request (fresh values each time)
//! until `requests` are done or `duration_ms` passes. Every latency goes into an HDR histogram;
//! every failure is counted; the step's checks judge the percentiles, error rate and throughput.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::Event;
use super::case::{Attempt, RunContext};
use super::outgoing::build;
use super::record;
use crate::check::{CheckResult, Outcome};
use crate::i18n::Text;
use crate::results::{Exchange, Latency, LoadSummary};
use crate::suite::{Expect, LoadSpec, RequestSpec, StatusSpec, Step};
use crate::template::{Expr, Template, json_templates};
use crate::text;
use crate::vars::Vars;

/// Latencies are kept in microseconds, up to an hour, to 3 significant figures.
const HIGHEST_US: u64 = 3_600_000_000;
const ERROR_SAMPLES: usize = 5;

/// What one virtual user saw.
struct Tally {
    /// Requests sent (answered or not).
    sent: u64,
    /// Of successful answers only.
    latencies: Histogram<u64>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
    errors: u64,
    samples: Vec<String>,
    first: Option<Exchange>,
}

impl Tally {
    fn new() -> Option<Self> {
        Some(Self {
            sent: 0,
            latencies: Histogram::new_with_bounds(1, HIGHEST_US, 3).ok()?,
            statuses: BTreeMap::new(),
            transport_errors: 0,
            errors: 0,
            samples: Vec::new(),
            first: None,
        })
    }

    fn failure(&mut self, message: String) {
        self.errors += 1;
        if self.samples.len() < ERROR_SAMPLES {
            self.samples.push(message);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.sent += other.sent;
        let _ = self.latencies.add(&other.latencies);
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.transport_errors += other.transport_errors;
        self.errors += other.errors;
        for s in other.samples {
            if self.samples.len() < ERROR_SAMPLES {
                self.samples.push(s);
            }
        }
        self.first = self.first.take().or(other.first);
    }
}

/// The next request number for a user, or `None` when the load is done.
struct Quota {
    taken: AtomicU64,
    requests: Option<u64>,
    until: Option<Instant>,
    /// A paced rate: the next request's slot, and the interval between slots.
    next: std::sync::Mutex<Instant>,
    interval: Option<Duration>,
}

impl Quota {
    fn take(&self) -> Option<u64> {
        if self.until.is_some_and(|t| Instant::now() >= t) {
            return None;
        }
        let n = self.taken.fetch_add(1, Ordering::Relaxed);
        self.requests.is_none_or(|max| n < max).then_some(n)
    }

    /// Waits until the next request is due (at once, unpaced); false when it would be due after
    /// the load's end. Slots are handed out one interval apart, and never before now: a target
    /// slower than the pace does not get the requests it fell behind on in a burst.
    async fn due(&self) -> bool {
        let Some(interval) = self.interval else {
            return true;
        };
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        if self.until.is_some_and(|end| slot >= end) {
            return false;
        }
        tokio::time::sleep_until(slot.into()).await;
        true
    }
}

/// How often a load step says how far it got.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

pub(super) async fn run(
    ctx: &Arc<RunContext>,
    spec: &LoadSpec,
    step: &Step,
    vars: &Vars,
    case: &str,
) -> Attempt {
    // Validate refused a rate that does not read.
    let per_second = spec
        .rate
        .as_ref()
        .and_then(|r| crate::suite::rate_per_second(&r.value).ok());
    let quota = Arc::new(Quota {
        taken: AtomicU64::new(0),
        requests: spec.requests,
        until: spec
            .duration_ms
            .map(|ms| Instant::now() + Duration::from_millis(ms)),
        next: std::sync::Mutex::new(Instant::now()),
        interval: per_second.map(|r| Duration::from_secs_f64(1.0 / r)),
    });
    let accept = step.expect.status.as_ref().map(|s| s.value.clone());
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut users = tokio::task::JoinSet::new();
    for _ in 0..spec.users.max(1) {
        let (ctx, quota, accept, done) = (ctx.clone(), quota.clone(), accept.clone(), done.clone());
        // Each user renders its own requests: the spec and variables are shared read-only.
        let spec = Arc::new(LoadRequest::from(spec, vars));
        users.spawn(async move { user(&ctx, &spec, &quota, accept.as_ref(), &done).await });
    }
    // Progress, for whoever draws it: the runner only says how far it got.
    let reporter = {
        let (events, done, case, total) = (
            ctx.events.clone(),
            done.clone(),
            case.to_string(),
            spec.requests,
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROGRESS_EVERY);
            loop {
                tick.tick().await;
                events.send(Event::LoadProgress {
                    case: case.clone(),
                    done: done.load(Ordering::Relaxed),
                    total,
                });
            }
        })
    };
    let mut tally = match Tally::new() {
        Some(t) => t,
        None => {
            return Attempt::error(
                text!("สร้าง histogram ไม่ได้", "cannot create the histogram"),
                None,
            );
        }
    };
    while let Some(joined) = users.join_next().await {
        match joined {
            Ok(Some(t)) => tally.merge(t),
            Ok(None) => {}
            Err(e) => {
                tally.sent += 1;
                tally.failure(format!("a virtual user crashed: {e}"));
            }
        }
    }
    reporter.abort();
    let elapsed = started.elapsed();
    let summary = summarise(&tally, spec.users, elapsed);
    let checks = judge(&step.expect, &summary);
    Attempt {
        outcome: Outcome::combine(checks.iter().map(|c| c.outcome)),
        checks,
        exchange: tally.first,
        load: Some(summary),
        ..Attempt::default()
    }
}

/// The request and the variables a user renders it with (owned, so users can run on every
/// core).
struct LoadRequest {
    spec: RequestSpec,
    /// Renders the same every time: no fresh variables and no function calls.
    is_static: bool,
    fresh: Vec<(String, String)>,
    vars: Vars,
}

impl LoadRequest {
    fn from(spec: &LoadSpec, vars: &Vars) -> Self {
        Self {
            is_static: spec.fresh.is_empty() && !calls_functions(&spec.request.value),
            spec: spec.request.value.clone(),
            fresh: spec
                .fresh
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone()))
                .collect(),
            vars: vars.clone(),
        }
    }

    /// This request's variables: the case's, plus fresh values.
    fn vars(&self) -> Result<Vars, Text> {
        let mut vars = self.vars.clone();
        for (name, template) in &self.fresh {
            let value = Template::parse(template)
                .and_then(|t| t.render_value(&vars))
                .map_err(|e| text!("ตัวแปร {}: {}", "variable {}: {}", name, e))?;
            vars.set(name, value, false);
        }
        Ok(vars)
    }
}

/// One virtual user: requests until the quota is used up.
async fn user(
    ctx: &RunContext,
    load: &LoadRequest,
    quota: &Quota,
    accept: Option<&StatusSpec>,
    done: &AtomicU64,
) -> Option<Tally> {
    let mut tally = Tally::new()?;
    // Each user keeps its own connection: no pool to share and lock.
    let mut own = ctx.transport.link();
    // A request that renders the same every time is built once.
    let render = || {
        load.vars()
            .and_then(|vars| build(&load.spec, &ctx.defaults, &vars).map(|(o, t)| (o, t, vars)))
    };
    let fixed = if load.is_static { render().ok() } else { None };
    while quota.take().is_some() {
        if !quota.due().await {
            break;
        }
        let dynamic;
        let (out, timeout, vars) = match &fixed {
            Some((o, t, v)) => (o, *t, v),
            None => match render() {
                Ok(built) => {
                    dynamic = built;
                    (&dynamic.0, dynamic.1, &dynamic.2)
                }
                Err(e) => {
                    tally.failure(e.en);
                    done.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            },
        };
        // Headers and body are read (the connection is reused) but kept only for the first
        // exchange, which the results show.
        let keep = tally.first.is_none();
        let sent = Instant::now();
        let result = own.send(out, timeout, keep).await;
        let micros = sent.elapsed().as_micros().clamp(1, u128::from(HIGHEST_US)) as u64;
        tally.sent += 1;
        match &result {
            Ok(response) => {
                *tally.statuses.entry(response.status).or_default() += 1;
                let ok = accept.map_or(response.status / 100 == 2, |s| s.accepts(response.status));
                // Percentiles are of successful answers: a reset or an error page is fast and
                // would flatter them.
                if ok {
                    tally.latencies.saturating_record(micros);
                } else {
                    tally.failure(format!(
                        "{} {} → {}",
                        out.method,
                        out.url.path(),
                        response.status
                    ));
                }
            }
            Err(e) => {
                tally.transport_errors += 1;
                tally.failure(format!("{} {}: {e}", out.method, out.url.path()));
            }
        }
        if keep {
            let redactor = ctx.redactor(vars);
            tally.first = Some(Exchange {
                request: record::request(out, &redactor),
                response: result.as_ref().ok().map(|r| record::response(r, &redactor)),
            });
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    Some(tally)
}

fn ms(micros: u64) -> f64 {
    (micros as f64 / 1000.0 * 1000.0).round() / 1000.0
}

fn summarise(tally: &Tally, users: usize, elapsed: Duration) -> LoadSummary {
    let h = &tally.latencies;
    let requests = tally.sent;
    let successes = h.len();
    let q = |quantile: f64| {
        if successes == 0 {
            0.0
        } else {
            ms(h.value_at_quantile(quantile))
        }
    };
    let seconds = elapsed.as_secs_f64().max(f64::EPSILON);
    LoadSummary {
        users,
        requests,
        successes,
        errors: tally.errors,
        error_rate: if requests == 0 {
            0.0
        } else {
            tally.errors as f64 / requests as f64
        },
        duration_ms: elapsed.as_millis() as u64,
        // Successful answers per second: fast failures are not throughput.
        throughput_rps: (successes as f64 / seconds * 10.0).round() / 10.0,
        latency_ms: Latency {
            min: if successes == 0 { 0.0 } else { ms(h.min()) },
            mean: if successes == 0 {
                0.0
            } else {
                (h.mean() / 1000.0 * 1000.0).round() / 1000.0
            },
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            max: if successes == 0 { 0.0 } else { ms(h.max()) },
        },
        outcomes: tally
            .statuses
            .iter()
            .map(|(status, n)| (status.to_string(), *n))
            .chain(
                (tally.transport_errors > 0).then(|| ("error".to_string(), tally.transport_errors)),
            )
            .collect(),
        error_samples: tally.samples.clone(),
    }
}

fn verdict(ok: bool) -> Outcome {
    if ok { Outcome::Pass } else { Outcome::Fail }
}

/// The step's aggregate checks; no request at all fails every one of them, and no successful
/// answer fails every latency check.
fn judge(expect: &Expect, s: &LoadSummary) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    if let Some(latency) = &expect.latency_ms {
        for (name, limit, got) in [
            ("p50", latency.p50, s.latency_ms.p50),
            ("p95", latency.p95, s.latency_ms.p95),
            ("p99", latency.p99, s.latency_ms.p99),
        ] {
            let Some(limit) = limit else { continue };
            checks.push(
                CheckResult::new(
                    format!("latency {name}"),
                    verdict(s.successes > 0 && got <= limit as f64),
                    if s.successes == 0 {
                        text!(
                            "เวลาตอบ {}: ไม่มีคำขอที่สำเร็จให้วัด ({} คำขอ)",
                            "{} response time: no successful answer to measure ({} requests)",
                            name,
                            s.requests
                        )
                    } else {
                        text!(
                            "เวลาตอบ {} ต้องไม่เกิน {} ms ได้ {} ms",
                            "{} response time: expected at most {} ms, got {} ms",
                            name,
                            limit,
                            got
                        )
                    },
                )
                .expected(
                    format!("<= {limit} ms"),
                    if s.successes == 0 {
                        "no successful answer".to_string()
                    } else {
                        format!("{got} ms")
                    },
                ),
            );
        }
    }
    if let Some(rate) = &expect.error_rate {
        let (min, max) = (rate.min.unwrap_or(0.0), rate.max.unwrap_or(1.0));
        let expected = match (rate.min, rate.max) {
            (Some(min), Some(max)) => format!("{min} to {max}"),
            (Some(min), None) => format!(">= {min}"),
            _ => format!("<= {max}"),
        };
        checks.push(
            CheckResult::new(
                "error rate",
                verdict(s.requests > 0 && s.error_rate >= min && s.error_rate <= max),
                text!(
                    "สัดส่วนคำขอที่ผิดพลาด ต้องเป็น {} ได้ {} ({} จาก {} คำขอ)",
                    "error rate: expected {}, got {} ({} of {} requests)",
                    expected,
                    s.error_rate,
                    s.errors,
                    s.requests
                ),
            )
            .expected(expected.clone(), s.error_rate.to_string()),
        );
    }
    for (key, count) in expect.statuses.iter().flat_map(|m| m.iter()) {
        // Validate refused a key that does not read.
        let Ok(which) = crate::suite::counted_status(&key.value) else {
            continue;
        };
        let got: u64 = s
            .outcomes
            .iter()
            .filter(|(status, _)| match (&which, status.parse::<u16>()) {
                (None, _) => status.as_str() == "error",
                (Some(spec), Ok(code)) => spec.accepts(code),
                (Some(_), Err(_)) => false,
            })
            .map(|(_, n)| *n)
            .sum();
        let holds = count.exactly.is_none_or(|n| got == n as u64)
            && count.at_least.is_none_or(|n| got >= n as u64)
            && count.at_most.is_none_or(|n| got <= n as u64);
        let expected = [
            count.exactly.map(|n| format!("exactly {n}")),
            count.at_least.map(|n| format!("at least {n}")),
            count.at_most.map(|n| format!("at most {n}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        checks.push(
            CheckResult::new(
                format!("answers {}", key.value),
                verdict(s.requests > 0 && holds),
                text!(
                    "คำตอบ {} ต้องมี {} ได้ {} (จาก {} คำขอ)",
                    "answers {}: expected {}, got {} (of {} requests)",
                    key.value,
                    expected,
                    got,
                    s.requests
                ),
            )
            .expected(expected.clone(), got.to_string()),
        );
    }
    if let Some(throughput) = &expect.throughput_rps {
        checks.push(
            CheckResult::new(
                "throughput",
                verdict(s.throughput_rps >= throughput.min),
                text!(
                    "ปริมาณงาน ต้องไม่น้อยกว่า {} คำขอ/วินาที ได้ {}",
                    "throughput: expected at least {} requests/s, got {}",
                    throughput.min,
                    s.throughput_rps
                ),
            )
            .expected(
                format!(">= {} req/s", throughput.min),
                format!("{} req/s", s.throughput_rps),
            ),
        );
    }
    if checks.is_empty() {
        // With no aggregate check, every request must have succeeded.
        checks.push(
            CheckResult::new(
                "error rate",
                verdict(s.requests > 0 && s.errors == 0),
                text!(
                    "คำขอผิดพลาด {} จาก {}",
                    "{} of {} requests failed",
                    s.errors,
                    s.requests
                ),
            )
            .expected("0 errors", s.errors.to_string()),
        );
    }
    checks
}

/// Whether any template of the request calls `uuid()`, `now()`, … (fresh each time).
fn calls_functions(spec: &RequestSpec) -> bool {
    let mut texts: Vec<&str> = Vec::new();
    texts.extend(spec.path.iter().map(|p| p.value.as_str()));
    texts.extend(spec.url.iter().map(|u| u.value.as_str()));
    texts.extend(spec.query.iter().map(|(_, v)| v.as_str()));
    texts.extend(spec.headers.iter().filter_map(|(_, v)| v.as_deref()));
    texts.extend(spec.body.iter().map(String::as_str));
    texts.extend(spec.body_base64.iter().map(String::as_str));
    texts.extend(
        spec.form
            .iter()
            .flat_map(|f| f.value.iter())
            .flat_map(|(k, v)| [k.as_str(), v.as_str()]),
    );
    for part in spec.multipart.iter().flat_map(|m| m.value.iter()) {
        let p = &part.value;
        texts.push(&p.name);
        texts.extend(
            [&p.filename, &p.content_type, &p.text, &p.base64]
                .into_iter()
                .flatten()
                .map(String::as_str),
        );
    }
    // A templated body file renders afresh; its text is read at run time.
    let file_text = spec
        .body_file_bytes
        .as_ref()
        .filter(|_| spec.template)
        .map(|b| String::from_utf8_lossy(b).into_owned());
    texts.extend(file_text.as_deref());
    let mut templates: Vec<Template> = texts
        .into_iter()
        .filter_map(|t| Template::parse(t).ok())
        .collect();
    let part_json = spec
        .multipart
        .iter()
        .flat_map(|m| m.value.iter())
        .filter_map(|p| p.value.json.as_deref());
    for json in [&spec.json, &spec.merge_patch]
        .into_iter()
        .flatten()
        .map(|j| &**j)
        .chain(part_json)
    {
        templates.extend(json_templates(&json.value).unwrap_or_default());
    }
    templates
        .iter()
        .any(|t| t.exprs().any(|e| matches!(e, Expr::Call(_) | Expr::Env(_))))
}
