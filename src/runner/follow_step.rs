//! The `follow` step: pages along a list. The first request, then, while a page gives a `next`
//! (a `Link` relation, a URL or a cursor), the next request, at most `max_pages` pages. Every
//! page is judged by the step's `expect`; the items of all pages are judged together by
//! `union` (every item once, in order, as many as the suite knows).

use std::collections::HashSet;

use serde_json::Value;

use super::case::{Attempt, RunContext, exchange};
use crate::check::{self, CheckContext, CheckResult, Outcome};
use crate::suite::{CaseFile, FollowSpec, RequestSpec, Step, UnionSpec};
use crate::text;
use crate::vars::Vars;

/// The variable the next page's link or cursor is in.
pub const NEXT: &str = "next";

/// The items kept for `union`, in all pages: past it the step fails rather than grow.
const MAX_ITEMS: usize = 1_000_000;

/// What `union` needs of one item: its `unique` key (as JSON text: `1` and `"1"` differ) and
/// its `order` value, when it has them. The items themselves are not kept.
struct Keys {
    unique: Option<String>,
    order: Option<Value>,
}

/// Runs the pages; the attempt, and how many pages were fetched.
pub(super) async fn run(
    ctx: &RunContext,
    file: &CaseFile,
    spec: &FollowSpec,
    step: &Step,
    vars: &mut Vars,
    tally: &mut super::invariants::Tally,
) -> (Attempt, u32) {
    // Later pages: the suite's `next_request`, or the same method to the link.
    let along = spec.next_request.as_ref().map(|r| r.value.clone());
    let along = along.unwrap_or_else(|| RequestSpec {
        url: Some(Box::new(serde_saphyr::Spanned::new(
            format!("{{{{ {NEXT} }}}}"),
            spec.request.referenced,
            spec.request.defined,
        ))),
        path: None,
        query: Default::default(),
        ..spec.request.value.clone()
    });
    let mut items: Vec<Keys> = Vec::new();
    let mut pages = 0u32;
    let mut last: Attempt;
    loop {
        let request = if pages == 0 {
            &spec.request.value
        } else {
            &along
        };
        pages += 1;
        let (mut attempt, response) = exchange(ctx, file, request, step, vars, tally).await;
        for c in &mut attempt.checks {
            c.check = format!("page {pages}: {}", c.check);
        }
        let Some((response, page_url)) = response.filter(|_| attempt.outcome == Outcome::Pass)
        else {
            return (attempt, pages);
        };
        let json = response.json().ok();
        let json = json.as_deref();
        if let (Some(path), Some(union)) = (&spec.items, &spec.union) {
            match (json.as_ref(), check::jsonpath::parse(&path.value)) {
                (Some(json), Ok(parsed)) => {
                    items.extend(parsed.query(json).all().into_iter().map(|item| {
                        Keys {
                            unique: union
                                .unique
                                .as_ref()
                                .and_then(|p| field(item, &p.value))
                                .map(|v| v.to_string()),
                            order: union
                                .order
                                .as_ref()
                                .and_then(|o| field(item, &o.by.value))
                                .cloned(),
                        }
                    }));
                    if items.len() > MAX_ITEMS {
                        attempt.checks.push(CheckResult::new(
                            "items",
                            Outcome::Error,
                            text!(
                                "เกิน {} รายการในทุกหน้ารวมกัน: ไม่ตรวจต่อ",
                                "more than {} items in all pages: not judged further",
                                MAX_ITEMS
                            ),
                        ));
                        attempt.outcome = Outcome::Error;
                        return (attempt, pages);
                    }
                }
                _ => {
                    attempt.checks.push(CheckResult::new(
                        format!("page {pages}: items"),
                        Outcome::Fail,
                        text!(
                            "หน้า {} ไม่ใช่ JSON จึงอ่านรายการที่ {} ไม่ได้",
                            "page {} is not JSON: no items at {}",
                            pages,
                            path.value
                        ),
                    ));
                    attempt.outcome = Outcome::Fail;
                    return (attempt, pages);
                }
            }
        }
        let next = check::capture(&spec.next.value, &response, json, &ctx.namespaces)
            .ok()
            .filter(|v| !v.is_null() && v.as_str() != Some(""));
        last = attempt;
        let Some(next) = next else {
            break;
        };
        if pages >= spec.max_pages {
            last.checks.push(
                CheckResult::new(
                    "pages",
                    Outcome::Fail,
                    text!(
                        "หน้าที่ {} ยังมีหน้าถัดไป เกินจำนวนหน้าสูงสุด {}",
                        "page {} still gives a next page: more than max_pages ({})",
                        pages,
                        spec.max_pages
                    ),
                )
                .expected(
                    format!("at most {} pages", spec.max_pages),
                    "more".to_string(),
                ),
            );
            last.outcome = Outcome::Fail;
            return (last, pages);
        }
        // A relative link is relative to the page it is on (RFC 8288 §3.2, RFC 3986 §5).
        let next = match (&spec.next.value, &next) {
            (crate::suite::Capture::Full(f), Value::String(link)) if f.link.is_some() => page_url
                .join(link)
                .map(|u| Value::String(u.to_string()))
                .unwrap_or(next),
            _ => next,
        };
        vars.set(NEXT, next, false);
    }
    if let Some(union) = &spec.union {
        let check_ctx = CheckContext {
            file: super::case::step_file(file, step),
            vars,
            schemas: &ctx.schemas,
            namespaces: &ctx.namespaces,
        };
        last.checks
            .extend(judge_union(union, &items, pages, &check_ctx));
    }
    last.outcome = Outcome::combine(
        std::iter::once(last.outcome).chain(last.checks.iter().map(|c| c.outcome)),
    );
    (last, pages)
}

