//! Reads what an expression uses before minijinja compiles it: the forms whose argument is a
//! name cpc resolves itself (`answer.json('$.a')`, `finished_at('step')`, `env.NAME`) become
//! placeholders filled in before evaluation, so validation can name each use at its place, and
//! a function or filter cpc does not know is refused when the suite is read, not mid-run.

use super::{AnswerPart, Expr};

/// Functions an expression may call (see `functions.rs`).
pub const FUNCTIONS: &[&str] = &["uuid", "citizen_id", "now", "today"];

/// Filters an expression may use: cpc's own, then minijinja's built-ins that it documents.
pub const FILTERS: &[&str] = &[
    // cpc's own
    "base64",
    "base64url",
    "base64_decode",
    "base64url_decode",
    "hex",
    "sha256",
    "hmac_sha256",
    "urlencode",
    "json",
    "unix",
    "unix_ms",
    "rfc3339",
    "http_date",
    "be_date",
    "thai_date",
    // minijinja's
    "abs",
    "default",
    "first",
    "float",
    "int",
    "join",
    "last",
    "length",
    "lower",
    "max",
    "min",
    "replace",
    "reverse",
    "round",
    "sort",
    "string",
    "sum",
    "trim",
    "unique",
    "upper",
];

/// Words of the language that are not variables.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "if", "else", "true", "false", "none", "True", "False", "None",
];

/// An expression as minijinja compiles it, and what it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned {
    /// The expression with each special form replaced by `placeholder(i)`.
    pub source: String,
    /// The special forms, by placeholder index.
    pub specials: Vec<Expr>,
    /// Every `env.NAME`.
    pub env: Vec<String>,
    /// Every function called.
    pub calls: Vec<String>,
    /// Variables in order of first appearance.
    pub vars: Vec<String>,
}

/// Where the `}}` that ends an expression is in `text` (what follows its `{{`): the first one
/// outside a string literal.
pub fn closing(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut quote = None;
    let mut i = 0;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (Some(_), b'\\') => i += 1,
            (Some(q), b) if b == q => quote = None,
            (None, b'\'' | b'"') => quote = Some(bytes[i]),
            (None, b'}') if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

pub fn placeholder(i: usize) -> String {
    format!("__cpc_{i}")
}

#[derive(Clone, Debug, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(String),
    Punct(char),
    Other,
}

struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
    end: usize,
}

