//! An exchange as text, for JUnit `<system-out>` and the console: request and response,
//! already masked, bodies cut for reading.

use crate::results::{BodyRecord, Exchange, StepResult};

/// Bodies longer than this are cut in text renderings (results.json keeps more).
const TEXT_BODY_LIMIT: usize = 2048;

pub fn render_step(step: &StepResult) -> String {
    let mut out = format!("[{} {}]", step.kind, step.index);
    if let Some(name) = &step.name {
        out.push(' ');
        out.push_str(name);
    }
    out.push('\n');
    if let Some(exchange) = &step.exchange {
        out.push_str(&render(exchange));
    }
    out
}

pub fn render(exchange: &Exchange) -> String {
    let req = &exchange.request;
    let mut out = format!("> {} {}\n", req.method, req.url);
    for (k, v) in &req.headers {
        out.push_str(&format!("> {k}: {v}\n"));
    }
    if let Some(body) = &req.body {
        out.push_str(&format!(">\n{}\n", body_text(body)));
    }
    match &exchange.response {
        Some(resp) => {
            out.push_str(&format!("< {} ({} ms)\n", resp.status, resp.elapsed_ms));
            for (k, v) in &resp.headers {
                out.push_str(&format!("< {k}: {v}\n"));
            }
            if resp.body.bytes > 0 {
                out.push_str(&format!("<\n{}\n", body_text(&resp.body)));
            }
        }
        None => out.push_str("< (no response)\n"),
    }
    out
}

fn body_text(body: &BodyRecord) -> String {
    if body.binary {
        return format!("({} bytes, not UTF-8)", body.bytes);
    }
    let shown: String = body.text.chars().take(TEXT_BODY_LIMIT).collect();
    if shown.len() < body.bytes {
        format!("{shown}… ({} bytes in all)", body.bytes)
    } else {
        shown
    }
}
