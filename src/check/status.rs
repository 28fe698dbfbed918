//! The status check: an exact code, a class like `4xx`, or a list of either (`[4xx, 5xx]`).

use crate::suite::StatusSpec;

impl StatusSpec {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            StatusSpec::Code(code) => *code == status,
            StatusSpec::List(items) => items.iter().any(|i| i.accepts(status)),
            StatusSpec::Class(class) => class_digit(class).is_some_and(|d| status / 100 == d),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            StatusSpec::Code(code) => code.to_string(),
            StatusSpec::List(items) => items
                .iter()
                .map(StatusSpec::describe)
                .collect::<Vec<_>>()
                .join(" | "),
            StatusSpec::Class(class) => class.clone(),
        }
    }

    /// Why the spec is not usable, if it is not.
    pub fn problem(&self) -> Option<String> {
        let bad = |c: &u16| !(100..=599).contains(c);
        match self {
            StatusSpec::Code(c) if bad(c) => Some(format!("{c} is not an HTTP status code")),
            StatusSpec::List(items) if items.is_empty() => Some("the status list is empty".into()),
            StatusSpec::List(items) => items.iter().find_map(StatusSpec::problem),
            StatusSpec::Class(class) if class_digit(class).is_none() => Some(format!(
                "`{class}` is not a status class (use 1xx, 2xx, 3xx, 4xx or 5xx)"
            )),
            _ => None,
        }
    }
}

fn class_digit(class: &str) -> Option<u16> {
    match class.to_ascii_lowercase().as_bytes() {
        [d @ b'1'..=b'5', b'x', b'x'] => Some(u16::from(d - b'0')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exact_list_and_class() {
        assert!(StatusSpec::Code(201).accepts(201));
        assert!(!StatusSpec::Code(201).accepts(200));
        let list =
            |codes: &[u16]| StatusSpec::List(codes.iter().map(|c| StatusSpec::Code(*c)).collect());
        assert!(list(&[200, 201]).accepts(200));
        assert!(!list(&[200, 201]).accepts(202));
        let classes = StatusSpec::List(vec![
            StatusSpec::Class("4xx".into()),
            StatusSpec::Class("5xx".into()),
        ]);
        assert!(classes.accepts(503) && classes.accepts(404) && !classes.accepts(302));
        assert!(StatusSpec::Class("4xx".into()).accepts(422));
        assert!(StatusSpec::Class("4XX".into()).accepts(400));
        assert!(!StatusSpec::Class("4xx".into()).accepts(500));
    }

    #[test]
    fn bad_specs_are_named() {
        assert!(StatusSpec::Code(42).problem().is_some());
        assert!(StatusSpec::Class("6xx".into()).problem().is_some());
        assert!(StatusSpec::List(vec![]).problem().is_some());
        assert!(StatusSpec::Class("2xx".into()).problem().is_none());
    }
}
