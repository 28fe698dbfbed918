//! Escaping for each output format. Whatever the target sent is text to show, never markup: it
//! cannot close a CDATA section, add a JUnit element, end a Markdown code block, start an HTML
//! comment that hides the verdict, or move a terminal's cursor.

/// Text XML 1.0 can hold: characters it forbids (controls, U+FFFE, U+FFFF) are written as
/// `\u{..}`, visibly.
pub fn xml_text(text: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    if text.chars().all(allowed) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if allowed(c) {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", c as u32)
            }
        })
        .collect()
}

/// Content for a CDATA section written as `<![CDATA[` + this + `]]>`: XML-safe, and each `]]>`
/// split across two sections so it cannot end the first.
pub fn cdata_content(text: &str) -> String {
    xml_text(text).replace("]]>", "]]]]><![CDATA[>")
}

/// A Markdown code block holding `text` verbatim: fenced with more backticks than any run of
/// backticks inside it.
pub fn md_code_block(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}\n{}\n{fence}", xml_text(text))
}

/// Text inside a Markdown paragraph, list item or table cell: shown as written, never as
/// markup (`<!--` would hide the rest of the report; `|` would end a cell; a line break would
/// end a row).
pub fn md_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in xml_text(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Text inside HTML (an element's content or a quoted attribute): shown as written.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in xml_text(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for a terminal line: control characters (escape sequences, carriage returns, line
/// breaks) and bidirectional overrides are shown as `\u{..}`, so the target cannot paint,
/// rewrite or reorder the console.
pub fn console_text(text: &str) -> String {
    escape_where(text, hides_on_terminal)
}

/// `text` with each character `hide` picks written as `\u{..}` (the text itself when none is).
pub fn escape_where(text: &str, hide: impl Fn(char) -> bool) -> String {
    if !text.chars().any(&hide) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if hide(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A control character (escape sequences, a carriage return that overwrites the line) or a
/// bidirectional override, which makes a terminal show text in another order than it is
/// (U+202E turns `gpj.exe` into what reads as `exe.jpg`).
fn hides_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{61C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_cannot_be_closed_and_forbidden_characters_are_shown() {
        assert_eq!(cdata_content("a]]>b"), "a]]]]><![CDATA[>b");
        assert_eq!(xml_text("a\u{1}b\u{FFFE}"), "a\\u{1}b\\u{fffe}");
        assert_eq!(xml_text("ไทย\t\n"), "ไทย\t\n");
    }

    #[test]
    fn code_blocks_are_fenced_past_any_backtick_run() {
        assert_eq!(md_code_block("x"), "```\nx\n```");
        assert_eq!(md_code_block("```\n`````"), "``````\n```\n`````\n``````");
    }

    #[test]
    fn inline_markdown_is_text() {
        assert_eq!(md_inline("<!-- a|b\n*c*"), "&lt;!-- a\\|b<br>\\*c\\*");
        assert_eq!(md_inline("TP-2.2 ผ่าน"), "TP-2.2 ผ่าน");
    }

    #[test]
    fn console_text_shows_controls() {
        assert_eq!(console_text("a\u{1b}[2Jb\rc"), "a\\u{1b}[2Jb\\u{d}c");
        assert_eq!(console_text("x\u{202E}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(console_text("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        // Thai (with its zero-width space) is left as it is.
        assert_eq!(console_text("ผ่าน\u{200B}ไม่ผ่าน"), "ผ่าน\u{200B}ไม่ผ่าน");
    }
}
