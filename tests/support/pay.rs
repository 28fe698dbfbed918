//! A fake agency for `suites/pay`, a service unlike CSG: bearer-token auth, an envelope
//! around every answer, a payment result the portal sends, a notification to the portal with
//! a token from the portal's OAuth endpoint, a PDF certificate with its SHA-256 in a header,
//! pagination, and a legacy SOAP status service. Each `Break` breaks exactly one rule.

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
}

const TOKEN: &str = "pay-agency-bearer-token";

struct Agency {
    broken: Option<Break>,
    portal: String,
    orders: Mutex<Vec<String>>,
    /// When each order was paid.
    paid: Mutex<std::collections::HashMap<String, String>>,
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

    fn notify(&self, order_id: String) {
        let portal = self.portal.clone();
        let (late, bearer) = (self.is(Break::LateNotify), !self.is(Break::NoBearer));
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
            let mut request = client
                .post(format!("{portal}/notify/orders/{order_id}"))
                .json(&json!({"order_id": order_id, "status": "paid", "paid_at": now()}));
            if bearer {
                let token = token["access_token"].as_str().unwrap_or_default();
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            let _ = request.send().await;
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
            ("GET", ["service-info"]) if self.is(Break::Envelope) => {
                ResponseTemplate::new(200).set_body_json(json!({"name": "PAY"}))
            }
            ("GET", ["service-info"]) => {
                envelope(200, true, None, "ข้อมูลบริการ", json!({"name": "PAY"}))
            }
            ("POST", ["orders"]) => {
                let id = uuid::Uuid::new_v4().to_string();
                self.orders.lock().unwrap().insert(0, id.clone());
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
                    "order_id": id, "payment_ref1": ref1, "amount": body["amount"].clone(), "status": "pending"}),
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
