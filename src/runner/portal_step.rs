//! The `portal` step: change how the mock portal answers, for the rest of the case (e.g. `503`
//! to the next two status callbacks of this reference, for TP-6.4).

use super::case::{Attempt, CaseScope, RunContext};
use serde_saphyr::Spanned;

use crate::check::rendered;
use crate::portal::Override;
use crate::portal::mapping::ResponseDefinition;
use crate::suite::{OrderedMap, PortalSpec, Predicate};
use crate::template::{Template, TemplateError, render_json};
use crate::text;
use crate::vars::Vars;

pub(super) async fn run(
    ctx: &RunContext,
    spec: &PortalSpec,
    vars: &Vars,
    scope: &mut CaseScope,
) -> Attempt {
    let Some(portal) = &ctx.portal else {
        return Attempt::error(
            text!(
                "ขั้นตอน portal ต้องใช้ Portal จำลอง",
                "a portal step needs the mock portal"
            ),
            None,
        );
    };
    let r = &spec.respond.value;
    let filters = |map: &OrderedMap<Spanned<String>, Predicate>| {
        map.iter()
            .map(|(k, p)| Ok((k.value.clone(), rendered(p, vars)?)))
            .collect::<Result<Vec<_>, TemplateError>>()
    };
    let built = Template::parse(&r.path.value)
        .and_then(|t| t.render_string(vars))
        .and_then(|path| {
            Ok((
                path,
                r.json.as_ref().map(|j| render_json(j, vars)).transpose()?,
                (
                    filters(&r.when.headers)?,
                    filters(&r.when.query)?,
                    filters(&r.when.body)?,
                ),
            ))
        });
    let (path, json, (headers, query, body)) = match built {
        Ok(built) => built,
        Err(e) => {
            return Attempt::error(
                text!(
                    "สร้างขั้นตอน portal ไม่ได้: {}",
                    "cannot build the portal step: {}",
                    e
                ),
                None,
            );
        }
    };
    let added = portal.add_override(Override {
        id: String::new(),
        method: r.method.clone(),
        path,
        headers,
        query,
        body,
        times: r.times,
        bytes: 0,
        response: ResponseDefinition {
            status: r.status,
            json_body: json,
            body: r.body.clone(),
            fixed_delay_milliseconds: r.delay_ms,
            ..ResponseDefinition::default()
        },
    });
    match added.await {
        Ok(id) => scope.overrides.push(id),
        Err(e) => {
            return Attempt::error(
                text!(
                    "เปลี่ยนพฤติกรรม Portal จำลองไม่ได้: {}",
                    "cannot change the mock portal: {}",
                    e
                ),
                None,
            );
        }
    }
    Attempt::default()
}
