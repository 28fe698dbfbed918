//! Tables people read in a terminal, paste into a merge request, or open in a spreadsheet:
//! the same header and rows as console text (columns aligned by display width, Thai marks
//! taking no column), Markdown, or CSV (RFC 4180, with a BOM so spreadsheets read the Thai).

use unicode_width::UnicodeWidthStr;

use super::escape::{console_text, md_inline};

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
/// a spreadsheet would run as a formula is prefixed with `'` (CSV injection).
pub fn csv(header: &[String], body: &[Vec<String>]) -> String {
    let field = |s: &str| {
        let s = if s.starts_with(['=', '+', '-', '@']) {
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
