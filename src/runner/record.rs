//! What the results keep of an exchange: masked headers, masked URL, bodies cut to a limit.

use crate::check::Response;
use crate::http::Outgoing;
use crate::redact::{MASK, Redactor, is_sensitive_header};
use crate::results::{BodyRecord, RequestRecord, ResponseRecord};

/// Bodies are kept up to this many bytes in results; the rest is counted, not stored.
pub const BODY_RECORD_LIMIT: usize = 64 * 1024;

pub fn request(out: &Outgoing, redactor: &Redactor) -> RequestRecord {
    let mut url = out.url.clone();
    if url.query().is_some() {
        // `?ConsumerSecret=…` (TP-2.3) is a credential, whatever the suite calls it.
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_sensitive_header(&k) {
                    MASK.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    RequestRecord {
        method: out.method.to_string(),
        url: redactor.text(url.as_str()),
        headers: headers(&out.headers, redactor),
        body: out.body.as_deref().map(|b| body(b, redactor)),
    }
}

pub fn response(resp: &Response, redactor: &Redactor) -> ResponseRecord {
    ResponseRecord {
        status: resp.status,
        headers: headers(&resp.headers, redactor),
        body: body(&resp.body, redactor),
        elapsed_ms: resp.elapsed_ms,
    }
}

fn headers(headers: &[(String, String)], redactor: &Redactor) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.clone(), redactor.header(k, v)))
        .collect()
}

fn body(bytes: &[u8], redactor: &Redactor) -> BodyRecord {
    let kept = &bytes[..bytes.len().min(BODY_RECORD_LIMIT)];
    let (text, binary) = match std::str::from_utf8(kept) {
        Ok(text) => (text.to_string(), false),
        // Cut inside a character: keep the valid part.
        Err(e) if e.error_len().is_none() => (
            String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned(),
            false,
        ),
        Err(_) => (String::new(), true),
    };
    BodyRecord {
        bytes: bytes.len(),
        text: redactor.text(&text),
        truncated: kept.len() < bytes.len(),
        binary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_credentials_in_query_and_headers() {
        let out = Outgoing {
            method: reqwest::Method::GET,
            url: "http://x/ws/auth/validate?ConsumerSecret=s3cr3t&AgentID=CSG"
                .parse()
                .unwrap(),
            headers: vec![
                ("Consumer-Key".into(), "k".into()),
                ("X-Citizen-Id".into(), "1101401234566".into()),
            ],
            body: None,
        };
        let r = request(&out, &Redactor::default());
        assert_eq!(
            r.url,
            "http://x/ws/auth/validate?ConsumerSecret=***&AgentID=CSG"
        );
        assert_eq!(r.headers[0].1, "***");
        assert_eq!(r.headers[1].1, "1-1014-xxxxx-xx-6");
    }

    #[test]
    fn cuts_large_and_marks_binary_bodies() {
        let big = vec![b'a'; BODY_RECORD_LIMIT + 10];
        let b = body(&big, &Redactor::default());
        assert!(b.truncated && !b.binary);
        assert_eq!(b.bytes, BODY_RECORD_LIMIT + 10);
        assert_eq!(b.text.len(), BODY_RECORD_LIMIT);
        let bin = body(&[0xff, 0xfe, 0x00], &Redactor::default());
        assert!(bin.binary && bin.text.is_empty());
    }
}
