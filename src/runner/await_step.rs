//! The `await` step: wait until the mock portal's journal holds the agency's calls, woken each
//! time the journal grows (never a sleep loop), then judge them.

use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::Value;

use super::case::{Attempt, Moment, RunContext, judge};
use super::invariants::Seen;
use super::record;
use crate::check::{self, CheckResult, Outcome, Response, compact, json_equal};
use crate::http::Outgoing;
use crate::i18n::Text;
use crate::portal::journal::Entry;
use crate::redact::{Redactor, credential_values, is_sensitive_header};
use crate::results::{Arrival, Exchange, MAX_ARRIVAL_EXCHANGES, MAX_ARRIVALS};
use crate::suite::Side;
use crate::suite::{
    AwaitSpec, CaseFile, CountSpec, GapSpec, InboundFilter, OrderSpec, Step, TokenExpectation,
};
use crate::template::Template;
use crate::text;
use crate::vars::Vars;

const DEFAULT_QUIET_MS: u64 = 2000;

/// An inbound filter with its templates rendered.
struct Filter<'a> {
    spec: &'a InboundFilter,
    path: Option<String>,
    path_re: Option<Regex>,
}

impl Filter<'_> {
    fn describe(&self) -> String {
        let path = self
            .path
            .clone()
            .or_else(|| {
                self.spec
                    .path_matches
                    .as_ref()
                    .map(|p| format!("~{}", p.value))
            })
            .unwrap_or_else(|| "*".into());
        format!("{} {path}", self.spec.method.value)
    }

    fn matches(&self, entry: &Entry, vars: &Vars) -> bool {
        let f = self.spec;
        let json: Option<Value> = serde_json::from_slice(&entry.body).ok();
        f.method.value.eq_ignore_ascii_case(&entry.method)
            && self.path.as_ref().is_none_or(|p| *p == entry.path)
            && self
                .path_re
                .as_ref()
                .is_none_or(|re| re.is_match(&entry.path))
            && f.answered
                .as_ref()
                .is_none_or(|s| s.value.accepts(entry.status))
            && f.headers.iter().all(|(name, p)| {
                let value = entry
                    .header(&name.value)
                    .map(|v| Value::String(v.to_string()));
                check::holds(p, &value.iter().collect::<Vec<_>>(), vars)
            })
            && f.body.iter().all(|(path, p)| {
                let (Ok(jp), Some(json)) = (check::jsonpath::parse(&path.value), &json) else {
                    return false;
                };
                check::holds(p, &jp.query(json).all(), vars)
            })
    }
}

fn as_response(entry: &Entry) -> Response {
    Response {
        status: entry.status,
        headers: entry.headers.clone(),
        body: entry.body.clone(),
        elapsed_ms: 0,
        received_ms: entry.received_ms,
        truncated: entry.body_truncated,
        parsed: Default::default(),
    }
}

/// The received request as an exchange: what the agency sent, and the portal's status.
fn exchange(entry: &Entry, portal_uri: &str, redactor: &Redactor) -> Option<Exchange> {
    let url = reqwest::Url::parse(&format!("{portal_uri}{}", entry.path)).ok()?;
    let out = Outgoing {
        method: reqwest::Method::from_bytes(entry.method.as_bytes()).ok()?,
        url,
        headers: entry.headers.clone(),
        body: Some(entry.body.clone()).filter(|b| !b.is_empty()),
    };
    let answer = Response {
        status: entry.status,
        ..Response::default()
    };
    Some(Exchange {
        request: record::request(&out, redactor),
        response: Some(record::response(&answer, redactor)),
    })
}

