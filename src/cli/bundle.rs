//! `cpc keygen`, `cpc bundle` and `cpc verify`: the archive and the key files around the pure
//! bundle core (`crate::bundle`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::args::{BundleArgs, KeygenArgs, VerifyArgs};
use sha2::{Digest, Sha256};

use crate::bundle::{self, Entry, FileEntry, Manifest};
use crate::report::files::{RESULTS, is_run_file};
use crate::run::exit;

/// Bounds on what `cpc verify` reads from an archive that may be hostile.
const MAX_ENTRIES: usize = 100_000;
const MAX_ENTRY_BYTES: u64 = 512 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 2 * 1024 * 1024 * 1024;
const MAX_KEY_BYTES: u64 = 64 * 1024;
/// The manifest (a line per file, up to MAX_ENTRIES), the signature and the signer's key.
const MAX_META_BYTES: u64 = 64 * 1024 * 1024;

const SECRET_KEY: &str = "cpc-signing-key.pem";
const PUBLIC_KEY: &str = "cpc-signing-key.pub.pem";

fn fail(message: impl std::fmt::Display) -> u8 {
    crate::complain!("error: {message}");
    exit::INVALID
}

pub fn keygen(args: KeygenArgs) -> u8 {
    let secret_path = args.dir.join(SECRET_KEY);
    let public_path = args.dir.join(PUBLIC_KEY);
    for path in [&secret_path, &public_path] {
        if path.exists() {
            return fail(format!(
                "`{}` exists: cpc keygen never replaces a key",
                path.display()
            ));
        }
    }
    let mut seed = [0u8; 32];
    if let Err(e) = getrandom::fill(&mut seed) {
        return fail(format!("no randomness from the system: {e}"));
    }
    let (secret, public) = match bundle::keygen(seed) {
        Ok(keys) => keys,
        Err(e) => return fail(e),
    };
    let written = std::fs::create_dir_all(&args.dir)
        .and_then(|()| write_private(&secret_path, secret.as_bytes()))
        .and_then(|()| std::fs::write(&public_path, public.as_bytes()));
    if let Err(e) = written {
        crate::complain!(
            "error: cannot write the keys to `{}`: {e}",
            args.dir.display()
        );
        return exit::OUTPUT;
    }
    let fingerprint = bundle::public_key(&public)
        .map(|key| bundle::fingerprint(&key))
        .unwrap_or_default();
    super::say(format_args!(
        "signing key (keep it secret): {}\npublic key (give it to whoever verifies): {}\nfingerprint: {}",
        secret_path.display(),
        public_path.display(),
        fingerprint
    ));
    exit::PASS
}

/// A file only its owner can read, created new.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

fn read_small(path: &Path, what: &str) -> Result<String, String> {
    let bytes = crate::read::bounded(path, MAX_KEY_BYTES).map_err(|e| format!("{what}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{what}: `{}` is not PEM text", path.display()))
}

pub fn bundle(args: BundleArgs) -> u8 {
    match make_bundle(&args) {
        Ok(manifest) => {
            super::say(format_args!(
                "{} files, run digest {}, signed → {}",
                manifest.files.len(),
                manifest.run_digest,
                args.output.display()
            ));
            exit::PASS
        }
        Err(e) => fail(e),
    }
}

