//! Which cases may run beside others. A `portal` step changes the mock portal's answers for the
//! requests it matches; when those requests carry a value the case chose (its reference in the
//! path, or a `when` filter on its own id), the change is the case's alone, and cases run in
//! parallel each see their own answers. When nothing in the match is the case's own (a shared
//! webhook path, no filter), the change would reach other cases' requests too, so that case runs
//! alone.

use std::collections::BTreeSet;

use serde_json::Value;

use super::model::{Case, Predicate, Step, Suite};
use crate::i18n::Text;
use crate::template::{Expr, Template, json_templates};
use crate::text;

/// Why the case must run alone, if it must.
pub fn runs_alone(suite: &Suite, case: &Case) -> Option<Text> {
    if case.exclusive {
        return Some(text!(
            "กรณีนี้กำหนด exclusive: true",
            "it is marked `exclusive: true`"
        ));
    }
    // Values the case chose: its vars, the suite's per-case vars, its captures, and fragment
    // parameters made of them.
    let mut own: BTreeSet<String> = suite
        .meta
        .case_vars
        .iter()
        .chain(case.vars.iter())
        .map(|(k, _)| k.value.clone())
        .collect();
    for step in &case.steps {
        let s = &step.value;
        for (name, value) in s.with.iter() {
            if value_uses_own(&value.value, &own) {
                own.insert(name.value.clone());
            }
        }
        if let Some(portal) = &s.portal
            && !attributable(s, &own)
        {
            let r = &portal.value.respond.value;
            return Some(text!(
                "ขั้นตอน portal ของกรณีนี้เปลี่ยนคำตอบของ {} {} สำหรับคำขอที่แยกไม่ได้ว่าเป็นของกรณีใด (ใส่ค่าของกรณีนี้ใน path หรือใช้ when กรองด้วยค่านั้น)",
                "its portal step answers {} {} for requests it cannot tell apart from other cases' (use a value of its own in the path, or a `when` filter on one)",
                r.method,
                r.path.value
            ));
        }
        own.extend(s.capture.iter().map(|(k, _)| k.value.clone()));
    }
    None
}

/// A template that uses a value of the case's own (or a fresh one, `uuid()`).
fn uses_own(text: &str, own: &BTreeSet<String>) -> bool {
    Template::parse(text).is_ok_and(|t| t.exprs().any(|e| own_expr(e, own)))
}

/// A JSON value with a template in it that uses a value of the case's own.
fn value_uses_own(v: &Value, own: &BTreeSet<String>) -> bool {
    json_templates(v).is_ok_and(|ts| ts.iter().any(|t| t.exprs().any(|e| own_expr(e, own))))
}

fn own_expr(expr: &Expr, own: &BTreeSet<String>) -> bool {
    match expr {
        Expr::Var(name) => own.contains(name),
        other => other.is_fresh(),
    }
}

fn attributable(step: &Step, own: &BTreeSet<String>) -> bool {
    let Some(portal) = &step.portal else {
        return true;
    };
    let r = &portal.value.respond.value;
    if uses_own(&r.path.value, own) {
        return true;
    }
    let w = &r.when;
    w.headers
        .iter()
        .chain(w.query.iter())
        .chain(w.body.iter())
        .any(|(_, p)| predicate_uses_own(p, own))
}

fn predicate_uses_own(p: &Predicate, own: &BTreeSet<String>) -> bool {
    let values = [&p.equals, &p.contains]
        .into_iter()
        .flatten()
        .chain(p.one_of.iter().flatten());
    values.into_iter().any(|v| value_uses_own(v, own))
        || [&p.starts_with, &p.ends_with]
            .into_iter()
            .flatten()
            .any(|t| uses_own(t, own))
}