/// Waits for the requests, judges them. The window is `within_ms` from `window` (a `since:`
/// step's end) or from now; a request that arrived after it does not count, nor one the portal
/// received before the `since:` step started (by the journal's sequence). With `exactly` or
/// `at_most`, extra requests are watched for `quiet_ms` after the count was reached.
pub(super) async fn run(
    ctx: &RunContext,
    file: &CaseFile,
    spec: &AwaitSpec,
    step: &Step,
    vars: &mut Vars,
    (since, window): (u64, Option<(u64, Moment)>),
    tally: &mut super::invariants::Tally,
) -> Attempt {
    let Some(portal) = &ctx.portal else {
        return Attempt::error(
            text!(
                "ขั้นตอน await ต้องใช้ Portal จำลอง",
                "an await step needs the mock portal"
            ),
            None,
        );
    };
    let f = &spec.request.value;
    let render = |t: &str| Template::parse(t).and_then(|t| t.render_string(vars));
    let path = match f.path.as_ref().map(|p| render(&p.value)).transpose() {
        Ok(p) => p,
        Err(e) => {
            return Attempt::error(
                text!("สร้าง path ไม่ได้: {}", "cannot build the path: {}", e),
                None,
            );
        }
    };
    let path_re = f
        .path_matches
        .as_ref()
        .and_then(|p| Regex::new(&format!("^(?:{})$", p.value)).ok());
    let filter = Filter {
        spec: f,
        path,
        path_re,
    };

    let count = spec.count.as_ref().map(|c| &c.value);
    let (need, watch_extra) = match count {
        Some(CountSpec {
            exactly: Some(n), ..
        }) => (*n, true),
        Some(CountSpec {
            at_most: Some(_),
            at_least,
            ..
        }) => (at_least.unwrap_or(0), true),
        Some(CountSpec {
            at_least: Some(n), ..
        }) => (*n, false),
        _ => (1, false),
    };
    let opened = window.map_or_else(Moment::now, |(_, finished)| finished);
    let deadline = opened.instant + Duration::from_millis(spec.within_ms);
    let deadline_ms = opened.unix_ms + spec.within_ms;
    let quiet = Duration::from_millis(spec.quiet_ms.unwrap_or(DEFAULT_QUIET_MS));
    let mut reached: Option<Instant> = None;
    let mut late: usize;
    let mut entries = match portal.since(since).await {
        Ok(entries) => entries,
        Err(e) => return journal_error(e),
    };
    // A window from a `since:` step is strict: what the portal received before that step
    // started is not counted (another step's request), nor judged. What the step itself caused
    // counts, even before its answer came back (an agency that calls the portal first).
    let first_seq = window.map(|(seq, _)| seq);
    let mut early: usize;
    let matched = loop {
        let all: Vec<&Entry> = entries.iter().filter(|e| filter.matches(e, vars)).collect();
        let before = all.len();
        let all: Vec<&Entry> = all
            .into_iter()
            .filter(|e| first_seq.is_none_or(|seq| e.seq >= seq))
            .collect();
        early = before - all.len();
        // Until the count is reached, only what arrived within the window counts; extras
        // watched for after that count whenever they come.
        let in_time = |e: &&Entry| reached.is_some() || e.received_ms <= deadline_ms;
        let matched: Vec<Entry> = all.iter().copied().filter(in_time).cloned().collect();
        late = all.len() - matched.len();
        let sequence_complete = spec
            .sequence
            .as_ref()
            .is_none_or(|s| in_order(&arrivals(&matched, &s.value.path), &s.value.values));
        let now = Instant::now();
        if matched.len() >= need && sequence_complete {
            reached.get_or_insert(now);
        }
        let wake = match reached {
            Some(_) if !watch_extra => break matched,
            Some(at) => at + quiet,
            None => deadline,
        };
        if now >= wake {
            break matched;
        }
        // Woken as soon as the journal grows, or at `wake`.
        let seen = entries.last().map_or(since.saturating_sub(1), |e| e.seq);
        entries = match portal.more(since, seen, wake).await {
            Ok(entries) => entries,
            Err(e) => return journal_error(e),
        };
    };

    let mut checks = vec![count_check(
        &filter,
        count,
        matched.len(),
        spec.within_ms,
        (early, late),
    )];
    checks.extend(across_requests(spec, &matched));
    let (judged, mut shown) = judge_each(ctx, file, step, &matched, vars);
    checks.extend(judged);
    let mut found_wrong = shown.is_some();
    shown = shown.or(matched.first());
    // The agency's calls to the portal are exchanges of this case: the portal-side invariants
    // judge each of them.
    for entry in &matched {
        let seen = Seen {
            side: Side::Portal,
            method: &entry.method,
            path: &entry.path,
            response: &as_response(entry),
        };
        let broken = super::invariants::judge(ctx, &seen, tally);
        if !broken.is_empty() && !found_wrong {
            shown = Some(entry);
            found_wrong = true;
        }
        checks.extend(broken);
    }
    keep_credentials(&matched, vars);
    let redactor = ctx.redactor(vars);
    let first_exchange = shown.and_then(|e| exchange(e, &portal.uri(), &redactor));
    let arrivals = arrivals_kept(&matched, opened.unix_ms, &portal.uri(), &redactor);
    Attempt {
        outcome: Outcome::combine(checks.iter().map(|c| c.outcome)),
        checks,
        exchange: first_exchange,
        delay_ms: matched
            .iter()
            .map(|e| e.received_ms.saturating_sub(opened.unix_ms))
            .min(),
        arrivals,
        ..Attempt::default()
    }
}

