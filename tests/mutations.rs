//! A bounded mutation test of the loaders (run with the other tests): suite files and portal
//! mappings, mangled thousands of ways, are loaded and validated in-process. Each must end in
//! problems with places or in a clean load, never in a panic.

mod support;

use std::path::Path;

use support::copy_dir;

/// A small deterministic generator (xorshift), so a failure can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces that mean something to YAML, JSON, templates or the suite format.
const TOKENS: &[&[u8]] = &[
    b":",
    b"- ",
    b"{{",
    b"}}",
    b"{{ x }}",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"\n",
    b"  ",
    b"$file",
    b"null",
    b"~",
    b"&a ",
    b"*a",
    b"!!binary ",
    b"<<: *a",
    b"99999999999999999999",
    b"-1",
    b"\t",
    b"\0",
    b"\xff\xfe",
    b"\xe0\xb8",
    b"{ $file: ../../../../etc/passwd }",
    b"{{ today(999999999999) }}",
    b"$..[?@",
    b"(?P<",
    b"\\u00",
    b"%",
    b"#",
];

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 if !bytes.is_empty() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 => {
                let end = (at + rng.below(40)).min(bytes.len());
                let copy = bytes[at.min(end)..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, token.iter().copied());
            }
        }
    }
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn mangled_suites_load_to_problems_never_to_a_panic() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = tempfile::tempdir().unwrap();
    let suite = root.path().join("suites/csg");
    copy_dir(&repo.join("suites/csg"), &suite);
    copy_dir(
        &repo.join("fixtures/csg"),
        &root.path().join("fixtures/csg"),
    );
    let mut all = Vec::new();
    files(&suite, &mut all);
    let mut rng = Rng(0x5eed_c0de_1234_5678);
    for round in 0..250 {
        let file = &all[rng.below(all.len())];
        let original = std::fs::read(file).unwrap();
        let mut bytes = original.clone();
        mutate(&mut rng, &mut bytes);
        std::fs::write(file, &bytes).unwrap();
        let outcome = std::panic::catch_unwind(|| match cpc::suite::load(&suite) {
            Ok(loaded) => {
                let _ = cpc::suite::validate(&loaded, true);
            }
            Err(e) => {
                if let Some(partial) = e.partial {
                    let _ = cpc::suite::validate(&partial, e.cases_complete);
                }
                assert!(!e.problems.is_empty());
            }
        });
        assert!(
            outcome.is_ok(),
            "round {round}: {} mangled to {:?}",
            file.display(),
            String::from_utf8_lossy(&bytes)
        );
        std::fs::write(file, original).unwrap();
    }
}

#[test]
fn mangled_mappings_load_to_problems_never_to_a_panic() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = tempfile::tempdir().unwrap();
    copy_dir(&repo.join("mock-portal"), root.path());
    let mut all = Vec::new();
    files(&root.path().join("mappings"), &mut all);
    let mut rng = Rng(0xfeed_beef_8765_4321);
    for round in 0..600 {
        let file = &all[rng.below(all.len())];
        let original = std::fs::read(file).unwrap();
        let mut bytes = original.clone();
        mutate(&mut rng, &mut bytes);
        std::fs::write(file, &bytes).unwrap();
        let outcome = std::panic::catch_unwind(|| {
            let _ = cpc::portal::MappingSet::default().with_dir(root.path());
        });
        assert!(
            outcome.is_ok(),
            "round {round}: {} mangled to {:?}",
            file.display(),
            String::from_utf8_lossy(&bytes)
        );
        std::fs::write(file, original).unwrap();
    }
}
