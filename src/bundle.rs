//! The evidence bundle (`cpc bundle`, `cpc verify`): everything a run produced and the suite
//! files as they were run, a manifest of their SHA-256 digests, and an Ed25519 signature of
//! the manifest. A committee checks it later, offline, without trusting the machine that ran
//! the test. Pure: entries in, a manifest or a list of findings out; the archive is the shell's.

use std::collections::BTreeMap;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::suite::digest::hex;

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const SIGNER: &str = "signer.pub.pem";
pub const FORMAT: &str = "cpc-bundle/1";
/// Where the run's files and the suite's files go in the archive.
pub const RUN_PREFIX: &str = "run/";
pub const SUITE_PREFIX: &str = "suite/";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub cpc_version: String,
    pub created_at: String,
    pub suite: String,
    pub suite_digest: String,
    pub target: String,
    pub verdict: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// SHA-256 of run/results.json: the run's digest, printed in the report.
    pub run_digest: String,
    /// The suite's files in the archive, in the order its digest is made.
    pub suite_files: Vec<String>,
    /// Suite files whose secrets (secret variables' defaults, credentials written in the suite)
    /// and national IDs are masked in the archive, each with the SHA-256 of the file as it was
    /// run: the suite digest is made of those.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub masked: BTreeMap<String, String>,
    pub files: Vec<FileEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// A file of a bundle as `cpc verify` reads it: its digest and size, and its bytes only for
/// the manifest, its signature and the signer's key (a bundle's other files may be big, and
/// never need to be in memory at once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub sha256: [u8; 32],
    pub bytes: u64,
    pub content: Option<Vec<u8>>,
}

/// The bundle's own files: the manifest, its signature and the signer's key.
pub fn is_meta(path: &str) -> bool {
    [MANIFEST, SIGNATURE, SIGNER].contains(&path)
}

pub const RESULTS_PATH: &str = "run/results.json";
pub const GATE_PATH: &str = "run/gate.json";

/// The files whose bytes `verify` reads: the bundle's own, and the run's results and gate (the
/// verdict is decided again from the results); the rest it knows by digest.
pub fn read_whole(path: &str) -> bool {
    is_meta(path) || path == RESULTS_PATH || path == GATE_PATH
}

pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A path safe to put in (and take out of) an archive: relative, `/`-separated, no `..`.
pub fn safe_path(path: &str) -> Option<String> {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let bad = |p: &&str| *p == ".." || p.contains(':') || p.chars().any(char::is_control);
    (!parts.is_empty() && !parts.iter().any(bad)).then(|| parts.join("/"))
}

/// The suite digest from the digests of the suite's files in the loader's order: the SHA-256
/// of their digests (as `suite::digest` makes it).
pub fn suite_digest<'a>(digests: impl IntoIterator<Item = &'a [u8; 32]>) -> String {
    let mut all = Sha256::new();
    for digest in digests {
        all.update(digest);
    }
    hex(&all.finalize())
}

/// A new key pair: the signing key (PKCS#8 PEM) and the public key (SPKI PEM).
pub fn keygen(seed: [u8; 32]) -> Result<(String, String), String> {
    let key = SigningKey::from_bytes(&seed);
    let secret = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string();
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    Ok((secret, public))
}

pub fn signing_key(pem: &str) -> Result<SigningKey, String> {
    SigningKey::from_pkcs8_pem(pem)
        .map_err(|e| format!("not an Ed25519 private key (PKCS#8 PEM, as cpc keygen writes): {e}"))
}

pub fn public_key(pem: &str) -> Result<VerifyingKey, String> {
    VerifyingKey::from_public_key_pem(pem)
        .map_err(|e| format!("not an Ed25519 public key (PEM, as cpc keygen writes): {e}"))
}

/// A public key's fingerprint, to compare by eye or over the phone: SHA-256 of its 32 bytes.
pub fn fingerprint(key: &VerifyingKey) -> String {
    sha256(key.as_bytes())
}

/// The signature of the manifest's exact bytes, base64.
pub fn sign(key: &SigningKey, manifest: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(key.sign(manifest).to_bytes())
}

/// What `cpc verify` found: each line checked, and whether all held.
#[derive(Debug, Default)]
pub struct Findings {
    pub ok: Vec<String>,
    pub wrong: Vec<String>,
}

