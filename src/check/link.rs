//! The `Link` header (RFC 8288 §3): `<uri>; rel="next"; title="…", <uri2>; rel="prev last"`.
//! A link's `rel` may name several relation types, compared without case; commas and
//! semicolons inside `<…>` or quoted strings do not split. Pure.

/// One link: its target as written (maybe relative) and its relation types, lower case.
#[derive(Debug, PartialEq)]
pub struct Link {
    pub target: String,
    pub rels: Vec<String>,
}

/// Splits at `sep` outside `<…>` and `"…"` (with `\` escapes in quotes).
fn split(text: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut angle, mut quote, mut escaped) = (0, false, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote => escaped = true,
            '"' if !angle => quote = !quote,
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            c if c == sep && !angle && !quote => {
                out.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// The links of a `Link` header value (several headers joined with `, `); what is not a link
/// is left out.
pub fn parse(header: &str) -> Vec<Link> {
    split(header, ',')
        .into_iter()
        .filter_map(|item| {
            let mut parts = split(item.trim(), ';').into_iter();
            let target = parts
                .next()?
                .trim()
                .strip_prefix('<')?
                .strip_suffix('>')?
                .to_string();
            let mut rels = Vec::new();
            for param in parts {
                let Some((name, value)) = param.split_once('=') else {
                    continue;
                };
                // The first `rel` counts (RFC 8288 §3.3).
                if name.trim().eq_ignore_ascii_case("rel") && rels.is_empty() {
                    let value = value.trim();
                    let value = value
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(value);
                    rels = value
                        .split_ascii_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect();
                }
            }
            Some(Link { target, rels })
        })
        .collect()
}

/// The target of the first link with relation `rel`.
pub fn target(header: &str, rel: &str) -> Option<String> {
    let rel = rel.to_ascii_lowercase();
    parse(header)
        .into_iter()
        .find(|l| l.rels.contains(&rel))
        .map(|l| l.target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_8288_examples() {
        // §3.5's examples.
        assert_eq!(
            parse(
                r#"<http://example.com/TheBook/chapter2>; rel="previous"; title="previous chapter""#
            ),
            [Link {
                target: "http://example.com/TheBook/chapter2".into(),
                rels: vec!["previous".into()]
            }]
        );
        assert_eq!(
            target(
                r#"</>; rel="http://example.net/foo""#,
                "http://example.net/foo"
            )
            .as_deref(),
            Some("/")
        );
        let two = r#"</TheBook/chapter2>; rel="previous"; title*=UTF-8'de'letztes%20Kapitel, </TheBook/chapter4>; rel="next"; title*=UTF-8'de'n%c3%a4chstes%20Kapitel"#;
        assert_eq!(target(two, "next").as_deref(), Some("/TheBook/chapter4"));
        assert_eq!(
            target(two, "previous").as_deref(),
            Some("/TheBook/chapter2")
        );
        let multi = r#"<http://example.org/>; rel="start http://example.net/relation/other""#;
        assert_eq!(
            target(multi, "START").as_deref(),
            Some("http://example.org/")
        );
        assert_eq!(
            target(multi, "http://example.net/relation/other").as_deref(),
            Some("http://example.org/")
        );
    }

    #[test]
    fn commas_and_semicolons_in_targets_and_quotes_do_not_split() {
        let h = r#"<https://api.example/items?page=2;x=1,2>; title="a, b; c"; rel=next, <https://api.example/items?page=9>; rel="last""#;
        assert_eq!(
            target(h, "next").as_deref(),
            Some("https://api.example/items?page=2;x=1,2")
        );
        assert_eq!(
            target(h, "last").as_deref(),
            Some("https://api.example/items?page=9")
        );
        assert_eq!(target(h, "prev"), None);
        assert_eq!(target("not a link", "next"), None);
    }
}