/// The expectations hold for every matching request; captures come from the first. Returns the
/// checks to show (the first request's, and those of the first that does not meet them) and
/// that request, if one does not.
fn judge_each<'m>(
    ctx: &RunContext,
    file: &CaseFile,
    step: &Step,
    matched: &'m [Entry],
    vars: &mut Vars,
) -> (Vec<CheckResult>, Option<&'m Entry>) {
    let mut checks = Vec::new();
    for (i, entry) in matched.iter().enumerate() {
        let (outcome, entry_checks) = if i == 0 {
            judge(ctx, file, step, &as_response(entry), vars)
        } else {
            // What the others' checks computed from a secret is kept, to be masked.
            let mut copy = vars.clone();
            let judged = judge(ctx, file, step, &as_response(entry), &mut copy);
            vars.keep_derived(&copy);
            judged
        };
        if i == 0 || outcome != Outcome::Pass {
            checks.extend(entry_checks);
        }
        if outcome != Outcome::Pass {
            return (checks, Some(entry));
        }
    }
    (checks, None)
}

/// The agency's credentials on its calls are secrets too, should they show up elsewhere.
fn keep_credentials(matched: &[Entry], vars: &mut Vars) {
    for entry in matched {
        let pairs = entry.query.iter().map(|(k, v)| (k.clone(), v.clone()));
        let credentials = entry
            .headers
            .iter()
            .cloned()
            .chain(pairs)
            .filter(|(k, _)| is_sensitive_header(k))
            .flat_map(|(_, v)| credential_values(&v));
        vars.add_secret_values(credentials.collect::<Vec<_>>());
    }
}

/// Every matching request as evidence: when it came and a digest of what it carried, the first
/// few whole; beyond `MAX_ARRIVALS`, a count.
fn arrivals_kept(
    matched: &[Entry],
    opened_ms: u64,
    portal_uri: &str,
    redactor: &Redactor,
) -> (Vec<Arrival>, u64) {
    use sha2::Digest;
    let mut previous: Option<u64> = None;
    let kept = matched
        .iter()
        .take(MAX_ARRIVALS)
        .enumerate()
        .map(|(i, entry)| {
            let gap_ms = previous.map(|p| entry.received_ms.saturating_sub(p));
            previous = Some(entry.received_ms);
            Arrival {
                after_ms: entry.received_ms as i64 - opened_ms as i64,
                gap_ms,
                method: entry.method.clone(),
                path: entry.path.clone(),
                bytes: entry.body_bytes.max(entry.body.len()),
                sha256: crate::suite::digest::hex(&sha2::Sha256::digest(&entry.body)),
                status: entry.status,
                exchange: (i < MAX_ARRIVAL_EXCHANGES)
                    .then(|| exchange(entry, portal_uri, redactor))
                    .flatten(),
            }
        })
        .collect();
    (kept, matched.len().saturating_sub(MAX_ARRIVALS) as u64)
}

fn journal_error(e: String) -> Attempt {
    Attempt::error(
        text!(
            "อ่านบันทึกของ Portal จำลองไม่ได้: {}",
            "cannot read the mock portal's journal: {}",
            e
        ),
        None,
    )
}

/// The values at `path` of the requests in the order they arrived, a value repeated at once (a
/// retry) kept once.
fn arrivals(entries: &[Entry], path: &str) -> Vec<Value> {
    let Ok(jp) = check::jsonpath::parse(path) else {
        return Vec::new();
    };
    let mut out: Vec<Value> = Vec::new();
    for entry in entries {
        let value = serde_json::from_slice::<Value>(&entry.body)
            .ok()
            .and_then(|j| jp.query(&j).first().cloned());
        if let Some(value) = value
            && out.last().is_none_or(|last| !json_equal(last, &value))
        {
            out.push(value);
        }
    }
    out
}

