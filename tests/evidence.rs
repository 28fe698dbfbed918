//! The verdict is a function of the evidence: a failing run's files edited to pass — an
//! outcome flipped with its failed checks left, a case dropped from its requirement or written
//! twice, a line torn in the middle of the stream, gate.json edited before bundling, a file
//! appended after the archive's end — are refused by `cpc report`, `cpc bundle` and
//! `cpc verify`, each naming what disagrees. A bundle carries no secret of the suite.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{args, copy_dir, cpc, csg_with_fault, stderr, stdout};

/// A copy of the run to edit.
fn copy(run: &Path, work: &Path, name: &str) -> PathBuf {
    let to = work.join(name);
    copy_dir(run, &to);
    to
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) {
    let mut value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

/// The first failing case of results.json, by index and id.
fn failing(results: &Value) -> (usize, String) {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .find(|(_, c)| c["outcome"] == "fail")
        .map(|(i, c)| (i, c["id"].as_str().unwrap().to_string()))
        .expect("a failing case")
}

async fn report(dir: &Path) -> std::process::Output {
    cpc(args(&["report", dir.to_str().unwrap()])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_evidence_is_refused_naming_what_disagrees() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let run = w.join("run");
    let out = csg_with_fault("no-checksum", run.to_str().unwrap(), &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let results: Value = support::read_json(&run.join("results.json"));
    let (index, id) = failing(&results);

    // Untouched, it reports (and fails the gate).
    let fine = report(&run).await;
    assert_eq!(fine.status.code(), Some(0), "{}", stderr(&fine));

    // The outcome flipped, the failed checks left.
    let flipped = copy(&run, w, "flipped");
    edit_json(&flipped.join("results.json"), |r| {
        r["cases"][index]["outcome"] = "pass".into()
    });
    let refused = report(&flipped).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stdout(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains(&format!(
            "case `{id}`: its outcome is `pass` but its steps give `fail`"
        )),
        "{message}"
    );

    // Every step flipped too: the checks still say fail.
    let steps = copy(&run, w, "steps");
    edit_json(&steps.join("results.json"), |r| {
        let case = &mut r["cases"][index];
        case["outcome"] = "pass".into();
        for step in case["steps"].as_array_mut().unwrap() {
            step["outcome"] = "pass".into();
        }
    });
    let message = stderr(&report(&steps).await);
    assert!(
        message.contains(&format!("case `{id}`, step ")),
        "{message}"
    );
    assert!(
        message.contains("its checks and error give `fail`"),
        "{message}"
    );

    // The failing case dropped from its requirement.
    let dropped = copy(&run, w, "dropped");
    edit_json(&dropped.join("results.json"), |r| {
        for req in r["requirements"].as_array_mut().unwrap() {
            req["cases"]
                .as_array_mut()
                .unwrap()
                .retain(|c| c.as_str() != Some(id.as_str()));
        }
    });
    let message = stderr(&report(&dropped).await);
    assert!(
        message.contains(&format!("and case `{id}` disagree")),
        "{message}"
    );

    // A failing must requirement made a should one (or its waiver policy loosened): the suite
    // that was run says otherwise.
    let demoted = copy(&run, w, "demoted");
    let requirement = results["cases"][index]["requirements"][0]
        .as_str()
        .unwrap()
        .to_string();
    edit_json(&demoted.join("results.json"), |r| {
        for req in r["requirements"].as_array_mut().unwrap() {
            if req["id"] == requirement.as_str() {
                req["level"] = "should".into();
            }
        }
    });
    let message = stderr(&report(&demoted).await);
    assert!(
        message.contains(&format!(
            "requirement `{requirement}` is not as the suite says"
        )),
        "{message}"
    );
    let loosened = copy(&run, w, "loosened");
    edit_json(&loosened.join("results.json"), |r| {
        r["waiver_policy"]["max"] = 1000.into();
        r["waiver_policy"]["results"] = serde_json::json!(["fail", "error", "not_run"]);
    });
    let message = stderr(&report(&loosened).await);
    assert!(
        message.contains("the waiver policy is not as the suite says"),
        "{message}"
    );

    // Every check of the failing case said not to have run (which would read as a pass).
    let unrun = copy(&run, w, "unrun");
    edit_json(&unrun.join("results.json"), |r| {
        let case = &mut r["cases"][index];
        case["outcome"] = "pass".into();
        for step in case["steps"].as_array_mut().unwrap() {
            step["outcome"] = "pass".into();
            for check in step["checks"].as_array_mut().unwrap() {
                check["outcome"] = "not_run".into();
            }
        }
    });
    let message = stderr(&report(&unrun).await);
    assert!(
        message.contains("is not an outcome a check has"),
        "{message}"
    );

    // A case twice.
    let twice = copy(&run, w, "twice");
    edit_json(&twice.join("results.json"), |r| {
        let first = r["cases"][0].clone();
        r["cases"].as_array_mut().unwrap().push(first);
    });
    let message = stderr(&report(&twice).await);
    assert!(message.contains("is in the results twice"), "{message}");

    // The stream alone (results.json gone): a case line twice, a line torn in the middle.
    let stream = std::fs::read_to_string(run.join("results.jsonl")).unwrap();
    let lines: Vec<&str> = stream.lines().collect();
    let case_line = lines
        .iter()
        .position(|l| {
            l.contains(&format!("\"id\":\"{id}\"")) && l.starts_with("{\"event\":\"case\"")
        })
        .unwrap();
    let rewrite = |name: &str, lines: Vec<String>| {
        let dir = copy(&run, w, name);
        std::fs::remove_file(dir.join("results.json")).unwrap();
        std::fs::write(dir.join("results.jsonl"), lines.join("\n") + "\n").unwrap();
        dir
    };
    let mut doubled: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    doubled.insert(case_line + 1, lines[case_line].to_string());
    let message = stderr(&report(&rewrite("doubled", doubled)).await);
    assert!(
        message.contains(&format!("case `{id}` finished twice")),
        "{message}"
    );
    let mut torn: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    // Cut at a character boundary (str::floor_char_boundary is newer than the MSRV).
    let mut half = lines[case_line].len() / 2;
    while !lines[case_line].is_char_boundary(half) {
        half -= 1;
    }
    torn[case_line] = lines[case_line][..half].to_string();
    let message = stderr(&report(&rewrite("torn", torn.clone())).await);
    assert!(
        message.contains(&format!(":{}: a line that is not whole", case_line + 1)),
        "{message}"
    );
    // Torn as the last line (a killed run): tolerated, the rest rebuilt.
    torn.truncate(case_line + 1);
    let killed = report(&rewrite("killed", torn)).await;
    assert_eq!(killed.status.code(), Some(0), "{}", stderr(&killed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_gate_or_appended_file_does_not_verify() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let run = w.join("run");
    let out = csg_with_fault("no-checksum", run.to_str().unwrap(), &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let keys = w.join("keys");
    cpc(args(&["keygen", keys.to_str().unwrap()])).await;
    let key = keys.join("cpc-signing-key.pem");
    let bundle = |dir: &Path, name: &str| {
        let output = w.join(name);
        let list = args(&[
            "bundle",
            dir.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
            "--sign-key",
            key.to_str().unwrap(),
        ]);
        async move { (cpc(list).await, output) }
    };
    let public = keys.join("cpc-signing-key.pub.pem");
    let verify = |path: PathBuf| {
        let list = args(&[
            "verify",
            path.to_str().unwrap(),
            "--public-key",
            public.to_str().unwrap(),
        ]);
        async move {
            let out = cpc(list).await;
            (out.status.code(), stdout(&out) + &stderr(&out))
        }
    };

    // Untouched: verified, the verdict decided again.
    let (made, good) = bundle(&run, "good.tar").await;
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let (code, said) = verify(good.clone()).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("verdict `fail`: decided again from the checks"),
        "{said}"
    );
    // The suite's secret defaults are not in the bundle: suite.yaml is in it masked, and the
    // suite digest still verifies from the signed digests of the files as run.
    let masked = said
        .lines()
        .find(|l| l.contains("masked in the bundle:"))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(masked.contains("suite/suites/csg/suite.yaml"), "{said}");
    assert!(
        said.contains("the suite files in the bundle are the ones that were run"),
        "{said}"
    );
    let mut archive = tar::Archive::new(std::fs::File::open(&good).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in [
            "csg-portal-key",
            "csg-portal-token",
            "csg-agency-key",
            "csg-agency-secret",
        ] {
            assert!(!text.contains(secret), "{name} holds {secret}");
        }
    }

    // gate.json edited to pass, then signed: the manifest says fail, gate.json pass.
    let forged = copy(&run, w, "forged");
    edit_json(&forged.join("gate.json"), |g| g["verdict"] = "pass".into());
    let (made, path) = bundle(&forged, "forged.tar").await;
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let (code, said) = verify(path).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("run/gate.json says `pass`, the checks in run/results.json give `fail`"),
        "{said}"
    );
    assert!(said.contains("NOT VERIFIED"), "{said}");

    // The suite named by a path instead of an id: never followed.
    let elsewhere = copy(&run, w, "elsewhere");
    edit_json(&elsewhere.join("results.json"), |r| {
        r["suite"]["id"] = "/tmp/somewhere/suites/s".into()
    });
    let (made, _) = bundle(&elsewhere, "elsewhere.tar").await;
    assert_eq!(made.status.code(), Some(2));
    assert!(
        stderr(&made).contains("is not a plain name: give the suite that was run with --suite DIR"),
        "{}",
        stderr(&made)
    );
    // results.json and the stream disagree (a case's line taken out of the stream).
    let split = copy(&run, w, "split");
    let stream = std::fs::read_to_string(split.join("results.jsonl")).unwrap();
    let kept: Vec<&str> = stream
        .lines()
        .filter(|l| !(l.starts_with("{\"event\":\"case\"") && l.contains("\"outcome\":\"fail\"")))
        .collect();
    std::fs::write(split.join("results.jsonl"), kept.join("\n") + "\n").unwrap();
    let (made, _) = bundle(&split, "split.tar").await;
    assert_eq!(made.status.code(), Some(2));
    assert!(
        stderr(&made).contains("and results.jsonl disagree"),
        "{}",
        stderr(&made)
    );

    // A gate.json appended after the archive's end (which `tar -i -x` would extract).
    let appended = w.join("appended.tar");
    let mut bytes = std::fs::read(&good).unwrap();
    let mut extra = tar::Builder::new(Vec::new());
    let body = br#"{"verdict":"pass"}"#;
    let mut header = tar::Header::new_ustar();
    header.set_size(body.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    extra
        .append_data(&mut header, "run/gate.json", body.as_slice())
        .unwrap();
    bytes.extend(extra.into_inner().unwrap());
    std::fs::write(&appended, bytes).unwrap();
    let (code, said) = verify(appended).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("data after the end of the archive"), "{said}");
}
