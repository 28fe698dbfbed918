//! Which language a clause's text is in: Thai text goes to `text_th`, English to `text_en`. A
//! Thai clause names English terms (`Token`, `HTTP`) and is still Thai; a cell holding a Thai
//! line and its English translation — separate lines, or `ไทย / English` — is split. Pure.

fn is_thai(c: char) -> bool {
    ('\u{0E01}'..='\u{0E5B}').contains(&c)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Script {
    Thai,
    English,
    /// Numbers, codes, punctuation: neither language on its own.
    Neither,
}

fn script(text: &str) -> Script {
    if text.chars().any(is_thai) {
        return Script::Thai;
    }
    // English prose: at least three plain words (letters, maybe ending a sentence or clause),
    // and they are at least half of what is written. `Content-Type: application/json` or a list
    // of header names is not prose.
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let words = tokens
        .iter()
        .filter(|t| {
            let w = t.trim_end_matches(['.', ',', ';', ':', '!', '?']);
            w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic() || c == '\'')
        })
        .count();
    if words >= 3 && words * 2 >= tokens.len() {
        Script::English
    } else {
        Script::Neither
    }
}

/// A cell's lines as (Thai, English): either may be absent.
pub fn split(lines: &[String]) -> (Option<String>, Option<String>) {
    let mut segments: Vec<(Script, &str)> = Vec::new();
    for line in lines {
        // `ไทย / English` on one line: split only when the two halves are the two languages.
        let halves = line
            .split_once(" / ")
            .filter(|(a, b)| script(a) == Script::Thai && script(b) == Script::English);
        match halves {
            Some((th, en)) => segments.extend([(Script::Thai, th), (Script::English, en)]),
            None => segments.push((script(line), line)),
        }
    }
    let any = |s: Script| segments.iter().any(|(x, _)| *x == s);
    let join = |parts: Vec<&str>| {
        let text = parts
            .iter()
            .flat_map(|p| p.split_whitespace())
            .collect::<Vec<_>>()
            .join(" ");
        (!text.is_empty()).then_some(text)
    };
    match (any(Script::Thai), any(Script::English)) {
        (true, true) => {
            // A line of neither language belongs with the one before it (or after, first).
            let mut current = segments
                .iter()
                .map(|(s, _)| *s)
                .find(|s| *s != Script::Neither)
                .unwrap_or(Script::Thai);
            let (mut th, mut en) = (Vec::new(), Vec::new());
            for (s, text) in segments {
                if s != Script::Neither {
                    current = s;
                }
                if current == Script::Thai {
                    th.push(text);
                } else {
                    en.push(text);
                }
            }
            (join(th), join(en))
        }
        (false, true) => (None, join(segments.into_iter().map(|(_, t)| t).collect())),
        _ => (join(segments.into_iter().map(|(_, t)| t).collect()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn thai_with_english_terms_stays_thai() {
        let (th, en) = split(&lines(&["ต้องตรวจ header Token ทุกครั้ง ตอบ 401"]));
        assert_eq!(th.as_deref(), Some("ต้องตรวจ header Token ทุกครั้ง ตอบ 401"));
        assert_eq!(en, None);
    }

    #[test]
    fn lines_and_slashes_of_two_languages_are_split() {
        let (th, en) = split(&lines(&[
            "ตอบภายใน 3 วินาที",
            "`{\"code\": 1}`",
            "Answers within three seconds.",
            "p95 <= 3000",
        ]));
        assert_eq!(th.as_deref(), Some("ตอบภายใน 3 วินาที `{\"code\": 1}`"));
        assert_eq!(
            en.as_deref(),
            Some("Answers within three seconds. p95 <= 3000")
        );
        let (th, en) = split(&lines(&["ตอบ 200 / answers with 200 OK"]));
        assert_eq!(
            (th.as_deref(), en.as_deref()),
            (Some("ตอบ 200"), Some("answers with 200 OK"))
        );
        // Not two languages: a slash inside Thai text stays.
        let (th, en) = split(&lines(&["ตอบ 200 / 201"]));
        assert_eq!((th.as_deref(), en), (Some("ตอบ 200 / 201"), None));
    }

    #[test]
    fn technical_lines_in_a_thai_clause_stay_thai() {
        let (th, en) = split(&lines(&[
            "ตอบเป็น JSON โดยมี header",
            "Content-Type: application/json; charset=utf-8",
            "X-Client-Id, X-Client-Secret, X-Request-Id",
        ]));
        assert_eq!(en, None);
        assert!(th.unwrap().ends_with("X-Request-Id"));
    }

    #[test]
    fn english_only_text_is_english() {
        let (th, en) = split(&lines(&["Must reject a missing token."]));
        assert_eq!(
            (th, en.as_deref()),
            (None, Some("Must reject a missing token."))
        );
    }
}
