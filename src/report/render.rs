//! Renders a report document with the templates in `templates/` (minijinja): one
//! self-contained HTML file and a Markdown file, each in Thai or English.

use std::sync::OnceLock;

use minijinja::value::Serde;
use minijinja::{Environment, Value};

use super::document::{Document, Labels};
use super::escape;

const HTML: &str = include_str!("templates/report.html.j2");
const MARKDOWN: &str = include_str!("templates/report.md.j2");
/// Every heading and fixed phrase of the reports, Thai and English: wording is edited there,
/// layout in the templates. JSON, not YAML: it is read at every run that writes a report,
/// and the YAML reader took a fifth of a one-case run's instructions for it.
const LABELS: &str = include_str!("templates/labels.json");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Markdown => "md",
        }
    }
}

/// The labels of `templates/labels.json` (checked by a test, so a broken file cannot ship).
pub fn labels() -> &'static Labels {
    static PARSED: OnceLock<Labels> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(LABELS).unwrap_or_default())
}

/// A Markdown code block of the text (an exchange), fenced past any backticks inside.
fn code_block(value: String) -> Value {
    Value::from_safe_string(escape::md_code_block(&value))
}

pub fn render(doc: &Document, format: Format) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.add_filter("code_block", code_block);
    if format == Format::Markdown {
        // Every value is text, never Markdown or HTML: what the target sent cannot become
        // markup (`<!--` would hide the rest of the report).
        env.set_formatter(|out, state, value| {
            if value.is_safe() || value.is_none() {
                return minijinja::escape_formatter(out, state, value);
            }
            out.write_str(&escape::md_inline(&value.to_string()))
                .map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write"))
        });
    }
    // The name decides auto-escaping: HTML is escaped, Markdown is not.
    let (name, source) = match format {
        Format::Html => ("report.html", HTML),
        Format::Markdown => ("report.md", MARKDOWN),
    };
    env.add_template(name, source)?;
    env.get_template(name)?.render(Value::from(Serde(doc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_thai_and_english() {
        let labels: Labels = serde_json::from_str(LABELS).expect("labels.json parses");
        assert!(labels.len() > 40);
        // One label a line: a key written twice would be lost silently by the map.
        assert_eq!(LABELS.matches(": { \"th\": ").count(), labels.len());
        for (key, texts) in &labels {
            for lang in ["th", "en"] {
                assert!(
                    texts.get(lang).is_some_and(|t| !t.is_empty()),
                    "{key} has no {lang}"
                );
            }
        }
    }
}