fn tokens(src: &str) -> Result<Vec<Token<'_>>, String> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c == b'\'' || c == b'"' {
            let mut text = String::new();
            i += 1;
            loop {
                let Some(&b) = bytes.get(i) else {
                    return Err("unclosed string".into());
                };
                if b == c {
                    i += 1;
                    break;
                }
                if b == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                let ch_len = utf8_len(bytes[i]);
                text.push_str(&src[i..i + ch_len]);
                i += ch_len;
            }
            Tok::Str(text)
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Tok::Ident(&src[start..i])
        } else if c.is_ascii_digit() {
            // `1_000`, `2.5`, `1e-3`: not `2is`, which is a number and a word.
            while i < bytes.len() {
                match bytes[i] {
                    b'0'..=b'9' | b'_' | b'.' => i += 1,
                    b'e' | b'E'
                        if bytes
                            .get(i + 1)
                            .is_some_and(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+') =>
                    {
                        i += 2
                    }
                    _ => break,
                }
            }
            Tok::Other
        } else if c.is_ascii() {
            i += 1;
            Tok::Punct(c as char)
        } else {
            i += utf8_len(c);
            Tok::Other
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

const ANSWER_FORMS: &str = "answer.sha256, answer.md5, answer.size, answer.status, answer.header('Name'), answer.json('$.path'), answer.xpath('/path')";

pub fn scan(src: &str) -> Result<Scanned, String> {
    let toks = tokens(src)?;
    let at = |i: usize| toks.get(i).map(|t| &t.tok);
    // `( 'text' )` at i: the text and the index after `)`.
    let quoted_arg = |i: usize| match (at(i), at(i + 1), at(i + 2)) {
        (Some(Tok::Punct('(')), Some(Tok::Str(s)), Some(Tok::Punct(')'))) => {
            Some((s.clone(), i + 3))
        }
        _ => None,
    };
    let mut out = Scanned {
        source: String::new(),
        specials: Vec::new(),
        env: Vec::new(),
        calls: Vec::new(),
        vars: Vec::new(),
    };
    let mut copied = 0;
    let mut i = 0;
    while i < toks.len() {
        let after_dot = i > 0 && at(i - 1) == Some(&Tok::Punct('.'));
        let after_bar = i > 0 && at(i - 1) == Some(&Tok::Punct('|'));
        let Tok::Ident(name) = &toks[i].tok else {
            i += 1;
            continue;
        };
        let name = *name;
        if after_dot {
            i += 1;
            continue;
        }
        if after_bar {
            if !FILTERS.contains(&name) {
                return Err(format!(
                    "unknown filter `{name}` (known: {}, and `raw` last in a path)",
                    FILTERS.join(", ")
                ));
            }
            i += 1;
            continue;
        }
        let special = match name {
            "answer" => Some(answer(&toks, i, &quoted_arg)?),
            "finished_at" => {
                let (step, end) = quoted_arg(i + 1).ok_or(
                    "`finished_at('step name')` takes the name of an earlier step, in quotes",
                )?;
                Some((Expr::FinishedAt(step), end))
            }
            _ => None,
        };
        if let Some((expr, end)) = special {
            out.source.push_str(&src[copied..toks[i].start]);
            out.source.push_str(&placeholder(out.specials.len()));
            out.specials.push(expr);
            copied = toks[end - 1].end;
            i = end;
            continue;
        }
        match (name, at(i + 1), at(i + 2)) {
            ("env", Some(Tok::Punct('.')), Some(Tok::Ident(var))) => out.env.push(var.to_string()),
            ("env", ..) => return Err("the environment is read as `env.NAME`".into()),
            ("is", ..) => return Err("tests (`is …`) are not part of cpc's expressions".into()),
            _ if KEYWORDS.contains(&name) => {}
            (_, Some(Tok::Punct('(')), _) => {
                if !FUNCTIONS.contains(&name) {
                    return Err(format!(
                        "unknown function `{name}()` (known: {})",
                        FUNCTIONS
                            .iter()
                            .map(|f| format!("{f}()"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                out.calls.push(name.to_string());
            }
            // A keyword argument's name (`pad=false`), not `==`.
            (_, Some(Tok::Punct('=')), next) if next != Some(&Tok::Punct('=')) => {}
            _ if !out.vars.iter().any(|v| v == name) => out.vars.push(name.to_string()),
            _ => {}
        }
        i += 1;
    }
    out.source.push_str(&src[copied..]);
    Ok(out)
}

/// `answer.…` at `i`: what it reads and the index after it.
fn answer(
    toks: &[Token<'_>],
    i: usize,
    quoted_arg: &dyn Fn(usize) -> Option<(String, usize)>,
) -> Result<(Expr, usize), String> {
    let part = match (
        toks.get(i + 1).map(|t| &t.tok),
        toks.get(i + 2).map(|t| &t.tok),
    ) {
        (Some(Tok::Punct('.')), Some(Tok::Ident(part))) => *part,
        _ => return Err(format!("`answer` is read as one of {ANSWER_FORMS}")),
    };
    let simple = match part {
        "sha256" => Some(AnswerPart::Sha256),
        "md5" => Some(AnswerPart::Md5),
        "size" => Some(AnswerPart::Size),
        "status" => Some(AnswerPart::Status),
        _ => None,
    };
    if let Some(simple) = simple {
        return Ok((Expr::Answer(simple), i + 3));
    }
    let (arg, end) = quoted_arg(i + 3).ok_or_else(|| {
        format!("`answer.{part}` is not something cpc reads from an answer ({ANSWER_FORMS})")
    })?;
    let part = match part {
        "header" => AnswerPart::Header(arg),
        "json" => {
            serde_json_path::JsonPath::parse(&arg)
                .map_err(|e| format!("invalid JSONPath `{arg}`: {e}"))?;
            AnswerPart::Json(arg)
        }
        "xpath" => AnswerPart::Xpath(arg),
        _ => {
            return Err(format!(
                "`answer.{part}(…)` is not something cpc reads from an answer ({ANSWER_FORMS})"
            ));
        }
    };
    Ok((Expr::Answer(part), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_forms_become_placeholders() {
        let s = scan("answer.json('$.a') * 2 + finished_at(\"submit\") | length").unwrap();
        assert_eq!(s.source, "__cpc_0 * 2 + __cpc_1 | length");
        assert_eq!(
            s.specials,
            vec![
                Expr::Answer(AnswerPart::Json("$.a".into())),
                Expr::FinishedAt("submit".into())
            ]
        );
    }

    #[test]
    fn strings_are_not_names() {
        let s = scan("'answer.x | nope(' ~ env.HOME ~ fee").unwrap();
        assert_eq!(s.env, vec!["HOME"]);
        assert_eq!(s.vars, vec!["fee"]);
        let s = scan("a[0:3] ~ b | base64url(pad=false) if c == none and not d else e").unwrap();
        assert_eq!(s.vars, vec!["a", "b", "c", "d", "e"]);
        assert!(s.specials.is_empty());
    }

    #[test]
    fn unknown_functions_and_filters_are_refused() {
        assert!(
            scan("rand()")
                .unwrap_err()
                .contains("unknown function `rand()`")
        );
        assert!(
            scan("x | upper | evil")
                .unwrap_err()
                .contains("unknown filter `evil`")
        );
        assert!(scan("answer.body").unwrap_err().contains("answer.sha256"));
        assert!(scan("answer.json($.a)").is_err());
        assert!(scan("env").is_err());
        assert!(scan("'open").is_err());
        // A method of a value is not a function; a keyword before `(` is not one either.
        assert!(scan("name.upper()").is_ok());
        assert_eq!(scan("'a' if not(1 > 2) else b").unwrap().vars, vec!["b"]);
        // Numbers with `_` and exponents are numbers; `2is` is a number and a word.
        assert!(scan("1_000 + 1e-3 + 2.5").unwrap().vars.is_empty());
        assert!(scan("2is defined").is_err());
    }

    #[test]
    fn an_expression_ends_at_a_closing_pair_outside_strings() {
        assert_eq!(closing(" '}}' }} rest"), Some(6));
        assert_eq!(closing(r#" "a\"}}" }}"#), Some(9));
        assert_eq!(closing(" 'open }}"), None);
    }
}
