//! A fake agency for `suites/pay`, a service unlike CSG: bearer-token auth, an envelope
//! around every answer, a payment result the portal sends, a notification to the portal with
//! a token from the portal's OAuth endpoint, a PDF certificate with its SHA-256 in a header,
//! pagination, a legacy SOAP status service, a fee per copy, multipart attachments, signed
//! notifications retried with back-off, a rate the service information takes, and a counter
//! payment sent as a form. Each `Break`
//! breaks exactly one rule.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::Digest;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Break {
    /// Accepts any bearer token.
    Auth,
    /// `/service-info` answers without the envelope.
    Envelope,
    /// `payment_ref1` differs from `order_id`.
    Ref1,
    /// Notifies the portal 6 s after the payment.
    LateNotify,
    /// Notifies the portal without its bearer token.
    NoBearer,
    /// `X-Document-SHA256` is not the body's hash.
    Hash,
    /// The certificate is not a PDF.
    NotPdf,
    /// A page holds 51 items.
    BigPage,
    /// The next page starts with the last order of the page before (an off-by-one cursor).
    DuplicateIds,
    /// Thai messages of the list come back as mojibake.
    Mojibake,
    /// The SOAP service says UNPAID.
    Xml,
    /// The amount is written as text (`"9000"`), not a number.
    FeeAsText,
    /// The attachment is stored as text: its CR bytes are dropped.
    UploadCorrupt,
    /// Notifications are signed with another key.
    BadSignature,
    /// Refused notifications are sent again at a fixed interval.
    NoBackoff,
    /// The service information refuses (429) more than 10 requests a second.
    RateLimited,
    /// The counter payment reads a JSON body only, not the form.
    FormAsJson,
    /// An order of more than ten copies is taken (§12 allows 1 to 10).
    NoCopiesLimit,
}

/// The fee of one copy (PAY-9).
const FEE_PER_COPY: u64 = 3000;
/// The key notifications are signed with (PAY-11).
const SIGNING_KEY: &str = "pay-notify-signing-key";

const TOKEN: &str = "pay-agency-bearer-token";

struct Agency {
    broken: Option<Break>,
    portal: String,
    orders: Mutex<Vec<String>>,
    /// When each order was paid.
    paid: Mutex<std::collections::HashMap<String, String>>,
    /// When the service information was asked, for the rate limit of `Break::RateLimited`.
    asked: Mutex<std::collections::VecDeque<std::time::Instant>>,
    /// Receipts by number: (order id, amount).
    receipts: Mutex<std::collections::HashMap<String, (String, u64)>>,
}

fn envelope(
    status: u16,
    ok: bool,
    code: Option<&str>,
    message: &str,
    data: Value,
) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "status": if ok { "success" } else { "error" },
        "errorCode": code, "message": message, "data": data,
    }))
}

fn now() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7));
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

impl Agency {
    fn is(&self, b: Break) -> bool {
        self.broken == Some(b)
    }

    /// §12: `item` (1 to 100 characters) and `amount` (more than 0) or `copies` (1 to 10),
    /// nothing else.
    fn valid_order(&self, body: &Value) -> bool {
        let Some(order) = body.as_object() else {
            return false;
        };
        let most = if self.is(Break::NoCopiesLimit) {
            u64::MAX
        } else {
            10
        };
        let item = order
            .get("item")
            .and_then(Value::as_str)
            .is_some_and(|i| (1..=100).contains(&i.chars().count()));
        let amount = order
            .get("amount")
            .is_none_or(|a| a.as_f64().is_some_and(|a| a > 0.0));
        let copies = order
            .get("copies")
            .is_none_or(|c| c.is_u64() && c.as_u64().is_some_and(|c| (1..=most).contains(&c)));
        let known = order
            .keys()
            .all(|k| ["item", "amount", "copies"].contains(&k.as_str()));
        item && amount && copies && known
    }

