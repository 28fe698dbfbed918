//! `cpc report --pdf`: the HTML report printed to PDF by headless Chromium, the browser the
//! report's print stylesheet is written and tested for. Chromium is the reader's, not bundled:
//! when it is missing, the message says how to get it. The page it prints is self-contained
//! (no scripts, nothing fetched).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Names Chromium goes by; `CPC_CHROMIUM` names another.
const BROWSERS: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// A browser that has not printed within this is stopped (a report prints in seconds).
const TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "ไม่พบ Chromium สำหรับพิมพ์ PDF: ติดตั้ง (Debian: apt-get install chromium fonts-thai-tlwg) หรือระบุด้วย CPC_CHROMIUM=/path (no Chromium to print the PDF with: install it, or name it with CPC_CHROMIUM)"
    )]
    NoBrowser,
    #[error("{browser}: {message}")]
    Browser { browser: String, message: String },
}

fn find_browser() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("CPC_CHROMIUM") {
        return Some(PathBuf::from(named));
    }
    let path = std::env::var_os("PATH")?;
    BROWSERS.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Prints `html` (a file) to `pdf` on A4, as the page's own `@page` rule asks.
pub fn print(html: &Path, pdf: &Path) -> Result<(), PdfError> {
    let browser = find_browser().ok_or(PdfError::NoBrowser)?;
    let failed = |message: String| PdfError::Browser {
        browser: browser.display().to_string(),
        message,
    };
    let html = std::path::absolute(html).map_err(|e| failed(e.to_string()))?;
    let profile = tempfile::tempdir().map_err(|e| failed(format!("temp profile: {e}")))?;
    // Chromium prints only to a name ending in .pdf; a run's start removes a leftover one.
    let partial = pdf.with_extension("partial.pdf");
    let mut command = Command::new(&browser);
    command
        .args([
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", partial.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // Chromium's sandbox cannot run as root (containers, CI); elsewhere it stays on.
    #[cfg(unix)]
    if unsafe { libc::geteuid() } == 0 {
        command.arg("--no-sandbox");
    }
    command.arg(format!("file://{}", html.display()));
    let mut child = command.spawn().map_err(|e| failed(e.to_string()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = std::fs::remove_file(&partial);
                return Err(failed(format!(
                    "did not print within {} s",
                    TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(failed(e.to_string())),
        }
    };
    let printed = std::fs::metadata(&partial).is_ok_and(|m| m.len() > 0);
    if !status.success() || !printed {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            use std::io::Read;
            let _ = pipe.by_ref().take(4096).read_to_string(&mut stderr);
        }
        let _ = std::fs::remove_file(&partial);
        // Chromium's stderr is mostly D-Bus noise on a server: its last other line says most.
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.contains("dbus"));
        return Err(failed(format!(
            "printing failed ({status}){}",
            last.map(|l| format!(": {l}")).unwrap_or_default()
        )));
    }
    std::fs::rename(&partial, pdf).map_err(|e| failed(format!("{}: {e}", pdf.display())))
}
