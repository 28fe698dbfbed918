//! What the results keep of an exchange: masked headers, masked URL, bodies masked whole and
//! then cut to a limit.

use crate::check::Response;
use crate::http::Outgoing;
use crate::redact::{MASK, Redactor, credential_values, is_sensitive_header};
use crate::results::{BodyRecord, Exchange, RequestRecord, ResponseRecord};

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

/// The credentials an exchange carries (credential headers, credential query parameters):
/// secrets from now on, should the other side echo them.
pub fn credentials(headers: &[(String, String)], url: &reqwest::Url) -> Vec<String> {
    headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
        .filter(|(k, _)| is_sensitive_header(k))
        .flat_map(|(_, v)| credential_values(&v))
        .collect()
}

/// An exchange recorded earlier, masked again with what the case knows now.
pub fn remask(mut exchange: Exchange, redactor: &Redactor) -> Exchange {
    let again = |body: &mut BodyRecord| body.text = redactor.text(&body.text);
    exchange.request.url = redactor.text(&exchange.request.url);
    for (k, v) in &mut exchange.request.headers {
        *v = redactor.header(k, v);
    }
    if let Some(body) = &mut exchange.request.body {
        again(body);
    }
    if let Some(response) = &mut exchange.response {
        for (k, v) in &mut response.headers {
            *v = redactor.header(k, v);
        }
        again(&mut response.body);
    }
    exchange
}

fn body(bytes: &[u8], redactor: &Redactor) -> BodyRecord {
    let utf8 = std::str::from_utf8(bytes).ok();
    // Masked whole, then cut: a cut never leaves part of a secret or an ID.
    let (text, truncated) = match utf8 {
        Some(text) => {
            let masked = redactor.text(text);
            let mut end = masked.len().min(BODY_RECORD_LIMIT);
            while !masked.is_char_boundary(end) {
                end -= 1;
            }
            (masked[..end].to_string(), end < masked.len())
        }
        None => (String::new(), false),
    };
    BodyRecord {
        bytes: bytes.len(),
        text,
        truncated,
        binary: utf8.is_none(),
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
        // An ID across the cut is masked before it, not cut in half.
        let mut near = vec![b'a'; BODY_RECORD_LIMIT - 6];
        near.extend_from_slice(b" 1101401234566 tail");
        let b = body(&near, &Redactor::default());
        assert!(
            b.text.ends_with(" 1-101"),
            "{}",
            &b.text[b.text.len() - 20..]
        );
        let bin = body(&[0xff, 0xfe, 0x00], &Redactor::default());
        assert!(bin.binary && bin.text.is_empty());
    }
}