    fn notify(&self, order_id: String) {
        let portal = self.portal.clone();
        let (late, bearer) = (self.is(Break::LateNotify), !self.is(Break::NoBearer));
        let (bad_key, backoff) = (self.is(Break::BadSignature), !self.is(Break::NoBackoff));
        tokio::spawn(async move {
            if late {
                tokio::time::sleep(Duration::from_secs(6)).await;
            }
            let client = reqwest::Client::new();
            let token: Value = client
                .post(format!("{portal}/oauth/token"))
                .header("X-Client-Id", "pay-client-id")
                .header("X-Client-Secret", "pay-client-secret")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let body =
                json!({"order_id": order_id, "status": "paid", "paid_at": now()}).to_string();
            // Sent again while refused: gaps of 200, 600, 1800 ms (each three times the one
            // before), or a fixed 300 ms without back-off.
            let mut gap = if backoff { 200 } else { 300 };
            for attempt in 0..4 {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(gap)).await;
                    if backoff {
                        gap *= 3;
                    }
                }
                let timestamp = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
                let signature = sign(
                    if bad_key { "another-key" } else { SIGNING_KEY },
                    &format!("{timestamp}.{body}"),
                );
                let mut request = client
                    .post(format!("{portal}/notify/orders/{order_id}"))
                    .header("Content-Type", "application/json")
                    .header("X-Timestamp", timestamp)
                    .header("X-Signature", format!("sha256={signature}"))
                    .body(body.clone());
                if bearer {
                    let token = token["access_token"].as_str().unwrap_or_default();
                    request = request.header("Authorization", format!("Bearer {token}"));
                }
                match request.send().await {
                    Ok(answer) if answer.status().is_success() => break,
                    _ => continue,
                }
            }
        });
    }

    /// A page of the orders, newest first, after the cursor `after` (an order id): orders
    /// made meanwhile go in front, so a cursor never sees one twice. A `Link` names the next
    /// page while there is one.
    fn list(&self, size: usize, after: Option<&str>) -> ResponseTemplate {
        let orders = self.orders.lock().unwrap();
        let size = size.clamp(1, 50);
        let mut start = after
            .and_then(|id| orders.iter().position(|o| o == id))
            .map_or(0, |at| at + 1);
        if self.is(Break::DuplicateIds) && after.is_some() {
            start -= 1;
        }
        let page: Vec<&String> = orders.iter().skip(start).take(size).collect();
        let mut items: Vec<Value> = page
            .iter()
            .map(|id| json!({"order_id": id, "status": "pending"}))
            .collect();
        if self.is(Break::BigPage) {
            items.push(json!({"order_id": uuid::Uuid::new_v4().to_string(), "status": "pending"}));
        }
        let message = if self.is(Break::Mojibake) {
            "สำเร็จ".bytes().map(char::from).collect()
        } else {
            "สำเร็จ".to_string()
        };
        let mut answer = envelope(
            200,
            true,
            None,
            &message,
            json!({"items": items, "size": items.len(), "total": orders.len()}),
        );
        if start + size < orders.len()
            && let Some(last) = page.last()
        {
            answer = answer.insert_header(
                "Link",
                format!("</orders?size={size}&after={last}>; rel=\"next\""),
            );
        }
        answer
    }

    fn certificate(&self, order_id: &str) -> ResponseTemplate {
        let mut pdf = format!("%PDF-1.4\n% certificate for order {order_id}\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n").into_bytes();
        if self.is(Break::NotPdf) {
            pdf.remove(0);
        }
        let mut hash = hex(&sha2::Sha256::digest(&pdf));
        if self.is(Break::Hash) {
            hash = hex(&sha2::Sha256::digest(b"another file"));
        }
        ResponseTemplate::new(200)
            .insert_header("X-Document-SHA256", hash.as_str())
            .set_body_raw(pdf, "application/pdf")
    }

    /// An attachment (PAY-10): what was stored, as the agency tells it.
    fn attach(&self, req: &Request) -> ResponseTemplate {
        let Some(Part {
            filename,
            content_type,
            mut bytes,
            ..
        }) = multipart(req).into_iter().find(|p| p.name == "file")
        else {
            return envelope(422, false, Some("NO_FILE"), "ไม่มีไฟล์แนบ", Value::Null);
        };
        if self.is(Break::UploadCorrupt) {
            bytes.retain(|b| *b != b'\r');
        }
        envelope(
            201,
            true,
            None,
            "แนบไฟล์แล้ว",
            json!({
                "filename": filename, "content_type": content_type, "bytes": bytes.len(),
                "sha256": hex(&sha2::Sha256::digest(&bytes)),
            }),
        )
    }

    /// A counter payment (PAY-14): a form, answered with the receipt number in the message.
    fn counter(&self, req: &Request) -> ResponseTemplate {
        let fields: std::collections::HashMap<String, String> = if self.is(Break::FormAsJson) {
            serde_json::from_slice(&req.body).unwrap_or_default()
        } else {
            form(&req.body)
        };
        let (Some(order_id), Some(amount)) = (
            fields.get("order_id"),
            fields.get("amount").and_then(|a| a.parse::<u64>().ok()),
        ) else {
            return envelope(422, false, Some("INVALID"), "ข้อมูลไม่ครบ", Value::Null);
        };
        let mut receipts = self.receipts.lock().unwrap();
        let number = format!("R-2569-{:06}", receipts.len() + 1);
        receipts.insert(number.clone(), (order_id.clone(), amount));
        envelope(
            200,
            true,
            None,
            &format!("ออกใบเสร็จเลขที่ {number} แล้ว"),
            Value::Null,
        )
    }

    fn receipt(&self, number: &str) -> ResponseTemplate {
        match self.receipts.lock().unwrap().get(number) {
            Some((order_id, amount)) => envelope(
                200,
                true,
                None,
                "ใบเสร็จ",
                json!({"receipt": number, "order_id": order_id, "amount": amount}),
            ),
            None => envelope(404, false, Some("NOT_FOUND"), "ไม่พบใบเสร็จ", Value::Null),
        }
    }

    /// Whether the service information refuses this request (more than 10 in the last second).
    fn over_rate(&self) -> bool {
        let now = std::time::Instant::now();
        let mut asked = self.asked.lock().unwrap();
        while asked
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
        {
            asked.pop_front();
        }
        asked.push_back(now);
        self.is(Break::RateLimited) && asked.len() > 10
    }

    fn soap(&self, order_id: &str) -> ResponseTemplate {
        let status = if self.is(Break::Xml) {
            "UNPAID"
        } else {
            "PAID"
        };
        let paid_at = self
            .paid
            .lock()
            .unwrap()
            .get(order_id)
            .cloned()
            .unwrap_or_default();
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><OrderStatus><OrderId>{order_id}</OrderId><Status>{status}</Status><PaidAt>{paid_at}</PaidAt></OrderStatus></soap:Body></soap:Envelope>"#
        );
        ResponseTemplate::new(200).set_body_raw(xml, "text/xml; charset=utf-8")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An `application/x-www-form-urlencoded` body's fields.