/// Checks a bundle's entries (archive path → digest) against its manifest, its signature
/// against `trusted` (or, when none is given, the key inside the bundle, which proves only
/// that the bundle is intact, and is said so).
pub fn verify(entries: &BTreeMap<String, Entry>, trusted: Option<&VerifyingKey>) -> Findings {
    let mut f = Findings::default();
    let Some(manifest_bytes) = entries.get(MANIFEST).and_then(|e| e.content.as_ref()) else {
        f.wrong
            .push(format!("{MANIFEST} is missing: not a cpc bundle"));
        return f;
    };
    // The signature is of the bytes: checked before they are read.
    signature(entries, manifest_bytes, trusted, &mut f);
    let manifest: Manifest = match serde_json::from_slice(manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            f.wrong.push(format!("{MANIFEST}: not a manifest: {e}"));
            return f;
        }
    };
    if manifest.format != FORMAT {
        f.wrong.push(format!(
            "{MANIFEST}: format `{}`, this cpc reads `{FORMAT}`",
            manifest.format
        ));
    }

    // Every file the manifest lists, as listed; nothing else.
    let mut matched = 0;
    for file in &manifest.files {
        match entries.get(&file.path) {
            None => f
                .wrong
                .push(format!("{}: listed in the manifest, missing", file.path)),
            Some(entry) if hex(&entry.sha256) != file.sha256 || entry.bytes != file.bytes => {
                f.wrong.push(format!(
                    "{}: changed (SHA-256 {} where the manifest says {})",
                    file.path,
                    hex(&entry.sha256),
                    file.sha256
                ))
            }
            Some(_) => matched += 1,
        }
    }
    let listed: std::collections::HashSet<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).collect();
    for path in entries.keys() {
        if !is_meta(path) && !listed.contains(path.as_str()) {
            f.wrong.push(format!("{path}: not in the manifest (added)"));
        }
    }
    if matched == manifest.files.len() {
        f.ok.push(format!(
            "{matched} files match the manifest's SHA-256 digests"
        ));
    }

    // The run digest printed in the report, and the suite files as they were run.
    let results = format!("{RUN_PREFIX}results.json");
    match entries.get(&results) {
        Some(entry) if hex(&entry.sha256) == manifest.run_digest => f.ok.push(format!(
            "run digest (the report's) {}: {results}",
            manifest.run_digest
        )),
        _ => f.wrong.push(format!(
            "run digest {}: {results} is missing or does not give it",
            manifest.run_digest
        )),
    }
    verdict(entries, &manifest, &mut f);
    // A masked file counts as it was run: its digest then is in the signed manifest.
    let as_run = |path: &String| -> Option<[u8; 32]> {
        match manifest.masked.get(path) {
            Some(original) => crate::suite::digest::from_hex(original)?.try_into().ok(),
            None => entries.get(path).map(|e| e.sha256),
        }
    };
    let suite_files: Option<Vec<[u8; 32]>> = manifest.suite_files.iter().map(as_run).collect();
    let digest = suite_files
        .as_ref()
        .map(|files| suite_digest(files.iter()))
        .unwrap_or_default();
    if !manifest.masked.is_empty() {
        f.ok.push(format!(
            "{} suite file(s) hold secrets or national IDs, masked in the bundle: {}",
            manifest.masked.len(),
            manifest
                .masked
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if digest == manifest.suite_digest {
        f.ok.push(format!(
            "suite `{}` digest {}: the suite files in the bundle are the ones that were run",
            manifest.suite, manifest.suite_digest
        ));
    } else {
        f.wrong.push(format!(
            "suite digest: the suite files give {digest}, the run was of {}",
            manifest.suite_digest
        ));
    }
    f
}

/// The verdict decided again from the checks in results.json: the manifest and gate.json must
/// state the same one (an edited gate.json, signed afterwards, is found here).
fn verdict(entries: &BTreeMap<String, Entry>, manifest: &Manifest, f: &mut Findings) {
    let content = |path| entries.get(path).and_then(|e: &Entry| e.content.as_deref());
    let Some(bytes) = content(RESULTS_PATH) else {
        f.wrong.push(format!(
            "{RESULTS_PATH} is missing: no evidence for a verdict"
        ));
        return;
    };
    let results: crate::results::RunResults = match serde_json::from_slice(bytes) {
        Ok(results) => results,
        Err(e) => {
            f.wrong
                .push(format!("{RESULTS_PATH}: not a cpc results file: {e}"));
            return;
        }
    };
    if let Err(e) = crate::evidence::check(&results) {
        f.wrong.push(format!("{RESULTS_PATH}: {e}"));
        return;
    }
    let gate = crate::gate::decide(&results);
    let decided = gate.verdict.name();
    // A pass that rests on waivers says so here too: the waivers are in results.json.
    if !gate.waived.is_empty() {
        f.ok.push(format!(
            "the verdict rests on waivers for {} of {} requirements: {} (see results.json `waivers`, and who approved them)",
            gate.waived.len(),
            gate.requirements.len(),
            gate.waived.join(", ")
        ));
    }
    let mut agree = true;
    if manifest.verdict != decided {
        agree = false;
        f.wrong.push(format!(
            "verdict: the manifest says `{}`, the checks in {RESULTS_PATH} give `{decided}`",
            manifest.verdict
        ));
    }
    let stated = content(GATE_PATH)
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .and_then(|g| g["verdict"].as_str().map(str::to_string));
    if stated.as_deref() != Some(decided) {
        agree = false;
        f.wrong.push(format!(
            "verdict: {GATE_PATH} says `{}`, the checks in {RESULTS_PATH} give `{decided}`",
            stated.as_deref().unwrap_or("nothing")
        ));
    }
    if agree {
        f.ok.push(format!(
            "verdict `{decided}`: decided again from the checks in {RESULTS_PATH}; the manifest and {GATE_PATH} say the same"
        ));
    }
}

fn signature(
    entries: &BTreeMap<String, Entry>,
    manifest: &[u8],
    trusted: Option<&VerifyingKey>,
    f: &mut Findings,
) {
    use base64::Engine;
    let content = |path| entries.get(path).and_then(|e: &Entry| e.content.as_deref());
    let embedded = content(SIGNER)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|pem| public_key(pem).ok());
    let Some(key) = trusted.or(embedded.as_ref()) else {
        f.wrong.push(format!(
            "signature: no public key (give --public-key; {SIGNER} is missing or not a key)"
        ));
        return;
    };
    let signature = content(SIGNATURE)
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim_ascii())
                .ok()
        })
        .and_then(|b| Signature::from_slice(&b).ok());
    let Some(signature) = signature else {
        f.wrong
            .push(format!("{SIGNATURE}: missing or not an Ed25519 signature"));
        return;
    };
    let who = fingerprint(key);
    match key.verify_strict(manifest, &signature) {
        Ok(()) if trusted.is_some() => f.ok.push(format!(
            "signature: Ed25519, by the key given (fingerprint {who})"
        )),
        Ok(()) => f.ok.push(format!(
            "signature: Ed25519, by the key inside the bundle (fingerprint {who}); this shows the bundle is intact, not who made it: give --public-key to check the signer"
        )),
        Err(_) => f.wrong.push(format!(
            "signature: does not match the manifest with the key {} (fingerprint {who})",
            if trusted.is_some() { "given" } else { "inside the bundle" }
        )),
    }
}