/// One value of an item, by a JSONPath (`$` is the item).
fn field<'v>(item: &'v Value, path: &str) -> Option<&'v Value> {
    let parsed = check::jsonpath::parse(path).ok()?;
    parsed.query(item).all().into_iter().next()
}

fn verdict(ok: bool) -> Outcome {
    if ok { Outcome::Pass } else { Outcome::Fail }
}

/// Where values stop being in order (the index of the one before the first out of place), and
/// the order's name: what `union.order` and an await's `order` judge.
pub(super) fn out_of_order(values: &[&Value], descending: bool) -> (Option<usize>, &'static str) {
    let wrong = values.windows(2).position(|w| {
        let o = before(w[0], w[1]);
        if descending {
            o == std::cmp::Ordering::Less
        } else {
            o == std::cmp::Ordering::Greater
        }
    });
    (
        wrong,
        if descending {
            "descending"
        } else {
            "ascending"
        },
    )
}

/// Orders two values: integers exactly, other numbers as numbers, anything else as its text.
fn before(a: &Value, b: &Value) -> std::cmp::Ordering {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x.cmp(&y);
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => crate::vars::value_text(a).cmp(&crate::vars::value_text(b)),
    }
}

fn judge_union(
    union: &UnionSpec,
    items: &[Keys],
    pages: u32,
    ctx: &CheckContext,
) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    if let Some(path) = &union.unique {
        let mut seen = HashSet::new();
        let missing = items.iter().filter(|k| k.unique.is_none()).count();
        let repeated = items
            .iter()
            .filter_map(|k| k.unique.as_ref())
            .find(|v| !seen.insert(v.as_str()))
            .cloned();
        let message = match (&repeated, missing) {
            (Some(v), _) => text!(
                "รายการที่ {} = {} ซ้ำกันใน {} หน้า",
                "the item with {} = {} comes twice in {} pages",
                path.value,
                v,
                pages
            ),
            (None, n) if n > 0 => text!(
                "{} จาก {} รายการไม่มี {} จึงบอกไม่ได้ว่าซ้ำหรือไม่",
                "{} of {} items have no {}: whether they repeat cannot be told",
                n,
                items.len(),
                path.value
            ),
            _ => text!(
                "รายการ {} รายการใน {} หน้าไม่ซ้ำกัน",
                "{} items in {} pages, each once",
                items.len(),
                pages
            ),
        };
        checks.push(
            CheckResult::new(
                "every item once",
                verdict(repeated.is_none() && missing == 0),
                message,
            )
            .expected("each once", repeated.unwrap_or_else(|| "each once".into())),
        );
    }
    if let Some(order) = &union.order {
        let values: Vec<&Value> = items.iter().filter_map(|k| k.order.as_ref()).collect();
        let (wrong, way) = out_of_order(&values, order.descending);
        checks.push(
            CheckResult::new(
                "items in order",
                verdict(wrong.is_none() && values.len() == items.len()),
                match wrong {
                    Some(at) => text!(
                        "รายการที่ {} ({}) ไม่เรียงตาม {} ({}) ต่อจากรายการก่อนหน้า ({})",
                        "item {} ({}) is out of {} order by {} after the one before it ({})",
                        at + 2,
                        crate::vars::value_text(values[at + 1]),
                        way,
                        order.by.value,
                        crate::vars::value_text(values[at])
                    ),
                    None => text!(
                        "รายการเรียงตาม {} ({} จาก {} รายการมีค่านี้)",
                        "items in order by {} ({} of {} items have it)",
                        order.by.value,
                        values.len(),
                        items.len()
                    ),
                },
            )
            .expected(format!("{way} by {}", order.by.value), String::new()),
        );
    }
    if let Some(count) = &union.count {
        let n = Value::from(items.len());
        let ok = check::holds(count, &[&n], ctx.vars);
        checks.push(
            CheckResult::new(
                "item count",
                verdict(ok),
                text!(
                    "จำนวนรายการทั้งหมด {} รายการใน {} หน้า",
                    "{} items in all, in {} pages",
                    items.len(),
                    pages
                ),
            )
            .expected(
                serde_json::to_string(count).unwrap_or_default(),
                items.len().to_string(),
            ),
        );
    }
    checks
}