fn form(body: &[u8]) -> std::collections::HashMap<String, String> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// HMAC-SHA256 (RFC 2104), hex.
fn sign(key: &str, message: &str) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// One part of a `multipart/form-data` body.
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// The parts of a `multipart/form-data` body.
fn multipart(req: &Request) -> Vec<Part> {
    let content_type = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = content_type.split("boundary=").nth(1) else {
        return Vec::new();
    };
    let delimiter = format!("\r\n--{}", boundary.trim_matches('"'));
    // The body with a leading CRLF, so every delimiter looks the same.
    let body = [b"\r\n".as_slice(), &req.body].concat();
    let find = |from: usize, what: &[u8]| {
        body[from..]
            .windows(what.len())
            .position(|w| w == what)
            .map(|at| at + from)
    };
    let mut parts = Vec::new();
    let mut at = find(0, delimiter.as_bytes()).map(|i| i + delimiter.len());
    while let Some(start) = at {
        if body[start..].starts_with(b"--") {
            break;
        }
        let Some(head_end) = find(start, b"\r\n\r\n") else {
            break;
        };
        let Some(end) = find(head_end, delimiter.as_bytes()) else {
            break;
        };
        let head = String::from_utf8_lossy(&body[start..head_end]).to_string();
        let param = |key: &str| {
            head.split(&format!("{key}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .map(str::to_string)
        };
        let content_type = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("Content-Type: ")
                    .or_else(|| l.strip_prefix("content-type: "))
            })
            .map(str::to_string);
        parts.push(Part {
            name: param("name").unwrap_or_default(),
            filename: param("filename"),
            content_type,
            bytes: body[head_end + 4..end].to_vec(),
        });
        at = Some(end + delimiter.len());
    }
    parts
}

