//! A hostile target on a raw socket: it answers what a broken or malicious agency system might
//! (resets, garbage, endless bodies, an early 413 without reading the upload, bodies built to
//! break JUnit and Markdown), under the base path `/base`, and records every request target.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Hostile {
    pub url: String,
    /// Every request line's target, as received.
    pub seen: Arc<Mutex<Vec<String>>>,
}

/// What the injection route answers: CDATA end, a forged test case, a code fence, an HTML
/// comment, terminal escapes and characters XML forbids.
pub const INJECTION: &str = "]]><testcase name=\"forged\" classname=\"x\"/><![CDATA[\n```\n<!-- hidden\n\u{1}\u{1b}[2J\u{fffe} end";

pub fn start() -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/base", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || serve(stream, &log));
        }
    });
    Hostile { url, seen }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        log.lock().unwrap().push(target.clone());
        let mut out = stream.try_clone().unwrap();
        let path = target.split('?').next().unwrap_or("");
        if path == "/base/upload" && length > 1024 * 1024 {
            // As nginx: refuse from the head, never read the body, close.
            let body = r#"{"code":"PAYLOAD_TOO_LARGE"}"#;
            let answer = format!(
                "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            // One write: a reset discards whatever is still queued behind it.
            let _ = out.write_all(answer.as_bytes());
            return;
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        match path {
            "/base/echo" => {
                // The request back, as written and in the encodings a target might use.
                let raw = format!("{line}{}", String::from_utf8_lossy(&body));
                let unicode: String = raw
                    .chars()
                    .map(|c| format!("\\u{:04x}", c as u32))
                    .collect();
                let percent: String = raw.bytes().map(|b| format!("%{b:02X}")).collect();
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(raw.as_bytes());
                let answer = format!("{raw}\n{unicode}\n{percent}\n{b64}\n{}", echo_ids());
                respond(&mut out, "200 OK", "text/plain", &answer)
            }
            "/base/long" => {
                // An ID just past where check messages used to be cut.
                let value = format!("{} 1101401234566 and more", "y".repeat(190));
                let answer = serde_json::json!({ "value": value }).to_string();
                respond(&mut out, "200 OK", "application/json", &answer)
            }
            "/base/secret" => respond(
                &mut out,
                "200 OK",
                "application/json",
                r#"{"token":"captured-secret-value-123","other":"x"}"#,
            ),
            "/base/token-header" => {
                let answer = "HTTP/1.1 200 OK\r\nToken: a-different-token-value\r\nContent-Length: 0\r\n\r\n";
                let _ = out.write_all(answer.as_bytes());
            }
            "/base/inject" => respond(&mut out, "200 OK", "text/plain", INJECTION),
            "/base/censor" => {
                // Credential headers whose values are cpc's own words: JSON of the verdict and
                // an outcome, the Thai report's ไม่ผ่าน, another case's id.
                let answer = "HTTP/1.1 200 OK\r\nX-Api-Key: \"verdict\": \"fail\"\r\nSet-Cookie: a=\"outcome\":\"fail\"; Path=/\r\nToken: ไม่ผ่าน\r\nApi-Key: HOST-RESET\r\nContent-Length: 0\r\n\r\n";
                let _ = out.write_all(answer.as_bytes());
            }
            "/base/item" => respond(
                &mut out,
                "200 OK",
                "application/json",
                r#"{"id":"../../admin?x=1"}"#,
            ),
            "/base/where" => {
                let _ = write!(
                    out,
                    "HTTP/1.1 302 Found\r\nLocation: /base/../outside\r\nContent-Length: 0\r\n\r\n"
                );
            }
            p if p == "/base/reset" || p.starts_with("/base/reset/") => {
                reset(&stream);
                return;
            }
            "/base/garbage" => {
                let _ = out.write_all(b"\x00\xff\xfeNOT HTTP AT ALL\r\n\r\n\x01\x02");
                return;
            }
            "/base/endless" => {
                let _ = write!(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
                while out.write_all(chunk.as_bytes()).is_ok() {}
                return;
            }
            p if p.starts_with("/base/items/") => {
                respond(&mut out, "200 OK", "application/json", r#"{"ok":true}"#)
            }
            _ => respond(&mut out, "404 Not Found", "text/plain", "no"),
        }
    }
}

/// A valid national ID (1101401234566) in every shape a target might write it.
pub const ID_SHAPES: [&str; 9] = [
    "1101401234566",
    "CID1101401234566",
    "1 1014 01234 56 6",
    "1.1014.01234.56.6",
    "๑๑๐๑๔๐๑๒๓๔๕๖๖",
    "１１０１４０１２３４５６６",
    "\\u0031\\u0031\\u0030\\u00314\\u00301234566",
    "11014-01234-566",
    // {"cid":"1101401234566"} in base64.
    "eyJjaWQiOiIxMTAxNDAxMjM0NTY2In0=",
];

fn echo_ids() -> String {
    // Near the 64 KiB cut of recorded bodies, and near the cut of a check's actual value.
    let mut text = ID_SHAPES.join(" | ");
    text.push('\n');
    text.push_str(&"y".repeat(64 * 1024 - 8));
    text.push_str(" 1101401234566 tail");
    text
}

fn respond(out: &mut TcpStream, status: &str, mime: &str, body: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = out.write_all(answer.as_bytes());
}

/// Closes with a TCP reset (linger 0) instead of an orderly close.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket this function borrows, with a properly sized value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
    let _ = stream.shutdown(std::net::Shutdown::Read);
}
