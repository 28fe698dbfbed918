//! Case files parsed on every core. Reading YAML is most of loading a big suite, and most of
//! starting a run of one: files parse side by side, and a big file in pieces, each piece a run
//! of whole cases from the file's `cases:` list. A piece is padded with blank lines to start on
//! its own line, so every place is the file's. A file whose layout leaves any doubt (anchors,
//! several documents, other keys) parses whole, and so does one where a piece fails: its
//! problems are the whole file's, exactly.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::load::parse_yaml;
use super::model::CasesDocument;
use crate::diagnostic::Diagnostic;

/// Below this, a file is one piece: splitting costs more than it saves.
const SPLIT_FROM_BYTES: usize = 64 * 1024;
/// A piece holds at least this many lines.
const PIECE_LINES: usize = 2000;

/// Each file's cases, or its problem, in the order given.
pub fn parse_case_files(files: &[(PathBuf, String)]) -> Vec<Result<CasesDocument, Diagnostic>> {
    // Work: (file, piece text), pieces of a file in order.
    let mut work: Vec<(usize, String)> = Vec::new();
    let threads = threads();
    for (f, (_, text)) in files.iter().enumerate() {
        match pieces(text, threads) {
            Some(pieces) => work.extend(pieces.into_iter().map(|p| (f, p))),
            None => work.push((f, text.clone())),
        }
    }
    let parsed = in_parallel(&work, |(f, text)| {
        parse_yaml::<CasesDocument>(&files[*f].0, text)
    });
    let mut out: Vec<Option<Result<CasesDocument, Diagnostic>>> =
        files.iter().map(|_| None).collect();
    for ((f, _), result) in work.iter().zip(parsed) {
        let slot = &mut out[*f];
        *slot = match (slot.take(), result) {
            (None, result) => Some(result),
            (Some(Ok(mut doc)), Ok(more)) => {
                doc.cases.extend(more.cases);
                doc.generate.extend(more.generate);
                Some(Ok(doc))
            }
            (Some(Err(e)), _) | (Some(Ok(_)), Err(e)) => Some(Err(e)),
        };
    }
    out.into_iter()
        .zip(files)
        .map(|(result, (path, text))| match result {
            Some(Ok(doc)) => Ok(doc),
            // A piece failed: the whole file's first problem, as a sequential read gives it.
            _ => whole(path, text),
        })
        .collect()
}

fn whole(path: &Path, text: &str) -> Result<CasesDocument, Diagnostic> {
    parse_yaml::<CasesDocument>(path, text)
}

