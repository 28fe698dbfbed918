//! The same case file read by each YAML reader (best of 15), to size what a faster reader could
//! save of `cpc validate`/`cpc run`. With no FILE, reads 1000 cases as benches/vs-hurl.sh writes
//! them. Of these, serde-saphyr and marked-yaml give the places (`Spanned`) cpc's messages need.

use std::time::Instant;

use serde::de::IgnoredAny;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(&path).expect("a readable file"),
        None => cases(1000),
    };
    println!("{} bytes of YAML, best of 15 reads each:", text.len());
    best("granit-parser, events only", || {
        for event in granit_parser::Parser::new_from_str(&text) {
            event.expect("valid YAML");
        }
    });
    best("serde-saphyr (cpc's reader)", || {
        let _: IgnoredAny = serde_saphyr::from_str(&text).expect("valid YAML");
    });
    best("serde_yaml_ng (libyaml)", || {
        let _: IgnoredAny = serde_yaml_ng::from_str(&text).expect("valid YAML");
    });
    best("marked-yaml (places, serde)", || {
        let _: IgnoredAny = marked_yaml::from_yaml(0, &text).expect("valid YAML");
    });
    best("yaml-rust2, to a tree", || {
        yaml_rust2::YamlLoader::load_from_str(&text).expect("valid YAML");
    });
    let value: serde_json::Value = serde_saphyr::from_str(&text).expect("valid YAML");
    let json = serde_json::to_string(&value).expect("serialisable");
    best("serde_json, the same content", || {
        let _: IgnoredAny = serde_json::from_str(&json).expect("valid JSON");
    });
}

fn best(name: &str, read: impl Fn()) {
    let fastest = (0..15)
        .map(|_| {
            let start = Instant::now();
            read();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min);
    println!("  {name:32} {:7.2} ms", fastest * 1e3);
}

/// The cases of benches/vs-hurl.sh's suite.
fn cases(n: usize) -> String {
    let mut text = String::from("cases:\n");
    for i in 0..n {
        text += &format!(
            "  - id: B-{i:05}
    title_th: ยื่นคำขอ {i}
    requirements: [B-1]
    steps:
      - request: {{ method: POST, path: /submit, json: {{ case: {i}, amount: 100 }} }}
        expect:
          status: 200
          body: {{ $.status: {{ equals: ok }} }}
          duration_ms: {{ max: 1000 }}
"
        );
    }
    text
}