/// The expected values appear among the arrivals in this order (others may come between).
fn in_order(arrivals: &[Value], expected: &[Value]) -> bool {
    let mut want = expected.iter().peekable();
    for value in arrivals {
        if want.peek().is_some_and(|w| json_equal(w, value)) {
            want.next();
        }
    }
    want.peek().is_none()
}

fn count_check(
    filter: &Filter,
    count: Option<&CountSpec>,
    got: usize,
    within_ms: u64,
    (early, late): (usize, usize),
) -> CheckResult {
    let what = filter.describe();
    let (ok, expected) = match count {
        Some(CountSpec {
            exactly: Some(n), ..
        }) => (got == *n, format!("exactly {n}")),
        Some(c) if c.at_least.is_some() || c.at_most.is_some() => {
            let low = c.at_least.unwrap_or(0);
            let ok = got >= low && c.at_most.is_none_or(|m| got <= m);
            let text = match c.at_most {
                Some(m) => format!("{low} to {m}"),
                None => format!("at least {low}"),
            };
            (ok, text)
        }
        _ => (got >= 1, "at least 1".to_string()),
    };
    let message = if !ok && early > 0 {
        text!(
            "จำนวนคำขอ {} ภายใน {} ms: คาดว่า {} ได้ {} (อีก {} มาก่อนขั้นตอนที่เริ่มนับเวลา จึงไม่นับ)",
            "number of {} requests within {} ms: expected {}, got {} ({} more arrived before the step it counts from started, and do not count)",
            what,
            within_ms,
            expected,
            got,
            early
        )
    } else if !ok && late > 0 {
        text!(
            "จำนวนคำขอ {} ภายใน {} ms: คาดว่า {} ได้ {} (และอีก {} มาช้ากว่านั้น)",
            "number of {} requests within {} ms: expected {}, got {} (and {} more arrived later)",
            what,
            within_ms,
            expected,
            got,
            late
        )
    } else if got == 0 && !ok {
        text!(
            "ไม่ได้รับคำขอ {} ที่ Portal จำลองภายใน {} ms",
            "no {} reached the mock portal within {} ms",
            what,
            within_ms
        )
    } else {
        text!(
            "จำนวนคำขอ {}: คาดว่า {} ได้ {}",
            "number of {} requests: expected {}, got {}",
            what,
            expected,
            got
        )
    };
    CheckResult::new(
        "await count",
        if ok { Outcome::Pass } else { Outcome::Fail },
        message,
    )
    .expected(expected, got.to_string())
}

/// The checks on the matching requests together: their order by a field or a sequence, the
/// gaps between them, their bodies alike, their tokens.
fn across_requests(spec: &AwaitSpec, matched: &[Entry]) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    if let Some(sequence) = &spec.sequence {
        checks.push(sequence_check(
            matched,
            &sequence.value.path,
            &sequence.value.values,
        ));
    }
    if let Some(gaps) = &spec.gaps_ms {
        let arrived: Vec<u64> = matched.iter().map(|e| e.received_ms).collect();
        checks.push(gap_check(&gaps.value, &arrived));
    }
    if let Some(order) = &spec.order {
        checks.push(order_check(order, matched));
    }
    if spec.same_body && matched.len() > 1 {
        checks.push(same_body_check(matched));
    }

    if spec.token == Some(TokenExpectation::Issued) && !matched.is_empty() {
        let without = matched.iter().filter(|e| !e.token_issued).count();
        checks.push(
            CheckResult::new(
                "await token",
                if without == 0 {
                    Outcome::Pass
                } else {
                    Outcome::Fail
                },
                text!(
                    "คำขอ {} จาก {} ครั้งไม่มี Token ที่ Portal ออกให้",
                    "{} of {} requests carry no Token the portal issued",
                    without,
                    matched.len()
                ),
            )
            .expected("issued Token", format!("{without} without")),
        );
    }
    checks
}

