//! Renders a report document with the templates in `templates/` (minijinja): one
//! self-contained HTML file and a Markdown file, each in Thai or English.

use std::sync::OnceLock;

use minijinja::value::Serde;
use minijinja::{Environment, Value};

use super::document::{Document, Labels};

const HTML: &str = include_str!("templates/report.html.j2");
const MARKDOWN: &str = include_str!("templates/report.md.j2");
const LABELS: &str = include_str!("templates/labels.yaml");

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

/// The labels of `templates/labels.yaml` (checked by a test, so a broken file cannot ship).
pub fn labels() -> &'static Labels {
    static PARSED: OnceLock<Labels> = OnceLock::new();
    PARSED.get_or_init(|| serde_saphyr::from_str(LABELS).unwrap_or_default())
}

/// A Markdown table cell: `|` escaped, line breaks as `<br>`.
fn mdcell(value: String) -> String {
    value
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

pub fn render(doc: &Document, format: Format) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.add_filter("mdcell", mdcell);
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
        let labels: Labels = serde_saphyr::from_str(LABELS).expect("labels.yaml parses");
        assert!(labels.len() > 40);
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
