//! The evidence bundle: `cpc keygen`, `cpc bundle`, `cpc verify`, offline. An untouched bundle
//! verifies; one byte changed in any file, in the manifest or in the signature, a file added,
//! or another public key, fails with a message naming what does not match. The report's run
//! digest is the one the bundle's manifest carries.

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};

use support::{args, cpc, csg_with_fault, read_json, stderr, stdout};

/// The archive's entries, in order.
fn entries(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(std::fs::File::open(bundle).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

fn write_entries(path: &Path, list: &[(String, Vec<u8>)]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in list {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    builder.finish().unwrap();
}

/// A copy of the bundle with one byte of `name` changed.
fn touched(bundle: &Path, name: &str, work: &Path) -> PathBuf {
    let mut list = entries(bundle);
    let entry = list
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name}"));
    let middle = entry.1.len() / 2;
    entry.1[middle] ^= 0x01;
    let copy = work.join(format!("touched-{}.tar", name.replace('/', "_")));
    write_entries(&copy, &list);
    copy
}

async fn verify(bundle: &Path, public_key: Option<&Path>) -> (Option<i32>, String) {
    let mut list = vec!["verify".to_string(), bundle.to_str().unwrap().to_string()];
    match public_key {
        Some(key) => list.extend([
            "--public-key".to_string(),
            key.to_str().unwrap().to_string(),
        ]),
        None => list.push("--intact-only".to_string()),
    }
    let out = cpc(list).await;
    (
        out.status.code(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_bundle_verifies_offline_and_any_change_is_named() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let run = w.join("run");
    let out = csg_with_fault("no-checksum", run.to_str().unwrap(), &[]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    let keys = w.join("keys");
    let made = cpc(args(&["keygen", keys.to_str().unwrap()])).await;
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert!(stdout(&made).contains("fingerprint: "));
    let again = cpc(args(&["keygen", keys.to_str().unwrap()])).await;
    assert_eq!(again.status.code(), Some(2), "keygen never replaces a key");
    let secret = keys.join("cpc-signing-key.pem");
    let public = keys.join("cpc-signing-key.pub.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the signing key is readable by others");
    }

    let bundle = w.join("evidence.tar");
    let packed = cpc(args(&[
        "bundle",
        run.to_str().unwrap(),
        "-o",
        bundle.to_str().unwrap(),
        "--sign-key",
        secret.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(packed.status.code(), Some(0), "{}", stderr(&packed));
    let names: Vec<String> = entries(&bundle).into_iter().map(|(n, _)| n).collect();
    for wanted in [
        "manifest.json",
        "manifest.sig",
        "signer.pub.pem",
        "run/results.json",
        "run/results.jsonl",
        "run/junit.xml",
        "run/gate.json",
        "run/report.th.html",
        "suite/suites/csg/suite.yaml",
        "suite/suites/csg/requirements.yaml",
        "suite/fixtures/csg/applications/documents.json",
    ] {
        assert!(
            names.iter().any(|n| n == wanted),
            "{wanted} not in {names:?}"
        );
    }

    // The report's run digest is the manifest's.
    let manifest: serde_json::Value = serde_json::from_slice(
        &entries(&bundle)
            .into_iter()
            .find(|(n, _)| n == "manifest.json")
            .unwrap()
            .1,
    )
    .unwrap();
    let run_digest = manifest["run_digest"].as_str().unwrap();
    let report = std::fs::read_to_string(run.join("report.th.html")).unwrap();
    assert!(
        report.contains(run_digest) && report.contains("<svg"),
        "the report lacks the run digest or its QR code"
    );
    assert_eq!(
        read_json(&run.join("gate.json"))["verdict"],
        manifest["verdict"]
    );

    let (code, said) = verify(&bundle, None).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("by the key inside the bundle")
            && said.contains("intact (signer not checked"),
        "{said}"
    );
    assert!(!said.contains("verified:"), "{said}");
    // Neither a key nor --intact-only: a bundle anyone re-signed must not pass by default.
    let out = cpc(args(&["verify", bundle.to_str().unwrap()])).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--public-key"), "{}", stderr(&out));
    let (code, said) = verify(&bundle, Some(&public)).await;
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("by the key given"), "{said}");
    assert!(
        said.contains("the suite files in the bundle are the ones that were run"),
        "{said}"
    );

    for (name, named) in [
        ("run/junit.xml", "run/junit.xml: changed"),
        ("run/results.json", "run/results.json: changed"),
        (
            "suite/suites/csg/requirements.yaml",
            "suite/suites/csg/requirements.yaml: changed",
        ),
        ("manifest.json", "signature: does not match the manifest"),
        ("manifest.sig", "manifest.sig"),
    ] {
        let copy = touched(&bundle, name, w);
        let (code, said) = verify(&copy, Some(&public)).await;
        assert_eq!(code, Some(1), "{name}: {said}");
        assert!(
            said.contains(named) && said.contains("NOT VERIFIED"),
            "{name}: {said}"
        );
    }

    // A file slipped in.
    let mut list = entries(&bundle);
    // Its name is too long for a tar header: tar writes it as a GNU long-name entry first,
    // which verify reads (bounded) and names in full.
    let long = format!("run/{}.txt", "x".repeat(300));
    list.push((long.clone(), b"forged".to_vec()));
    let added = w.join("added.tar");
    write_entries(&added, &list);
    let (code, said) = verify(&added, Some(&public)).await;
    assert_eq!(code, Some(1));
    assert!(
        said.contains(&format!("{long}: not in the manifest")),
        "{said}"
    );

    // Another key: the signature is not the signer's.
    let other = w.join("other");
    cpc(args(&["keygen", other.to_str().unwrap()])).await;
    let (code, said) = verify(&bundle, Some(&other.join("cpc-signing-key.pub.pem"))).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("signature: does not match the manifest with the key given"),
        "{said}"
    );
}

#[tokio::test]
async fn a_bundle_that_leaves_its_archive_or_is_no_archive_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let evil = work.path().join("evil.tar");
    {
        // tar's Builder refuses `..`: write the header by hand.
        let mut header = tar::Header::new_gnu();
        let name = b"../escape.txt";
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        header.set_size(1);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let mut builder = tar::Builder::new(std::fs::File::create(&evil).unwrap());
        builder.append(&header, &b"x"[..]).unwrap();
        builder.finish().unwrap();
    }
    let (code, said) = verify(&evil, None).await;
    assert_eq!(code, Some(1));
    assert!(said.contains("a path outside the bundle"), "{said}");
    assert!(!work.path().parent().unwrap().join("escape.txt").exists());

    // A header claiming a giant manifest is refused before anything is read or kept.
    let giant = work.path().join("giant.tar");
    {
        let mut header = tar::Header::new_gnu();
        header.set_path("manifest.json").unwrap();
        header.set_size(3 << 30);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let mut tar = header.as_bytes().to_vec();
        tar.extend_from_slice(&[b'{'; 512]);
        std::fs::write(&giant, tar).unwrap();
    }
    let (code, said) = verify(&giant, None).await;
    assert_eq!(code, Some(1));
    assert!(
        said.contains("manifest.json: larger than a cpc bundle holds"),
        "{said}"
    );

    // A GNU long name (or a PAX header) the tar crate would read whole into memory: its
    // claimed 6 GiB are refused from the header.
    let long_name = work.path().join("long-name.tar");
    {
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        header.set_size(6 << 30);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::GNULongName);
        header.set_cksum();
        let mut tar = header.as_bytes().to_vec();
        tar.extend_from_slice(&[b'a'; 512]);
        std::fs::write(&long_name, tar).unwrap();
    }
    let (code, said) = verify(&long_name, None).await;
    assert_eq!(code, Some(1));
    assert!(said.contains("a name header of 6442450944 bytes"), "{said}");

    // A PAX header naming a path out of the archive is held to the same rule as a header's.
    let pax = work.path().join("pax.tar");
    {
        let record = b"22 path=../escape.txt\n";
        let mut builder = tar::Builder::new(std::fs::File::create(&pax).unwrap());
        let mut header = tar::Header::new_ustar();
        header.set_path("PaxHeaders/x").unwrap();
        header.set_size(record.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::XHeader);
        header.set_cksum();
        builder.append(&header, &record[..]).unwrap();
        let mut header = tar::Header::new_ustar();
        header.set_path("ok.txt").unwrap();
        header.set_size(1);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder.append(&header, &b"x"[..]).unwrap();
        builder.finish().unwrap();
    }
    let (code, said) = verify(&pax, None).await;
    assert_eq!(code, Some(1));
    assert!(
        said.contains("../escape.txt: a path outside the bundle"),
        "{said}"
    );

    // A FIFO would block the open forever: refused before it.
    let fifo = work.path().join("fifo.tar");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (code, said) = verify(&fifo, None).await;
    assert_eq!(code, Some(1));
    assert!(said.contains("not a regular file"), "{said}");

    let junk = work.path().join("junk.tar");
    std::fs::write(&junk, b"not a tar archive at all").unwrap();
    let (code, said) = verify(&junk, None).await;
    assert_eq!(code, Some(1));
    assert!(said.contains("NOT VERIFIED"), "{said}");
}
