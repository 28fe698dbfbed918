//! Tables people read in a terminal, paste into a merge request, open in a spreadsheet or a
//! browser: the same header and rows as console text (columns aligned by display width, Thai
//! marks taking no column), Markdown, CSV (RFC 4180, with a BOM so spreadsheets read the Thai),
//! or a page of HTML.

use unicode_width::UnicodeWidthStr;

use super::escape::{console_text, html_text, md_inline};
use crate::i18n::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Console,
    Markdown,
    Csv,
    Html,
}

pub fn console(header: &[String], body: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            std::iter::once(&header[i])
                .chain(body.iter().filter_map(|r| r.get(i)))
                .map(|c| UnicodeWidthStr::width(console_text(c).as_str()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| super::console::pad(&console_text(c), *w))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    for row in body {
        out.push_str(&line(row));
    }
    out
}

pub fn markdown(header: &[String], body: &[Vec<String>]) -> String {
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| md_inline(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = row(header);
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for r in body {
        out.push_str(&row(r));
    }
    out
}

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. A field that
/// a spreadsheet would run as a formula is prefixed with `'` (CSV injection, OWASP's list: a
/// formula sign, also after spaces or in its full-width form, or a leading tab or CR).
pub fn csv(header: &[String], body: &[Vec<String>]) -> String {
    let formula = |s: &str| {
        s.starts_with(['\t', '\r'])
            || s.trim_start()
                .starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠'])
    };
    let field = |s: &str| {
        let s = if formula(s) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let row =
        |cells: &[String]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",") + "\r\n";
    let mut out = String::from("\u{feff}");
    out.push_str(&row(header));
    for r in body {
        out.push_str(&row(r));
    }
    out
}

/// What an HTML table page says above its table.
pub struct Page<'a> {
    pub lang: Lang,
    pub title: &'a str,
    /// Lines listed between the title and the table.
    pub notes: &'a [String],
    /// Cells on one line each (a matrix of marks), not wrapped (a table of text).
    pub nowrap: bool,
}

/// A page of its own (UTF-8, Thai fonts, the header repeated on every printed page); `class`
/// gives a cell its CSS class (`pass`, `fail` or none) from its text.
pub fn html(
    page: &Page,
    header: &[String],
    body: &[Vec<String>],
    class: impl Fn(&str) -> &'static str,
) -> String {
    let e = html_text;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n  html {{ font-family: \"TH Sarabun New\", \"Sarabun\", \"Laksaman\", \"Noto Sans Thai\", sans-serif; font-size: 17px; }}\n  table {{ border-collapse: collapse; }}\n  th, td {{ border: 1px solid #bbb; padding: .2rem .5rem; text-align: left; vertical-align: top; }}\n{}  thead {{ display: table-header-group; }}\n  .pass {{ color: #1b6e3a; }} .fail {{ color: #a11d1d; font-weight: bold; }}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        if page.lang == Lang::Th { "th" } else { "en" },
        e(page.title),
        if page.nowrap {
            "  td { white-space: nowrap; }\n"
        } else {
            ""
        },
        e(page.title)
    );
    if !page.notes.is_empty() {
        out.push_str("<ul>\n");
        for note in page.notes {
            out.push_str(&format!("  <li>{}</li>\n", e(note)));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<table>\n  <thead><tr>");
    for h in header {
        out.push_str(&format!("<th>{}</th>", e(h)));
    }
    out.push_str("</tr></thead>\n");
    for row in body {
        out.push_str("  <tr>");
        for c in row {
            match class(c) {
                "" => out.push_str(&format!("<td>{}</td>", e(c))),
                class => out.push_str(&format!("<td class=\"{class}\">{}</td>", e(c))),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let header = vec!["a".to_string(), "b".to_string()];
        let body = vec![vec!["=1+1".to_string(), "x, \"y\"".to_string()]];
        assert_eq!(
            csv(&header, &body),
            "\u{feff}a,b\r\n'=1+1,\"x, \"\"y\"\"\"\r\n"
        );
        for cell in ["\t=1", "\r=1", "  =1", "＝1", "@SUM(A1)"] {
            let body = vec![vec![cell.to_string(), "ok".to_string()]];
            let line = csv(&header, &body).lines().nth(1).unwrap().to_string();
            assert!(
                line.starts_with("'") || line.starts_with("\"'"),
                "{cell:?}: {line:?}"
            );
        }
    }

    #[test]
    fn console_columns_align_by_display_width() {
        let header = vec!["ข้อ".to_string(), "ผล".to_string()];
        let body = vec![vec!["TP-2.1".to_string(), "ไม่ผ่าน".to_string()]];
        let text = console(&header, &body);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ข้อ      ผล");
        assert_eq!(lines[1], "TP-2.1  ไม่ผ่าน");
    }
}
