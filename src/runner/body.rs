//! Request bodies that are not one text: an HTML form (`application/x-www-form-urlencoded`, as
//! the WHATWG URL standard encodes it) and `multipart/form-data` (RFC 7578), whose boundary cpc
//! picks afresh for each request and checks against every part. Pure: fields and parts in,
//! bytes out.

/// The bytes of a form: `name=value&…`, spaces as `+`, everything but `*-._` and ASCII
/// alphanumerics percent-encoded (UTF-8).
pub fn form(fields: &[(String, String)]) -> Vec<u8> {
    fn encode(out: &mut String, text: &str) {
        for b in text.bytes() {
            match b {
                b' ' => out.push('+'),
                b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                    out.push(b as char)
                }
                b => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(&mut out, name);
        out.push('=');
        encode(&mut out, value);
    }
    out.into_bytes()
}

/// One part of a multipart body, rendered.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A name or file name in a `Content-Disposition` header: UTF-8 as it is (RFC 7578 §4.2, as
/// browsers send it), with `"`, CR and LF percent-encoded so the header stays one quoted string.
fn quoted(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The body and its boundary. `fresh` gives a new random token; one found inside a part is
/// never used.
pub fn multipart(parts: &[Part], mut fresh: impl FnMut() -> String) -> (String, Vec<u8>) {
    let boundary = loop {
        let candidate = format!("cpc-{}", fresh());
        let inside = parts
            .iter()
            .any(|p| memchr::memmem::find(&p.bytes, candidate.as_bytes()).is_some());
        if !inside {
            break candidate;
        }
    };
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("form-data; name=\"{}\"", quoted(&part.name));
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename=\"{}\"", quoted(filename)));
        }
        out.extend_from_slice(format!("Content-Disposition: {disposition}\r\n").as_bytes());
        if let Some(content_type) = &part.content_type {
            let one_line = content_type.replace(['\r', '\n'], " ");
            out.extend_from_slice(format!("Content-Type: {one_line}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&part.bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_encode_as_browsers_do() {
        let fields = [
            ("q".to_string(), "a b&c=d".to_string()),
            ("ชื่อ".to_string(), "สมหญิง*-._~".to_string()),
        ];
        assert_eq!(
            String::from_utf8(form(&fields)).unwrap(),
            "q=a+b%26c%3Dd&%E0%B8%8A%E0%B8%B7%E0%B9%88%E0%B8%AD=%E0%B8%AA%E0%B8%A1%E0%B8%AB%E0%B8%8D%E0%B8%B4%E0%B8%87*-._%7E"
        );
    }

    #[test]
    fn a_boundary_found_in_a_part_is_not_used() {
        let parts = [Part {
            name: "a\"b".into(),
            filename: Some("ใบ\r\nรับรอง.pdf".into()),
            content_type: Some("application/pdf".into()),
            bytes: b"%PDF cpc-1 \xff\xd8".to_vec(),
        }];
        let mut tokens = vec!["2".to_string(), "1".to_string()];
        let (boundary, body) = multipart(&parts, || tokens.pop().unwrap());
        assert_eq!(boundary, "cpc-2");
        let mut expected = b"--cpc-2\r\nContent-Disposition: form-data; name=\"a%22b\"; filename=\"\xe0\xb9\x83\xe0\xb8\x9a%0D%0A\xe0\xb8\xa3\xe0\xb8\xb1\xe0\xb8\x9a\xe0\xb8\xa3\xe0\xb8\xad\xe0\xb8\x87.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF cpc-1 \xff\xd8\r\n--cpc-2--\r\n".to_vec();
        assert_eq!(body, std::mem::take(&mut expected));
    }
}
