//! The Thai report printed to PDF (`cpc report --pdf`, Debian's headless Chromium, which
//! `.ci/run` installs with poppler-utils): a failing CSG run prints with no blank page, no page
//! ending in a heading cut off from what follows it, and the requirement table's header row
//! repeated where the table continues onto the next page.

mod support;

use std::path::Path;
use std::process::Command;

use support::{args, cpc, csg_with_fault, stderr};

/// Dark pixels on a page image (pdftoppm's PNG output).
fn dark_pixels(png_path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|px| px.iter().take(3).any(|c| *c < 200))
        .count()
}

/// A page's text as pdftotext reads it, blank lines dropped, spaces collapsed.
fn page_lines(pdf: &Path, page: usize) -> Vec<String> {
    let out = Command::new("pdftotext")
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The text of every `<h2>` and `<h3>` of the HTML report, spaces collapsed.
fn headings(html: &str) -> Vec<String> {
    let tag = regex::Regex::new(r"(?s)<h[23]>(.*?)</h[23]>").unwrap();
    let markup = regex::Regex::new(r"<[^>]+>").unwrap();
    tag.captures_iter(html)
        .map(|c| {
            let text = markup.replace_all(&c[1], "");
            let text = text
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">");
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_csg_report_prints_without_blank_pages_or_orphaned_headings() {
    for tool in ["chromium", "pdftoppm", "pdftotext"] {
        assert!(
            Command::new(tool).arg("-v").output().is_ok(),
            "this test needs {tool}: apt-get install chromium fonts-thai-tlwg poppler-utils (.ci/run does)"
        );
    }
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let run = csg_with_fault("no-checksum", dir, &[]).await;
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let printed = cpc(args(&["report", dir, "--pdf"])).await;
    assert_eq!(printed.status.code(), Some(0), "{}", stderr(&printed));
    let pdf = out.path().join("report.th.pdf");
    assert!(pdf.is_file());

    let images = out.path().join("pages");
    std::fs::create_dir(&images).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(&pdf)
        .arg(images.join("page"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut pages: Vec<_> = std::fs::read_dir(&images)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(pages.len() >= 2, "{} pages", pages.len());
    for (i, page) in pages.iter().enumerate() {
        let dark = dark_pixels(page);
        let text: usize = page_lines(&pdf, i + 1)
            .iter()
            .map(|l| l.chars().count())
            .sum();
        // A page with only a stray line (a footer, a page number) is as good as blank on paper.
        assert!(
            dark > 150 && text > 60,
            "page {} is (nearly) blank: {dark} dark pixels, {text} characters",
            i + 1
        );
    }

    let html = std::fs::read_to_string(out.path().join("report.th.html")).unwrap();
    let headings = headings(&html);
    assert!(headings.len() > 5, "{headings:?}");
    // pdftotext gives a table's cells a line each: the header row is "ข้อ" then "ระดับ".
    let has_header = |lines: &[String]| lines.windows(2).any(|w| w[0] == "ข้อ" && w[1] == "ระดับ");
    // The requirement table starts under its heading, header row first.
    let table_page = (1..=pages.len())
        .find(|&p| {
            page_lines(&pdf, p)
                .iter()
                .any(|l| l == "ผลการทดสอบรายข้อกำหนด")
        })
        .expect("the requirement table's heading is printed");
    assert!(
        has_header(&page_lines(&pdf, table_page)),
        "no header row under the requirement table's heading on page {table_page}"
    );
    for page in 1..=pages.len() {
        let lines = page_lines(&pdf, page);
        let last = lines.last().cloned().unwrap_or_default();
        let last_two = lines[lines.len().saturating_sub(2)..].join(" ");
        assert!(
            !headings.iter().any(|h| *h == last || *h == last_two),
            "page {page} ends with the heading {last:?}, cut off from what follows it"
        );
        // Where the requirement table goes on from the page before, its header row repeats.
        assert!(
            !lines.first().is_some_and(|l| l.starts_with("TP-")),
            "page {page} continues the requirement table without its header row"
        );
    }
}
