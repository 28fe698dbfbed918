//! `generate:` blocks made into cases: one per variant the request schema gives (see
//! `openapi::generate`), each a single request step with the block's expectations.

use serde_saphyr::Spanned;
use std::path::Path;

use super::model::*;
use super::ordered_map::OrderedMap;
use crate::diagnostic::{Diagnostic, Place};
use crate::openapi::{self, ApiDoc};
use crate::results::Generated;

/// Every case a block makes, in the schema's order, or the problems that stop it.
pub fn expand(
    spec: &Spanned<GenerateSpec>,
    file: &Path,
    suite_dir: &Path,
    api: Option<&ApiDoc>,
    on_read: &mut dyn FnMut(&Path, &[u8]),
) -> Result<Vec<Spanned<Case>>, Vec<Diagnostic>> {
    let g = &spec.value;
    let here = |at: &serde_saphyr::Location, message: String| {
        vec![Diagnostic::at(Place::of(file, at), message)]
    };
    let request = &g.request.value;
    let Some(base) = request.json.as_ref().map(|j| &j.value) else {
        return Err(here(
            &g.request.referenced,
            "`generate` varies the request's `json`: give the valid body there".into(),
        ));
    };
    if request.merge_patch.is_some() || !request.json_patch.is_empty() {
        return Err(here(
            &g.request.referenced,
            "`generate` varies the body itself: give the valid body whole in `json`, without `merge_patch` or `json_patch`".into(),
        ));
    }
    // The schema: an operation's request body, or a schema file (read as its own document).
    let from_file;
    let (doc, file_at, pointer) = match (&g.from.operation, &g.from.schema) {
        (Some(op), None) => {
            let Some(doc) = api else {
                return Err(here(
                    &op.referenced,
                    "`from: { operation }` needs the suite's OpenAPI document: add `openapi: FILE` to suite.yaml".into(),
                ));
            };
            let Some(operation) = doc.find(op.value.trim()) else {
                let known: Vec<String> = doc.operations.iter().map(|o| o.key()).collect();
                return Err(here(
                    &op.referenced,
                    format!(
                        "no operation `{}` in the OpenAPI document (it has: {})",
                        op.value,
                        known.join(", ")
                    ),
                ));
            };
            // The request varied is the operation's: a schema of one operation sent to another
            // would test nothing it says.
            if let Some(path) = &request.path {
                let path = path.value.split('?').next().unwrap_or("");
                let sent = doc.operation(&request.method.value, path);
                if !sent.is_ok_and(|o| std::ptr::eq(o, operation)) {
                    return Err(here(
                        &g.request.referenced,
                        format!(
                            "the request is `{} {}`, which is not `{}` whose schema it varies",
                            request.method.value, path, op.value
                        ),
                    ));
                }
            }
            let Some(at) = operation.request_schema() else {
                return Err(here(
                    &op.referenced,
                    format!(
                        "`{}` documents no `application/json` request body schema",
                        op.value
                    ),
                ));
            };
            (doc, at.file, at.pointer.clone())
        }
        (None, Some(schema)) => {
            let inside = Path::new(&schema.value)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                return Err(here(
                    &schema.referenced,
                    format!("`{}`: the schema is a file inside the suite", schema.value),
                ));
            }
            let path = suite_dir.join(&schema.value);
            if !path.is_file() {
                return Err(here(
                    &schema.referenced,
                    format!("`{}`: no such file in the suite", schema.value),
                ));
            }
            from_file = openapi::load_schema(&path, on_read)?;
            (&from_file, 0, String::new())
        }
        _ => {
            return Err(here(
                &spec.referenced,
                "`from` gives exactly one of `operation` (`POST /applications`) or `schema` (a JSON Schema file)".into(),
            ));
        }
    };
    let skip: Vec<String> = g.skip.iter().map(|s| s.value.clone()).collect();
    let request_at = openapi::generate::Request {
        file: file_at,
        pointer: &pointer,
        skip: &skip,
        random: g.random.as_ref().map(|r| (r.seed, r.count)),
    };
    let refused = |e: String| here(&g.id.referenced, format!("`generate` {}: {e}", g.id.value));
    let broken = openapi::generate::base_errors(doc, &request_at, base).map_err(refused)?;
    if !broken.is_empty() {
        let json_at = request
            .json
            .as_ref()
            .map_or(&g.request.referenced, |j| &j.referenced);
        return Err(here(
            json_at,
            format!(
                "`generate` {}: the valid request breaks its schema ({}); each case breaks it in one place, so the body they start from must meet it",
                g.id.value,
                broken.join("; ")
            ),
        ));
    }
    let mut variants = openapi::generate::variants(doc, &request_at, base).map_err(refused)?;
    // Without `valid:` there is nothing a boundary case could expect: none is made.
    variants.retain(|v| !v.valid || g.valid.is_some());
    let mut ids = std::collections::HashSet::new();
    Ok(variants
        .into_iter()
        .enumerate()
        .map(|(order, v)| {
            // The body itself is `body` (its pointer is empty).
            let member = if v.member.is_empty() {
                "body"
            } else {
                &v.member
            };
            let mut id = format!("{}:{member}:{}", g.id.value, v.violation);
            let mut n = 1;
            while !ids.insert(id.clone()) {
                n += 1;
                id = format!("{}:{member}:{}-{n}", g.id.value, v.violation);
            }
            case(spec, id, order, v)
        })
        .collect())
}

/// One generated case: the block's request with the variant's patch, expecting `valid` or
/// `invalid`.
fn case(
    spec: &Spanned<GenerateSpec>,
    id: String,
    order: usize,
    v: openapi::generate::Variant,
) -> Spanned<Case> {
    let g = &spec.value;
    let mut request = g.request.clone();
    request.value.json_patch = vec![v.patch];
    let expect = if v.valid {
        g.valid.clone().unwrap_or_default()
    } else {
        g.invalid.clone()
    };
    // A boundary is said to be valid: the block's title is most often about wrong requests.
    let (th, en) = match v.valid {
        true => (
            format!("{} (ถูกต้อง: ต้องรับ)", v.description.th),
            format!("{} (valid: must be accepted)", v.description.en),
        ),
        false => (v.description.th, v.description.en),
    };
    let step = Step {
        name: Some(th.clone()),
        request: Some(Box::new(request)),
        poll: None,
        await_: None,
        portal: None,
        load: None,
        follow: None,
        wait: None,
        use_: None,
        with: OrderedMap::default(),
        expect: Box::new(expect),
        capture: OrderedMap::default(),
        origin: None,
    };
    let mut tags = g.tags.clone();
    tags.push("generated".into());
    let case = Case {
        id: Spanned::new(id, g.id.referenced, g.id.defined),
        title_th: format!("{} — {th}", g.title_th),
        title_en: Some(format!(
            "{} — {en}",
            g.title_en.as_deref().unwrap_or(&g.title_th)
        )),
        requirements: g.requirements.clone(),
        tags,
        vars: OrderedMap::default(),
        actor: g.actor.clone(),
        pending: false,
        exclusive: false,
        steps: vec![Spanned::new(step, g.request.referenced, g.request.defined)],
        generated: Some(Generated {
            from: g.id.value.clone(),
            member: v.member,
            violation: v.violation,
            valid: v.valid,
            order,
        }),
    };
    Spanned::new(case, spec.referenced, spec.defined)
}
