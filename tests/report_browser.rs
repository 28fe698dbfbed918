//! The HTML report in a real browser (Debian's headless Chromium, which `.ci/run` installs):
//! the Thai heading is laid out (its region of a screenshot is not blank), and the page's text,
//! read back from the browser, holds the Thai title and the verdict.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use support::{args, cpc};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CHROMIUM: &str = "chromium";

/// Headless Chromium as this machine allows it: no sandbox as root, no network of its own.
fn chromium(profile: &Path) -> Command {
    let mut command = Command::new(CHROMIUM);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// Dark pixels in the top band of an RGBA/RGB screenshot.
fn dark_pixels(png_path: &Path, band_height: u32) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let rows = band_height.min(info.height) as usize;
    buf[..rows * info.line_size]
        .chunks(channels)
        .filter(|px| px.iter().take(3).all(|c| *c < 100))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thai_report_is_laid_out_in_a_browser() {
    let available = Command::new(CHROMIUM)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        available,
        "this test needs Debian's chromium and a Thai font: apt-get install chromium fonts-thai-tlwg (.ci/run does)"
    );
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "ok", "citizen_id": "1101401234566"})),
        )
        .mount(&server)
        .await;
    let out = tempfile::tempdir().unwrap();
    cpc(args(&[
        "run",
        "tests/suites/mini",
        "--target",
        &server.uri(),
        "--out",
        out.path().to_str().unwrap(),
    ]))
    .await;
    let html = out.path().join("report.th.html");
    let url = format!("file://{}", html.display());
    let profile = out.path().join("chromium-profile");

    let shot = out.path().join("report.png");
    let status = chromium(&profile)
        .arg("--window-size=1000,1400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    // The title is the first thing on the page; a blank band means the Thai text did not render.
    assert!(
        dark_pixels(&shot, 110) > 2000,
        "the heading region is blank"
    );

    let dom = chromium(&profile)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        text.contains(
            "รายงานการทดสอบการให้บริการบนระบบ Citizen Portal ของงานบริการ งานบริการทดสอบขนาดเล็ก"
        ),
        "{text}"
    );
    assert!(
        text.contains("กลับไปขั้นตอนที่ ๙ หน่วยงานปรับระบบทางเทคนิค") || text.contains("ขั้นตอนที่ ๑๑"),
        "{text}"
    );
}