impl Respond for Agency {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let bearer = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if bearer != Some(&format!("Bearer {TOKEN}")) && !self.is(Break::Auth) {
            return envelope(401, false, Some("UNAUTHORIZED"), "ไม่ได้รับอนุญาต", Value::Null);
        }
        let path = req.url.path().to_string();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["service-info"]) if self.over_rate() => {
                envelope(429, false, Some("TOO_MANY"), "คำขอมากเกินไป", Value::Null)
            }
            ("GET", ["service-info"]) if self.is(Break::Envelope) => {
                ResponseTemplate::new(200).set_body_json(json!({"name": "PAY"}))
            }
            ("GET", ["service-info"]) => {
                envelope(200, true, None, "ข้อมูลบริการ", json!({"name": "PAY"}))
            }
            ("POST", ["orders"]) => {
                if !self.valid_order(&body) {
                    let message = "ข้อมูลคำขอไม่ถูกต้อง";
                    return envelope(422, false, Some("INVALID_ORDER"), message, Value::Null);
                }
                let id = uuid::Uuid::new_v4().to_string();
                self.orders.lock().unwrap().insert(0, id.clone());
                // An order of copies costs the fee of each (PAY-9); else the amount given.
                let amount = match body["copies"].as_u64() {
                    Some(copies) if self.is(Break::FeeAsText) => {
                        json!((copies * FEE_PER_COPY).to_string())
                    }
                    Some(copies) => json!(copies * FEE_PER_COPY),
                    None => body["amount"].clone(),
                };
                let ref1 = if self.is(Break::Ref1) {
                    "REF-0001".to_string()
                } else {
                    id.clone()
                };
                envelope(
                    201,
                    true,
                    None,
                    "สร้างรายการแล้ว",
                    json!({
                    "order_id": id, "payment_ref1": ref1, "amount": amount, "status": "pending"}),
                )
            }
            ("GET", ["orders"]) => {
                let query = |name: &str| {
                    req.url
                        .query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                };
                let size = query("size").and_then(|v| v.parse().ok()).unwrap_or(50);
                self.list(size, query("after").as_deref())
            }
            ("POST", ["payments", "result"]) => {
                let id = body["order_id"].as_str().unwrap_or_default().to_string();
                self.paid.lock().unwrap().insert(id.clone(), now());
                self.notify(id);
                envelope(200, true, None, "รับผลการชำระเงินแล้ว", Value::Null)
            }
            ("GET", ["orders", id, "certificate"]) => self.certificate(id),
            ("POST", ["orders", _, "attachments"]) => self.attach(req),
            ("POST", ["counter", "payments"]) => self.counter(req),
            ("GET", ["receipts", number]) => self.receipt(number),
            ("GET", ["legacy", "orders", id, "status"]) => self.soap(id),
            _ => envelope(404, false, Some("NOT_FOUND"), "ไม่พบ", Value::Null),
        }
    }
}

/// The fake agency, calling the portal at `portal`.
pub async fn start(broken: Option<Break>, portal: &str) -> MockServer {
    let server = MockServer::start().await;
    let seeded = (0..60).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let agency = Agency {
        broken,
        portal: portal.to_string(),
        orders: Mutex::new(seeded),
        paid: Mutex::default(),
        asked: Mutex::default(),
        receipts: Mutex::default(),
    };
    Mock::given(any()).respond_with(agency).mount(&server).await;
    server
}

/// A port nobody listens on yet, for the in-process portal (`--portal-addr`).
/// A port for a server a test starts later (the mock portal, whose address the fake agency
/// must know first). Not from the ephemeral range: there the port freed here could be handed
/// to any server binding port 0 (wiremock's, in runs going on beside) before the test binds
/// it. Ports below it, each handed out once per process, from a base that differs by process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 100) as u16 * 100;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 100;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}