/// The report's QR code of the run digest, as inline SVG.
pub fn qr_svg(digest: &str) -> Option<String> {
    use qrcode::render::{Renderer, svg};
    let (modules, width) = qr_modules(digest)?;
    let svg = Renderer::<svg::Color>::new(&modules, width, 4)
        .min_dimensions(128, 128)
        .quiet_zone(true)
        .build();
    // Inline in HTML: without the XML declaration.
    Some(match svg.find("<svg") {
        Some(start) => svg[start..].to_string(),
        None => svg,
    })
}

/// The QR code's modules (row by row) and its width. One fixed mask, where `QrCode::new`
/// tries all eight to pick the one with the fewest hard-to-scan runs: the scoring was a fifth
/// of a one-case run's instructions, and any mask is a valid code (ISO/IEC 18004 §7.8.2) that
/// scanners read; a test decodes it.
fn qr_modules(digest: &str) -> Option<(Vec<qrcode::Color>, usize)> {
    use qrcode::{EcLevel, canvas::Canvas, canvas::MaskPattern};
    let bits = qrcode::bits::encode_auto(digest.as_bytes(), EcLevel::M).ok()?;
    let version = bits.version();
    let data = bits.into_bytes();
    let (encoded, ec) = qrcode::ec::construct_codewords(&data, version, EcLevel::M).ok()?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&encoded, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    Some((canvas.into_colors(), version.width().try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_reads_back_as_the_digest() {
        let digest = "9f2c1d8e7b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa00112233";
        let (modules, width) = qr_modules(digest).expect("a code");
        assert_eq!(modules.len(), width * width);
        // Drawn as a scanner sees it: 4 pixels a module, inside a 4-module quiet zone.
        let (scale, margin) = (4, 4);
        let side = (width + 2 * margin) * scale;
        let mut image = rqrr::PreparedImage::prepare_from_bitmap(side, side, |x, y| {
            let (mx, my) = (x / scale, y / scale);
            (margin..width + margin).contains(&mx)
                && (margin..width + margin).contains(&my)
                && modules[(my - margin) * width + (mx - margin)] == qrcode::Color::Dark
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, text) = grids[0].decode().expect("decodes");
        assert_eq!(text, digest);
        let svg = qr_svg(digest).expect("svg");
        assert!(svg.starts_with("<svg") && svg.contains("<path"));
    }

    #[test]
    fn paths_stay_inside_the_archive() {
        assert_eq!(
            safe_path("suites/csg/suite.yaml").as_deref(),
            Some("suites/csg/suite.yaml")
        );
        assert_eq!(safe_path("./a//b").as_deref(), Some("a/b"));
        assert_eq!(safe_path("/etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(safe_path("../x"), None);
        assert_eq!(safe_path("a/../../x"), None);
        assert_eq!(safe_path("C:\\x"), None);
        assert_eq!(safe_path(""), None);
    }

    #[test]
    fn keys_round_trip_and_sign() {
        let (secret, public) = keygen([7; 32]).unwrap();
        let key = signing_key(&secret).unwrap();
        let public = public_key(&public).unwrap();
        assert_eq!(key.verifying_key(), public);
        let signature = sign(&key, b"manifest");
        assert_eq!(signature.len(), 88);
        assert!(signing_key(&public_key_pem_of(&public)).is_err());
    }

    fn public_key_pem_of(key: &VerifyingKey) -> String {
        key.to_public_key_pem(LineEnding::LF).unwrap()
    }
}
