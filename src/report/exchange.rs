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
    out.push_str(&render_arrivals(step));
    out
}

/// Arrival rows shown in text; results.json keeps them all.
const TEXT_ARRIVAL_LIMIT: usize = 50;

/// An await's matching requests, one line each: when, the gap before it, what it carried.
fn render_arrivals(step: &StepResult) -> String {
    if step.arrivals.is_empty() {
        return String::new();
    }
    let total = step.arrivals.len() as u64 + step.arrivals_not_kept;
    let mut out = format!("~ คำขอที่ตรงเงื่อนไข (matching requests): {total}\n");
    for (i, a) in step.arrivals.iter().take(TEXT_ARRIVAL_LIMIT).enumerate() {
        let gap = a
            .gap_ms
            .map(|g| format!(" (gap {g} ms)"))
            .unwrap_or_default();
        let digest = a.sha256.get(..12).unwrap_or(&a.sha256);
        out.push_str(&format!(
            "~ #{} {:+} ms{gap} {} {} · {} B · sha256 {digest}… → {}\n",
            i + 1,
            a.after_ms,
            a.method,
            a.path,
            a.bytes,
            a.status
        ));
    }
    let more = total.saturating_sub(TEXT_ARRIVAL_LIMIT.min(step.arrivals.len()) as u64);
    if more > 0 {
        out.push_str(&format!("~ … อีก {more} คำขอ ({more} more)\n"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Arrival;

    #[test]
    fn every_arrival_is_a_line_and_the_rest_are_counted() {
        let step: StepResult = serde_json::from_value(serde_json::json!({
            "index": 2, "kind": "await", "place": {"file": "c.yaml", "line": 3, "column": 5},
            "outcome": "fail", "duration_ms": 10, "attempts": 1, "checks": [],
            "arrivals_not_kept": 940,
        }))
        .unwrap();
        let arrival = |after_ms, gap_ms| Arrival {
            after_ms,
            gap_ms,
            method: "POST".into(),
            path: "/webhook".into(),
            bytes: 12,
            sha256: "ab".repeat(32),
            status: 200,
            exchange: None,
        };
        let step = StepResult {
            arrivals: (0..60)
                .map(|i| arrival(i as i64 * 10, (i > 0).then_some(10)))
                .collect(),
            ..step
        };
        let text = render_step(&step);
        assert!(text.contains("matching requests): 1000\n"), "{text}");
        assert!(
            text.contains("~ #1 +0 ms POST /webhook · 12 B · sha256 abababababab… → 200\n"),
            "{text}"
        );
        assert!(text.contains("~ #50 +490 ms (gap 10 ms) POST"), "{text}");
        assert!(!text.contains("~ #51 "), "{text}");
        assert!(text.contains("~ … อีก 950 คำขอ (950 more)\n"), "{text}");
    }
}
