//! A user's mistake is a message with a place: `file:line:col`, the source line and a caret.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthStr;

/// A position in a suite file (1-based line and column, columns counted in characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub file: PathBuf,
    pub line: u64,
    pub column: u64,
}

impl Place {
    pub fn new(file: &Path, line: u64, column: u64) -> Self {
        Self {
            file: file.to_path_buf(),
            line,
            column,
        }
    }

    /// The place of a node deserialized with spans.
    pub fn of(file: &Path, location: &serde_saphyr::Location) -> Self {
        Self::new(file, location.line(), location.column())
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One problem found in a suite, with the place it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub place: Option<Place>,
    /// What to say under the caret, if anything.
    pub label: Option<String>,
}

impl Diagnostic {
    pub fn at(place: Place, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            place: Some(place),
            label: None,
        }
    }

    pub fn nowhere(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            place: None,
            label: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Renders rustc-style, given the text of the file the place points into:
    ///
    /// ```text
    /// error: unknown key `stauts`
    ///   --> suites/csg/cases/03-health.yaml:9:9
    ///    |
    ///  9 |         stauts: 200
    ///    |         ^ expected one of ...
    /// ```
    pub fn render(&self, source: Option<&str>) -> String {
        let mut out = format!(
            "error: {}\n",
            crate::redact::cut(&self.message, MESSAGE_LIMIT)
        );
        let Some(place) = &self.place else {
            return out;
        };
        out.push_str(&format!("  --> {place}\n"));
        let line_text = source.and_then(|s| s.lines().nth(place.line.saturating_sub(1) as usize));
        if let Some(text) = line_text {
            let number = place.line.to_string();
            let gutter = " ".repeat(number.len());
            let caret = place.column.saturating_sub(1) as usize;
            let (text, caret) = window(text, caret);
            // Thai vowels and tone marks have zero display width: place the caret by width,
            // not by character count.
            let prefix: String = text.chars().take(caret).collect();
            let pad = " ".repeat(UnicodeWidthStr::width(prefix.as_str()));
            out.push_str(&format!(
                " {gutter} |\n {number} | {text}\n {gutter} | {pad}^"
            ));
            if let Some(label) = &self.label {
                out.push(' ');
                out.push_str(label);
            }
            out.push('\n');
        }
        out
    }
}

/// A message is shown up to this many characters.
const MESSAGE_LIMIT: usize = 1000;
/// A source line longer than this is shown as a window around the caret.
const LINE_WINDOW: usize = 100;

/// The part of a long line around the caret (`…` where it is cut), and the caret's character
/// index in it.
fn window(line: &str, caret: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= LINE_WINDOW {
        return (line.to_string(), caret);
    }
    let caret = caret.min(chars.len());
    let start = caret.saturating_sub(LINE_WINDOW / 2);
    let end = (start + LINE_WINDOW).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret - start + usize::from(start > 0))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(place) => write!(f, "{place}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_is_placed_by_display_width() {
        // "ชื่อ" is 4 chars but 3 columns wide (U+0E37 and U+0E48 are zero-width marks).
        let src = "title_th: ชื่อ bad\n";
        let d =
            Diagnostic::at(Place::new(Path::new("a.yaml"), 1, 16), "bad value").with_label("here");
        let text = d.render(Some(src));
        let expected = format!(
            "error: bad value\n  --> a.yaml:1:16\n   |\n 1 | title_th: ชื่อ bad\n   | {}^ here\n",
            " ".repeat(13)
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn a_long_line_is_shown_around_the_caret() {
        let src = format!("{}BAD{}", "a".repeat(5000), "b".repeat(5000));
        let d = Diagnostic::at(Place::new(Path::new("a.yaml"), 1, 5001), "here");
        let text = d.render(Some(&src));
        assert!(text.len() < 400, "{}", text.len());
        let lines: Vec<&str> = text.lines().collect();
        let code = lines[3][..lines[3].find("BAD").unwrap()].chars().count();
        assert_eq!(lines[4].find('^'), Some(code), "{text}");
    }

    #[test]
    fn no_source_line_means_no_snippet() {
        let d = Diagnostic::at(Place::new(Path::new("a.yaml"), 7, 1), "gone");
        assert_eq!(d.render(None), "error: gone\n  --> a.yaml:7:1\n");
    }
}