/// Every matching request carries the same body.
fn same_body_check(matched: &[Entry]) -> CheckResult {
    let differs = matched.iter().position(|e| e.body != matched[0].body);
    // Bodies kept only in part cannot be told the same.
    let cut = matched.iter().any(|e| e.body_truncated);
    CheckResult::new(
        "await same body",
        if cut {
            Outcome::Error
        } else if differs.is_none() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        match differs {
            _ if cut => text!(
                "body ยาวเกินกว่าที่ Portal จำลองเก็บไว้ทั้งหมด จึงเทียบไม่ได้",
                "a body is longer than the mock portal keeps whole: it cannot be compared"
            ),
            Some(at) => text!(
                "คำขอครั้งที่ {} มี body ต่างจากครั้งแรก",
                "request {} carries another body than the first",
                at + 1
            ),
            None => text!(
                "ทั้ง {} ครั้งมี body เดียวกัน",
                "all {} carry the same body",
                matched.len()
            ),
        },
    )
}

/// The gaps between arrivals (ms since the epoch, in order): each within min/max, and each at
/// least `growth` × the one before.
fn gap_check(spec: &GapSpec, arrived: &[u64]) -> CheckResult {
    let gaps: Vec<u64> = arrived
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .collect();
    let shown = gaps
        .iter()
        .map(|g| format!("{g} ms"))
        .collect::<Vec<_>>()
        .join(", ");
    let bounded = |g: &u64| spec.min.is_none_or(|m| *g >= m) && spec.max.is_none_or(|m| *g <= m);
    let wrong_bound = gaps.iter().position(|g| !bounded(g));
    // A back-off waits: a gap of 0 (a burst) is none, whatever the one before it was.
    let wrong_growth = spec.growth.and_then(|k| {
        gaps.iter().position(|g| *g == 0).or_else(|| {
            gaps.windows(2)
                .position(|w| (w[1] as f64) < k * w[0] as f64)
                .map(|at| at + 1)
        })
    });
    let expected = [
        spec.min.map(|m| format!("at least {m} ms")),
        spec.max.map(|m| format!("at most {m} ms")),
        spec.growth
            .map(|k| format!("each at least {k} × the one before")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let (outcome, message) = match (wrong_bound, wrong_growth) {
        _ if gaps.is_empty() => (
            Outcome::Fail,
            text!(
                "มีคำขอ {} ครั้ง จึงไม่มีช่วงห่างให้วัด",
                "{} request(s): no gap to measure",
                arrived.len()
            ),
        ),
        (Some(at), _) => (
            Outcome::Fail,
            text!(
                "ช่วงห่างที่ {} คือ {} ms ({}); ต้องเป็น {}",
                "gap {} is {} ms ({}); expected {}",
                at + 1,
                gaps[at],
                shown,
                expected
            ),
        ),
        (None, Some(at)) if gaps[at] == 0 => (
            Outcome::Fail,
            text!(
                "ช่วงห่างที่ {} เป็น 0 ms: ส่งพร้อมกัน ไม่ได้เว้นช่วง ({})",
                "gap {} is 0 ms: sent at once, no back-off ({})",
                at + 1,
                shown
            ),
        ),
        (None, Some(at)) => (
            Outcome::Fail,
            text!(
                "ช่วงห่างที่ {} ({} ms) ไม่ถึง {} เท่าของช่วงก่อนหน้า ({} ms): {}",
                "gap {} ({} ms) is not {} times the one before ({} ms): {}",
                at + 1,
                gaps[at],
                spec.growth.unwrap_or(1.0),
                gaps[at - 1],
                shown
            ),
        ),
        (None, None) => (Outcome::Pass, text!("ช่วงห่าง: {}", "gaps: {}", shown)),
    };
    CheckResult::new("await gaps", outcome, message).expected(expected, shown)
}

/// The matching requests, in the order they arrived, are in order of a value of their bodies.
fn order_check(order: &OrderSpec, entries: &[Entry]) -> CheckResult {
    let values: Vec<Option<Value>> = entries
        .iter()
        .map(|e| {
            let json: Value = serde_json::from_slice(&e.body).ok()?;
            let parsed = crate::check::jsonpath::parse(&order.by.value).ok()?;
            parsed.query(&json).all().into_iter().next().cloned()
        })
        .collect();
    let missing = values.iter().filter(|v| v.is_none()).count();
    let present: Vec<&Value> = values.iter().flatten().collect();
    let (wrong, way) = super::follow_step::out_of_order(&present, order.descending);
    let (outcome, message) = match wrong {
        Some(at) => (
            Outcome::Fail,
            text!(
                "คำขอครั้งที่ {} ({}) มาไม่เรียงตาม {} หลังครั้งก่อน ({})",
                "request {} ({}) arrived out of order by {} after the one before ({})",
                at + 2,
                crate::vars::value_text(present[at + 1]),
                order.by.value,
                crate::vars::value_text(present[at])
            ),
        ),
        None if missing > 0 => (
            Outcome::Fail,
            text!(
                "{} จาก {} คำขอไม่มี {}",
                "{} of {} requests have no {}",
                missing,
                entries.len(),
                order.by.value
            ),
        ),
        None => (
            Outcome::Pass,
            text!(
                "{} คำขอมาเรียงตาม {}",
                "{} requests arrived in order by {}",
                entries.len(),
                order.by.value
            ),
        ),
    };
    CheckResult::new("await order", outcome, message)
        .expected(format!("{way} by {}", order.by.value), String::new())
}

fn sequence_check(entries: &[Entry], path: &str, values: &[Value]) -> CheckResult {
    let arrived = arrivals(entries, path);
    let ok = in_order(&arrived, values);
    let expected = compact(&Value::Array(values.to_vec()));
    let actual = compact(&Value::Array(arrived));
    let message: Text = text!(
        "ลำดับของ {}: คาดว่า {} ได้ {}",
        "order of {}: expected {}, got {}",
        path,
        expected,
        actual
    );
    CheckResult::new(
        "await sequence",
        if ok { Outcome::Pass } else { Outcome::Fail },
        message,
    )
    .expected(expected, actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_bounded_and_grow() {
        let spec = GapSpec {
            min: Some(100),
            max: None,
            growth: Some(2.0),
        };
        assert_eq!(gap_check(&spec, &[0, 100, 300, 700]).outcome, Outcome::Pass);
        let not_doubling = gap_check(&spec, &[0, 100, 300, 600]);
        assert_eq!(not_doubling.outcome, Outcome::Fail);
        assert!(
            not_doubling
                .message
                .en
                .starts_with("gap 3 (300 ms) is not 2 times"),
            "{}",
            not_doubling.message.en
        );
        assert_eq!(gap_check(&spec, &[0, 50]).outcome, Outcome::Fail);
        // A burst is no back-off, even though 0 >= 2 × 0.
        let burst = GapSpec {
            min: None,
            max: None,
            growth: Some(2.0),
        };
        assert_eq!(gap_check(&burst, &[5, 5, 5, 5]).outcome, Outcome::Fail);
        assert_eq!(gap_check(&spec, &[0]).outcome, Outcome::Fail);
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    fn arrived(bodies: &[&str]) -> Vec<Entry> {
        bodies
            .iter()
            .enumerate()
            .map(|(i, b)| Entry {
                seq: i as u64,
                at: String::new(),
                received_ms: 0,
                method: "POST".into(),
                path: "/h".into(),
                query: vec![],
                headers: vec![],
                body: b.as_bytes().to_vec(),
                body_bytes: b.len(),
                body_truncated: false,
                stub: None,
                status: 202,
                token_issued: false,
            })
            .collect()
    }

    #[test]
    fn requests_arrive_in_order_of_a_body_value() {
        let by = |path: &str| OrderSpec {
            by: serde_saphyr::Spanned::new(
                path.to_string(),
                serde_saphyr::Location::UNKNOWN,
                serde_saphyr::Location::UNKNOWN,
            ),
            descending: false,
        };
        let ordered = arrived(&[r#"{"n": 2}"#, r#"{"n": 10}"#, r#"{"n": 10}"#]);
        assert_eq!(order_check(&by("$.n"), &ordered).outcome, Outcome::Pass);
        let out = arrived(&[r#"{"n": 10}"#, r#"{"n": 2}"#]);
        assert_eq!(order_check(&by("$.n"), &out).outcome, Outcome::Fail);
        let missing = arrived(&[r#"{"n": 1}"#, "not json"]);
        assert_eq!(order_check(&by("$.n"), &missing).outcome, Outcome::Fail);
    }
}
