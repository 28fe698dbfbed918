//! What a proposal says of its service at its head: the service's name, code, owning agency and
//! the proposal's version, as `label: value` lines or as the rows of a label | value table,
//! with Thai or English labels (`งานบริการ (service): …`, `Service code | PAY`). What the head
//! does not say stays unknown: nothing here guesses. Pure.

use super::Proposal;

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Code,
    Name,
    Agency,
    Version,
}

/// The labels of each field, lower case, as proposals write them.
const LABELS: [(Field, &[&str]); 4] = [
    (Field::Code, &["รหัสงานบริการ", "รหัสบริการ", "service code"]),
    (
        Field::Name,
        &[
            "งานบริการ",
            "ชื่องานบริการ",
            "ชื่อบริการ",
            "ชื่อ e-service",
            "service",
            "service name",
            "name of the service",
            "e-service",
        ],
    ),
    (
        Field::Agency,
        &[
            "หน่วยงาน",
            "หน่วยงานเจ้าของงานบริการ",
            "หน่วยงานเจ้าของบริการ",
            "ส่วนราชการ",
            "ส่วนราชการเจ้าของงานบริการ",
            "agency",
            "owning agency",
            "organization",
            "organisation",
        ],
    ),
    (
        Field::Version,
        &[
            "ฉบับที่",
            "ฉบับ",
            "เวอร์ชัน",
            "เวอร์ชั่น",
            "version",
            "document version",
            "revision",
        ],
    ),
];

/// The field a label names: the label as written, or its Thai part before an English note in
/// parentheses, or that note (`งานบริการ (service)`).
fn field(label: &str) -> Option<Field> {
    let label = label
        .trim()
        .trim_end_matches([':', '.'])
        .trim()
        .to_lowercase();
    let mut parts = vec![label.clone()];
    if let Some((before, after)) = label.split_once('(') {
        parts.push(before.trim().to_string());
        parts.push(after.trim_end_matches(')').trim().to_string());
    }
    LABELS.iter().find_map(|(field, labels)| {
        parts
            .iter()
            .any(|p| labels.contains(&p.as_str()))
            .then_some(*field)
    })
}

/// The main part of a value: before an English note in parentheses or a ` — ` aside.
fn main(value: &str) -> String {
    value
        .split(" (")
        .next()
        .unwrap_or("")
        .split(" — ")
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Where each `label:` of a known field starts in a text: a paragraph may hold several, as a
/// Markdown head of consecutive lines is one paragraph once rendered (or pasted into Word).
fn labels() -> &'static regex::Regex {
    static LABELS_AT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        let mut words: Vec<&str> = LABELS.iter().flat_map(|(_, l)| l.iter().copied()).collect();
        // The longest first, so `service code` is not read as `service`.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let alternatives: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
        regex::Regex::new(&format!(
            r"(?i)(?:^|\s)((?:{})(?:\s*\([^()]*\))?)\s*:",
            alternatives.join("|")
        ))
        .expect("the head's labels make a valid pattern")
    });
    &LABELS_AT
}

/// The `label: value` pairs of a head line or paragraph: it starts with a label (a sentence
/// that mentions a `version:` on the way is not the head).
pub fn line(proposal: &mut Proposal, text: &str) {
    let text = text.trim_start_matches(['-', '*', '•', ' ']);
    let found: Vec<(usize, usize, &str)> = labels()
        .captures_iter(text)
        .filter_map(|c| {
            let label = c.get(1)?;
            Some((label.start(), c.get(0)?.end(), label.as_str()))
        })
        .collect();
    if found.first().is_none_or(|(at, _, _)| *at != 0) {
        return;
    }
    for (i, (_, value_at, label)) in found.iter().enumerate() {
        let value_end = found.get(i + 1).map_or(text.len(), |next| next.0);
        pair(proposal, label, &text[*value_at..value_end]);
    }
}

/// A label and its value (a head line, or a row of the head table).
pub fn pair(proposal: &mut Proposal, label: &str, value: &str) -> bool {
    let Some(field) = field(label) else {
        return false;
    };
    let value = value.trim();
    let main = main(value);
    if main.is_empty() {
        return false;
    }
    match field {
        Field::Code => {
            proposal.service_code.get_or_insert(main);
        }
        Field::Name => {
            proposal.service_name_th.get_or_insert(main);
            // The English name in parentheses after the Thai one.
            let english = value
                .split_once(" (")
                .and_then(|(_, rest)| rest.strip_suffix(')'))
                .filter(|en| !en.chars().any(|c| ('\u{0E01}'..='\u{0E5B}').contains(&c)));
            if let Some(en) = english {
                proposal.service_name_en.get_or_insert(en.to_string());
            }
        }
        Field::Agency => {
            proposal.agency_th.get_or_insert(main);
        }
        Field::Version => {
            let version = main.split_whitespace().next().unwrap_or("").to_string();
            proposal.version.get_or_insert(version);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thai_and_english_labels_in_lines_and_pairs() {
        let mut p = Proposal::default();
        line(&mut p, "งานบริการ (service): ขอรับเงิน (Grant)");
        line(&mut p, "Service code: PAY");
        line(&mut p, "not a label: x");
        line(&mut p, "Our TLS version: 1.2 and error code: E001");
        assert_eq!(p.version, None, "a label mid-sentence is not the head");
        // Several in one paragraph (a Markdown head rendered, or pasted into Word).
        let mut q = Proposal::default();
        line(
            &mut q,
            "งานบริการ (service): ขอรับ (Grant) รหัสงานบริการ (service code): CSG หน่วยงาน: กรม ก ฉบับที่ (version): 1.0 — ร่าง",
        );
        assert_eq!(
            (q.service_name_th.as_deref(), q.service_name_en.as_deref()),
            (Some("ขอรับ"), Some("Grant"))
        );
        assert_eq!(q.service_code.as_deref(), Some("CSG"));
        assert_eq!(q.agency_th.as_deref(), Some("กรม ก"));
        assert_eq!(q.version.as_deref(), Some("1.0"));
        assert!(pair(&mut p, "ส่วนราชการ", "กรมตัวอย่าง (a note)"));
        assert!(pair(&mut p, "Version.", "0.3 draft"));
        assert!(!pair(&mut p, "ผู้จัดทำ", "someone"));
        assert_eq!(p.service_name_th.as_deref(), Some("ขอรับเงิน"));
        assert_eq!(p.service_name_en.as_deref(), Some("Grant"));
        assert_eq!(p.service_code.as_deref(), Some("PAY"));
        assert_eq!(p.agency_th.as_deref(), Some("กรมตัวอย่าง"));
        assert_eq!(p.version.as_deref(), Some("0.3"));
        // The first value given is kept.
        line(&mut p, "รหัสบริการ: OTHER");
        assert_eq!(p.service_code.as_deref(), Some("PAY"));
    }
}