fn make_bundle(args: &BundleArgs) -> Result<Manifest, String> {
    let key = bundle::signing_key(&read_small(&args.sign_key, "--sign-key")?)
        .map_err(|e| format!("--sign-key `{}`: {e}", args.sign_key.display()))?;
    if !args.run_dir.join(RESULTS).is_file() {
        return Err(format!(
            "`{}` has no results.json: a bundle is of a finished run (after a killed run, `cpc report {}` writes it first)",
            args.run_dir.display(),
            args.run_dir.display()
        ));
    }
    let results = super::report::read(&args.run_dir)?;
    let gate = crate::gate::decide(&results);

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&args.run_dir)
        .map_err(|e| format!("`{}`: {e}", args.run_dir.display()))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && is_run_file(n))
        .collect();
    names.sort();
    for name in names {
        let bytes = crate::read::bounded(&args.run_dir.join(&name), MAX_ENTRY_BYTES)?;
        files.push((format!("{}{name}", bundle::RUN_PREFIX), bytes));
    }
    let run_digest = files
        .iter()
        .find(|(p, _)| *p == format!("{}{RESULTS}", bundle::RUN_PREFIX))
        .map(|(_, b)| bundle::sha256(b))
        .unwrap_or_default();

    // The suite as it was run: the files its digest is made of, read once and checked.
    let suite_dir = match (&args.suite, crate::suite::dir_of_id(&results.suite.id)) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => dir,
        (None, None) => {
            return Err(format!(
                "the run's suite id `{}` is not a plain name: give the suite that was run with --suite DIR",
                crate::report::escape::console_text(&results.suite.id)
            ));
        }
    };
    // The stream and results.json are two records of one run: they must agree on every case.
    if args.run_dir.join(crate::report::stream::STREAM).is_file() {
        let streamed =
            crate::report::stream::rebuild(&args.run_dir.join(crate::report::stream::STREAM))?;
        let outcomes = |r: &crate::results::RunResults| -> Vec<(String, crate::check::Outcome)> {
            r.cases.iter().map(|c| (c.id.clone(), c.outcome)).collect()
        };
        if outcomes(&streamed) != outcomes(&results) {
            return Err(format!(
                "`{}` and results.jsonl disagree on the cases' outcomes: one of them was edited",
                args.run_dir.join(RESULTS).display()
            ));
        }
    }
    let suite = crate::suite::load(&suite_dir).map_err(|e| {
        format!(
            "the suite `{}` does not load ({e}); give the suite that was run with --suite DIR",
            suite_dir.display()
        )
    })?;
    let mut suite_files = Vec::new();
    for (path, inside) in archive_names(&suite.digested)? {
        let bytes = crate::read::bounded(&path, crate::read::MAX_DATA_FILE)?;
        suite_files.push((format!("{}{inside}", bundle::SUITE_PREFIX), bytes));
    }
    let digests: Vec<[u8; 32]> = suite_files
        .iter()
        .map(|(_, b)| Sha256::digest(b).into())
        .collect();
    let digest = bundle::suite_digest(&digests);
    if digest != results.suite.digest {
        return Err(format!(
            "the suite in `{}` is not the one that was run (its digest is {digest}, the run's {}): bundle from the same commit as the run, or give it with --suite DIR",
            suite_dir.display(),
            results.suite.digest
        ));
    }
    // What the gate weighs besides the checks (levels, traces, the waiver policy) is the suite's.
    crate::evidence::against(&results, &suite)
        .map_err(|e| format!("{}: {e}", args.run_dir.join(RESULTS).display()))?;
    let suite_names: Vec<String> = suite_files.iter().map(|(p, _)| p.clone()).collect();
    let masked = mask_suite_files(&suite, &mut suite_files)?;
    files.extend(suite_files);

    let manifest = Manifest {
        format: bundle::FORMAT.into(),
        cpc_version: crate::VERSION.into(),
        created_at: crate::clock::rfc3339(crate::clock::now()),
        suite: results.suite.id.clone(),
        suite_digest: results.suite.digest.clone(),
        target: crate::history::target_key(&results),
        verdict: gate.verdict.name().to_string(),
        round: results.round,
        run_digest,
        suite_files: suite_names,
        masked,
        files: files
            .iter()
            .map(|(path, bytes)| FileEntry {
                path: path.clone(),
                sha256: bundle::sha256(bytes),
                bytes: bytes.len() as u64,
            })
            .collect(),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    let signature = bundle::sign(&key, &manifest_bytes);
    let public = {
        use ed25519_dalek::pkcs8::EncodePublicKey;
        key.verifying_key()
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| e.to_string())?
    };
    let mut all = vec![
        (bundle::MANIFEST.to_string(), manifest_bytes),
        (bundle::SIGNATURE.to_string(), signature.into_bytes()),
        (bundle::SIGNER.to_string(), public.into_bytes()),
    ];
    all.extend(files);
    write_archive(&args.output, &all)
        .map_err(|e| format!("cannot write `{}`: {e}", args.output.display()))?;
    Ok(manifest)
}

/// Masks in the suite's text files the secrets it holds (secret variables' defaults,
/// credentials written in it) and national IDs: a bundle is an output too. Returns the masked
/// files with the SHA-256 each had as run.
fn mask_suite_files(
    suite: &crate::suite::Suite,
    files: &mut [(String, Vec<u8>)],
) -> Result<BTreeMap<String, String>, String> {
    // Validation finds the credentials written in the suite: without it, they would go in raw.
    let mut secrets: Vec<String> = crate::suite::validate(suite, true)
        .map(|checked| checked.credentials)
        .map_err(|problems| {
            format!(
                "the suite does not validate ({} problem(s); `cpc validate` names them), so its credentials cannot be told apart to mask them",
                problems.len()
            )
        })?;
    secrets.extend(
        suite
            .meta
            .variables
            .iter()
            .filter(|(_, v)| v.secret)
            .filter_map(|(_, v)| v.default.as_ref().map(crate::vars::value_text)),
    );
    let redactor = crate::redact::Redactor::new(secrets);
    let mut masked = BTreeMap::new();
    for (path, bytes) in files.iter_mut() {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let shown = redactor.text(text);
        if shown != text {
            masked.insert(path.clone(), bundle::sha256(bytes));
            *bytes = shown.into_bytes();
        }
    }
    Ok(masked)
}

