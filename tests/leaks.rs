//! No secret and no national ID appears in any output, in any encoding: declared secrets,
//! captured secrets, credentials written in the suite, `env.NAME` values and the password in
//! `--target`, echoed by the target raw, `\u`-escaped and percent-encoded, quoted by transport
//! errors, cut near a limit, and checked on a credential header; IDs in every shape.

mod support;

use std::path::Path;

use serde_json::Value;
use support::hostile::ID_SHAPES;

const SECRETS: [&str; 6] = [
    "leak-declared-secret",
    "literal-consumer-key",
    "leak-env-value-42",
    "captured-secret-value-123",
    "hunter2-password",
    "a-different-token-value",
];

/// Each secret as written, `\u`-escaped and percent-encoded.
fn forbidden() -> Vec<String> {
    let mut all = Vec::new();
    for secret in SECRETS {
        all.push(secret.to_string());
        all.push(
            secret
                .chars()
                .map(|c| format!("\\u{:04x}", c as u32))
                .collect(),
        );
        all.push(secret.bytes().map(|b| format!("%{b:02X}")).collect());
    }
    // What expressions computed from the secrets (LEAK-DERIVED): upper case, hex, a part, the
    // lower case of its base64, reversed.
    let declared = "leak-declared-secret";
    use base64::Engine;
    all.extend([
        declared.to_uppercase(),
        declared.bytes().map(|b| format!("{b:02x}")).collect(),
        declared[5..].to_string(),
        base64::engine::general_purpose::STANDARD
            .encode(declared)
            .to_lowercase(),
        declared.chars().rev().collect(),
        "LEAK-ENV-VALUE-42".to_string(),
    ]);
    all.extend(ID_SHAPES.iter().map(|s| s.to_string()));
    // What a cut before masking used to leave: twelve of the thirteen digits.
    all.push("110140123456".into());
    all
}

/// Every string inside a JSON document, decoded.
fn strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push_str(k);
            strings(v, out);
        }),
        _ => {}
    }
}

/// The console, stderr, every file written, and the decoded strings of the JSON ones.
fn everything(out: &Path, output: &std::process::Output) -> Vec<(String, String)> {
    let mut texts = vec![
        ("stdout".to_string(), support::stdout(output)),
        ("stderr".to_string(), support::stderr(output)),
    ];
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if let Ok(json) = serde_json::from_str::<Value>(&text) {
            let mut decoded = String::new();
            strings(&json, &mut decoded);
            texts.push((format!("{} (decoded)", path.display()), decoded));
        }
        texts.push((path.display().to_string(), text));
    }
    texts
}

/// The text base64 runs in it stand for (a target may echo what it got encoded).
fn base64_decoded(text: &str) -> String {
    use base64::Engine;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let run = regex::Regex::new(r"[A-Za-z0-9+/]{16,}={0,2}").unwrap();
    run.find_iter(text)
        .filter_map(|m| engine.decode(m.as_str().trim_end_matches('=')).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned() + "\n")
        .collect()
}

fn assert_no_leak(out: &Path, output: &std::process::Output) {
    let all = everything(out, output);
    let decoded: Vec<(String, String)> = all
        .iter()
        .map(|(name, text)| {
            (
                format!("{name} (base64 in it, decoded)"),
                base64_decoded(text),
            )
        })
        .collect();
    for (name, text) in all.into_iter().chain(decoded) {
        for bad in forbidden() {
            if let Some(at) = text.find(&bad) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                panic!(
                    "{name} shows `{bad}`: …{}…",
                    &text[from..(at + bad.len()).min(text.len())]
                );
            }
        }
    }
}

async fn run(target: &str, out: &Path) -> std::process::Output {
    let o = out.to_str().unwrap().to_string();
    let target = target.to_string();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cpc"))
            .args([
                "run",
                "tests/suites/leaky",
                "--target",
                &target,
                "--out",
                &o,
            ])
            .args(["--lang", "en", "--timeout-ms", "3000"])
            .current_dir(support::repo())
            .env("NO_COLOR", "1")
            .env("CPC_LEAK_ENV", "leak-env-value-42")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_secret_or_personal_reaches_any_output() {
    let target = support::hostile::start();
    let with_password = target
        .url
        .replace("http://", "http://leakuser:hunter2-password@");
    let out = tempfile::tempdir().unwrap();
    let output = run(&with_password, out.path()).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        support::stderr(&output)
    );
    // The target did receive them: they were there to leak.
    let seen = target.seen.lock().unwrap().join("\n");
    assert!(seen.contains("k=leak-declared-secret"), "{seen}");
    assert_no_leak(out.path(), &output);

    // Each path was taken.
    let results = support::read_json(&out.path().join("results.json"));
    let text = results.to_string();
    assert!(text.contains("1-1014-xxxxx-xx-6"), "IDs are shown masked");
    assert!(
        text.contains("Token is a credential (values not shown)"),
        "{text}"
    );
    assert!(text.contains("differs from the expected value"));
    // The newer checks failed on the secret-bearing bodies, and said so (masked).
    // The expression that failed on a value from the secret said so without quoting it.
    assert!(
        text.contains("cannot be computed (the values involved come from a secret"),
        "{text}"
    );
    for (id, check) in [
        ("LEAK-TEXT", "\"text\""),
        ("LEAK-BYTES", "\"bytes prefix\""),
        ("LEAK-ANSWER-VALUE", "\"text\""),
    ] {
        let case = results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap();
        assert_eq!(case["outcome"], "fail", "{case}");
        assert!(case.to_string().contains(check), "{case}");
    }

    // A target that refuses connections: every error message quotes a URL with a secret.
    let dead = tempfile::tempdir().unwrap();
    let output = run("http://127.0.0.1:9/base", dead.path()).await;
    assert_eq!(output.status.code(), Some(1));
    let results = std::fs::read_to_string(dead.path().join("results.json")).unwrap();
    assert!(results.contains("cannot connect"), "{results}");
    assert_no_leak(dead.path(), &output);
}