/// Runs `job` on every item, on as many threads as there are cores, results in item order.
fn in_parallel<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads().min(items.len());
    if threads <= 1 {
        return items.iter().map(job).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = job(item);
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A big `cases:` file as pieces of whole cases for `threads` threads, or `None` when its
/// layout is not plainly `cases:` then items at one indentation.
fn pieces(text: &str, threads: usize) -> Option<Vec<String>> {
    if threads < 2 || text.len() < SPLIT_FROM_BYTES || has_anchor_or_alias(text) {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let is_gap = |line: &str| {
        let t = line.trim();
        t.is_empty() || t.starts_with('#')
    };
    let head = lines.iter().position(|l| !is_gap(l))?;
    if lines[head].trim_end() != "cases:" {
        return None;
    }
    let first = head + 1 + lines[head + 1..].iter().position(|l| !is_gap(l))?;
    let indent = lines[first].len() - lines[first].trim_start_matches(' ').len();
    let mut starts = Vec::new();
    for (n, line) in lines.iter().enumerate().skip(first) {
        if line.starts_with('\t') || line.starts_with("---") || line.starts_with("...") {
            return None;
        }
        if is_gap(line) {
            continue;
        }
        let own = line.len() - line.trim_start_matches(' ').len();
        match own.cmp(&indent) {
            std::cmp::Ordering::Less => return None,
            std::cmp::Ordering::Equal => {
                let item = &line[own..];
                if !(item == "-" || item.starts_with("- ")) {
                    return None;
                }
                starts.push(n);
            }
            std::cmp::Ordering::Greater => {}
        }
    }
    // Whole cases per piece, as many pieces of at least PIECE_LINES as make a multiple of the
    // threads, of about equal length: every thread has the same lines to read and none waits
    // at the end for another's last piece.
    let rounds = (lines.len() - first) / (threads * PIECE_LINES);
    let parts = threads * rounds;
    if parts < 2 {
        return None;
    }
    let each = (lines.len() - first) / parts;
    let mut bounds = vec![first];
    for &start in &starts {
        if bounds.len() < parts && start >= first + bounds.len() * each {
            bounds.push(start);
        }
    }
    bounds.push(lines.len());
    Some(
        bounds
            .windows(2)
            .map(|w| {
                // Line numbers are 1-based: `cases:` on line 1, blank lines up to the piece.
                let mut piece = String::from("cases:\n");
                piece.push_str(&"\n".repeat(w[0] - 1));
                piece.push_str(&lines[w[0]..w[1]].join("\n"));
                piece
            })
            .collect(),
    )
}

/// `&name` or `*name` where a node may start: a piece could lose the anchor an alias needs.
fn has_anchor_or_alias(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        (b == b'&' || b == b'*')
            && bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_' || *n == b'-')
            && (i == 0 || matches!(bytes[i - 1], b' ' | b'\n' | b'[' | b'{' | b','))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(i: usize) -> String {
        format!(
            "  - id: C-{i:05}\n    title_th: ทดสอบ {i}\n    requirements: [R-1]\n    # a comment\n    steps:\n      - request: {{ method: GET, path: /x }}\n        expect:\n          status: 200\n          body:\n            $.items[*].id: {{ exists: true }}\n\n"
        )
    }

    fn file(n: usize) -> String {
        format!("# cases\ncases:\n{}", (0..n).map(case).collect::<String>())
    }

    #[test]
    fn a_big_file_in_pieces_reads_as_it_does_whole() {
        let text = file(3000);
        let path = PathBuf::from("cases/big.yaml");
        let pieces = pieces(&text, 2).expect("split");
        // 33,000 lines: 16 pieces of about 2060 lines for two threads.
        assert_eq!(pieces.len(), 16);
        // Each piece's own lines, after `cases:` and the blank lines that keep its places.
        let lines: Vec<usize> = pieces
            .iter()
            .map(|p| p.lines().skip(1).skip_while(|l| l.is_empty()).count())
            .collect();
        assert!(
            lines.iter().all(|&n| (2000..2100).contains(&n)),
            "{lines:?}"
        );
        let split = parse_case_files(&[(path.clone(), text.clone())])
            .remove(0)
            .unwrap()
            .cases;
        let whole = whole(&path, &text).unwrap().cases;
        assert_eq!(split.len(), 3000);
        for (a, b) in split.iter().zip(&whole) {
            assert_eq!(a.value.id.value, b.value.id.value);
            assert_eq!(a.referenced.line(), b.referenced.line());
            assert_eq!(a.value.id.referenced.line(), b.value.id.referenced.line());
            assert_eq!(
                a.value.id.referenced.column(),
                b.value.id.referenced.column()
            );
        }
    }

    #[test]
    fn a_problem_in_a_piece_is_the_whole_files_problem() {
        let mut text = file(3000);
        text = text.replacen(
            "title_th: ทดสอบ 2500",
            "title_th: ทดสอบ 2500\n    titel: typo",
            1,
        );
        let path = PathBuf::from("cases/big.yaml");
        let split = parse_case_files(&[(path.clone(), text.clone())]).remove(0);
        let whole = whole(&path, &text);
        assert_eq!(
            split.unwrap_err().to_string(),
            whole.unwrap_err().to_string()
        );
    }

    #[test]
    fn doubtful_layouts_are_read_whole() {
        let big = file(3000);
        assert!(
            pieces(
                &big.replacen("title_th: ทดสอบ 7", "title_th: &t ทดสอบ 7", 1),
                2
            )
            .is_none()
        );
        assert!(pieces(&format!("{big}other: 1\n"), 2).is_none());
        assert!(pieces(&format!("---\n{big}"), 2).is_none());
        assert!(pieces(&file(10), 2).is_none(), "small files are one piece");
        assert!(pieces(&big, 1).is_none(), "one thread reads the file whole");
    }
}