/// Each suite file (as the loader found it, fixtures with `..` in their path too) and its name
/// in the archive: its path from the deepest directory all of them share.
fn archive_names(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, String> {
    let real: Vec<PathBuf> = paths
        .iter()
        .map(|p| std::fs::canonicalize(p).map_err(|e| format!("`{}`: {e}", p.display())))
        .collect::<Result<_, _>>()?;
    let mut common: PathBuf = real
        .first()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    while !real.iter().all(|p| p.starts_with(&common)) {
        if !common.pop() {
            break;
        }
    }
    real.into_iter()
        .map(|p| {
            let inside = p
                .strip_prefix(&common)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            bundle::safe_path(&inside)
                .map(|name| (p.clone(), name))
                .ok_or_else(|| format!("`{}`: a path cpc will not archive", p.display()))
        })
        .collect()
}

/// A tar archive, written whole to a temp file and renamed into place; times and owners are
/// left out, so the same files make the same archive.
fn write_archive(output: &Path, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle".into());
    let temp = output.with_file_name(format!(".{name}.tmp"));
    let written = (|| {
        let mut builder = tar::Builder::new(std::fs::File::create(&temp)?);
        for (path, bytes) in files {
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut header, path, bytes.as_slice())?;
        }
        builder.into_inner()?.sync_all()
    })()
    .and_then(|()| std::fs::rename(&temp, output));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Every regular file of the archive by path, read through SHA-256 (only the manifest, the
/// signature and the signer's key are kept whole, `bundle::read_whole`): memory stays small
/// whatever the archive says of itself. Anything but a regular file, a path that leaves the
/// archive, one seen twice, or sizes past a bundle's are refused.
/// A GNU long name or a PAX header names one file: a path, not a payload.
const MAX_EXTENSION_BYTES: u64 = 64 * 1024;

fn read_archive(path: &Path) -> Result<BTreeMap<String, Entry>, String> {
    let place = path.display();
    // Checked before opening: a FIFO would block the open, and a file larger than any bundle is
    // no bundle.
    let meta = std::fs::metadata(path).map_err(|e| format!("`{place}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!("`{place}`: not a regular file"));
    }
    if meta.len() > MAX_TOTAL_BYTES + MAX_META_BYTES {
        return Err(format!("`{place}`: larger than a cpc bundle can be"));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("`{place}`: {e}"))?;
    let mut archive = tar::Archive::new(file);
    let mut entries = BTreeMap::new();
    let mut total = 0u64;
    let bad = |e: std::io::Error| format!("`{place}` is not a readable bundle: {e}");
    // Raw: the tar crate would read a GNU long name or a PAX header whole into memory, however
    // large its header says it is. Here they are read bounded, and only what names a file is
    // taken from them.
    let mut long_name: Option<String> = None;
    for entry in archive.entries().map_err(bad)?.raw(true) {
        let mut entry = entry.map_err(bad)?;
        let kind = entry.header().entry_type();
        let size = entry.header().size().map_err(bad)?;
        let extension = kind.is_gnu_longname() || kind.is_pax_local_extensions();
        if extension {
            if long_name.is_some() {
                return Err(format!(
                    "`{place}`: two name headers for one file: not a cpc bundle"
                ));
            }
            if size > MAX_EXTENSION_BYTES {
                return Err(format!(
                    "`{place}`: a name header of {size} bytes: not a cpc bundle"
                ));
            }
            let mut bytes = Vec::new();
            (&mut entry)
                .take(MAX_EXTENSION_BYTES)
                .read_to_end(&mut bytes)
                .map_err(bad)?;
            long_name = Some(if kind.is_gnu_longname() {
                let bytes = bytes.strip_suffix(b"\0").unwrap_or(&bytes);
                String::from_utf8_lossy(bytes).into_owned()
            } else {
                pax_path(&bytes).map_err(|e| format!("`{place}`: {e}"))?
            });
            continue;
        }
        let header_name = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let name = long_name.take().unwrap_or(header_name);
        let shown = crate::report::escape::console_text(&name);
        if !kind.is_file() {
            return Err(format!(
                "`{place}`: {shown}: not a regular file; a cpc bundle holds only files"
            ));
        }
        if bundle::safe_path(&name).as_deref() != Some(name.as_str()) {
            return Err(format!("`{place}`: {shown}: a path outside the bundle"));
        }
        if entries.len() >= MAX_ENTRIES {
            return Err(format!(
                "`{place}`: more than {MAX_ENTRIES} files: not a cpc bundle"
            ));
        }
        let limit = if bundle::is_meta(&name) {
            MAX_META_BYTES
        } else {
            MAX_ENTRY_BYTES
        };
        let too_large = || format!("`{place}`: {shown}: larger than a cpc bundle holds");
        if size > limit || total.saturating_add(size) > MAX_TOTAL_BYTES {
            return Err(too_large());
        }
        let mut digest = Sha256::new();
        let mut content = bundle::read_whole(&name).then(Vec::new);
        let mut read = 0u64;
        let mut buffer = [0u8; 64 * 1024];
        loop {
            let n = entry.read(&mut buffer).map_err(bad)?;
            if n == 0 {
                break;
            }
            read += n as u64;
            total += n as u64;
            if read > limit || total > MAX_TOTAL_BYTES {
                return Err(too_large());
            }
            digest.update(&buffer[..n]);
            if let Some(content) = &mut content {
                content.extend_from_slice(&buffer[..n]);
            }
        }
        let entry = Entry {
            sha256: digest.finalize().into(),
            bytes: read,
            content,
        };
        if entries.insert(name, entry).is_some() {
            return Err(format!("`{place}`: {shown}: twice in the archive"));
        }
    }
    if long_name.is_some() {
        return Err(format!(
            "`{place}`: a name header with no file after it: not a cpc bundle"
        ));
    }
    // After the end of the archive there may be only the zeros that pad it: anything else
    // (an appended gate.json that `tar -i` would extract over the signed one) is refused.
    let mut rest = archive.into_inner();
    let mut buffer = [0u8; 64 * 1024];
    loop {
        let n = rest.read(&mut buffer).map_err(bad)?;
        if n == 0 {
            break;
        }
        if buffer[..n].iter().any(|b| *b != 0) {
            return Err(format!(
                "`{place}`: data after the end of the archive: not a cpc bundle as written"
            ));
        }
    }
    Ok(entries)
}

/// The `path` of a PAX header; any other record that would change how the file is read (its
/// size, a sparse map) is refused: cpc bundles never need one.
fn pax_path(bytes: &[u8]) -> Result<String, String> {
    let mut path = None;
    for record in tar::PaxExtensions::new(bytes) {
        let record = record.map_err(|e| format!("a broken PAX header: {e}"))?;
        match record.key_bytes() {
            b"path" => path = Some(String::from_utf8_lossy(record.value_bytes()).into_owned()),
            b"mtime" | b"atime" | b"ctime" | b"uid" | b"gid" | b"uname" | b"gname" | b"mode" => {}
            key => {
                return Err(format!(
                    "a PAX header with `{}`: not a cpc bundle",
                    crate::report::escape::console_text(&String::from_utf8_lossy(key))
                ));
            }
        }
    }
    path.ok_or_else(|| "a PAX header without a path: not a cpc bundle".to_string())
}

pub fn verify(args: VerifyArgs) -> u8 {
    let trusted = match &args.public_key {
        Some(path) => {
            match read_small(path, "--public-key").and_then(|pem| bundle::public_key(&pem)) {
                Ok(key) => Some(key),
                Err(e) => return fail(format!("--public-key `{}`: {e}", path.display())),
            }
        }
        None => None,
    };
    let entries = match read_archive(&args.bundle) {
        Ok(entries) => entries,
        Err(e) => {
            crate::complain!("✗ {}", crate::report::escape::console_text(&e));
            super::say(format_args!("NOT VERIFIED: {}", args.bundle.display()));
            return exit::FAIL;
        }
    };
    let findings = bundle::verify(&entries, trusted.as_ref());
    let mut out = String::new();
    for line in &findings.ok {
        out.push_str(&format!(
            "✓ {}\n",
            crate::report::escape::console_text(line)
        ));
    }
    for line in &findings.wrong {
        out.push_str(&format!(
            "✗ {}\n",
            crate::report::escape::console_text(line)
        ));
    }
    if findings.wrong.is_empty() && args.intact_only {
        out.push_str(&format!(
            "intact (signer not checked: --intact-only): {}",
            args.bundle.display()
        ));
        super::say(out);
        exit::PASS
    } else if findings.wrong.is_empty() {
        out.push_str(&format!("verified: {}", args.bundle.display()));
        super::say(out);
        exit::PASS
    } else {
        out.push_str(&format!("NOT VERIFIED: {}", args.bundle.display()));
        super::say(out);
        exit::FAIL
    }
}
