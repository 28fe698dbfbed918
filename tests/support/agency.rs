//! A fake agency e-Service that meets the CSG proposal (or breaks one clause on purpose), built
//! on wiremock with one stateful responder, for end-to-end tests of the real `cpc` binary.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, macros::format_description, macros::offset};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

/// One clause the agency breaks on purpose, and the requirement that must catch it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// TP-2.1: serves requests without checking Consumer-Key/Token.
    NoAuthCheck,
    /// TP-2.2: error bodies are plain text.
    PlainTextErrors,
    /// TP-2.4: shows an application to any citizen.
    NoCitizenIsolation,
    /// TP-3.1: health answers after 1.5 s.
    SlowHealth,
    /// TP-4.1: reference numbers use the Gregorian year.
    GregorianReference,
    /// TP-4.3: a resent request_id creates a new application.
    NotIdempotent,
    /// TP-4.4: citizen-ID checksums are not checked.
    NoChecksum,
    /// TP-4.5: malformed JSON crashes with a 500.
    CrashOnMalformedJson,
    /// TP-5.2: an unknown application gets 500.
    CrashOnUnknown,
    /// TP-7.2: documents are accepted in any status.
    DocumentsInAnyState,
    /// TP-8.2: approved applications can be cancelled.
    CancelAnything,
    /// TP-4.7 (should): Thai names come back as mojibake.
    Mojibake,
    /// TP-6.1: never calls the portal back.
    NoCallback,
    /// TP-6.1: calls back 11 s after the status changed (the proposal allows 10 s).
    LateCallback,
    /// TP-6.2: the first callback of an application arrives after the later ones.
    OutOfOrder,
    /// TP-6.3 (and TP-2.3): calls back without a Token.
    NoToken,
    /// TP-6.4: gives up after the first failed callback.
    NoRetry,
    /// TP-6.4: sends an accepted status a second time.
    DuplicateCallback,
}

impl Fault {
    pub fn requirement(self) -> &'static str {
        match self {
            Fault::NoAuthCheck => "TP-2.1",
            Fault::PlainTextErrors => "TP-2.2",
            Fault::NoCitizenIsolation => "TP-2.4",
            Fault::SlowHealth => "TP-3.1",
            Fault::GregorianReference => "TP-4.1",
            Fault::NotIdempotent => "TP-4.3",
            Fault::NoChecksum => "TP-4.4",
            Fault::CrashOnMalformedJson => "TP-4.5",
            Fault::CrashOnUnknown => "TP-5.2",
            Fault::DocumentsInAnyState => "TP-7.2",
            Fault::CancelAnything => "TP-8.2",
            Fault::Mojibake => "TP-4.7",
            Fault::NoCallback | Fault::LateCallback => "TP-6.1",
            Fault::OutOfOrder => "TP-6.2",
            Fault::NoToken => "TP-6.3",
            Fault::NoRetry | Fault::DuplicateCallback => "TP-6.4",
        }
    }
}

struct App {
    id: String,
    reference_no: String,
    citizen_id: String,
    first_name_th: String,
    last_name_th: String,
    status: &'static str,
    history: Vec<(&'static str, String)>,
    documents_required: Vec<Value>,
    remark_th: Value,
}

#[derive(Default)]
struct State {
    apps: HashMap<String, App>,
    by_request_id: HashMap<String, String>,
    seq: u32,
}

pub struct Agency {
    fault: Option<Fault>,
    state: Mutex<State>,
    portal: Option<Arc<Portal>>,
}

/// The agency's side of section 6: a token from the portal, then a callback per status change.
struct Portal {
    url: String,
    client: reqwest::Client,
    token: tokio::sync::Mutex<Option<String>>,
    /// One lane per application keeps its callbacks in order.
    lanes: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A fake agency whose `PORTAL_URL` is `portal_url` (callbacks go nowhere without one).
pub async fn start(fault: Option<Fault>, portal_url: Option<String>) -> MockServer {
    let server = MockServer::start().await;
    let portal = portal_url.map(|url| {
        Arc::new(Portal {
            url,
            client: reqwest::Client::new(),
            token: tokio::sync::Mutex::new(None),
            lanes: Mutex::new(HashMap::new()),
        })
    });
    let agency = Agency {
        fault,
        state: Mutex::new(State::default()),
        portal,
    };
    Mock::given(any()).respond_with(agency).mount(&server).await;
    server
}

const MAX_BODY: usize = 10 * 1024 * 1024;

fn now() -> String {
    OffsetDateTime::now_utc()
        .to_offset(offset!(+7))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn status_th(status: &str) -> &'static str {
    match status {
        "received" => "รับคำขอแล้ว",
        "in_review" => "อยู่ระหว่างพิจารณา",
        "need_more_info" => "ขอเอกสารเพิ่มเติม",
        "approved" => "อนุมัติ",
        "rejected" => "ไม่อนุมัติ",
        _ => "ยกเลิกคำขอ",
    }
}

/// Proposal §9.
fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("received", "in_review" | "cancelled")
            | (
                "in_review",
                "need_more_info" | "approved" | "rejected" | "cancelled"
            )
            | ("need_more_info", "in_review" | "cancelled")
    )
}

fn valid_citizen_id(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if s.len() != 13 || d.len() != 13 {
        return false;
    }
    let sum: u32 = (0..12).map(|i| (13 - i as u32) * d[i]).sum();
    (11 - sum % 11) % 10 == d[12]
}

impl Agency {
    fn error(&self, status: u16, code: &str, th: &str, en: &str) -> ResponseTemplate {
        if self.fault == Some(Fault::PlainTextErrors) {
            return ResponseTemplate::new(status)
                .set_body_raw(format!("{code}: {en}"), "text/plain");
        }
        ResponseTemplate::new(status)
            .set_body_json(json!({"code": code, "message_th": th, "message_en": en}))
    }

    fn status_object(&self, app: &App) -> Value {
        let mut first = app.first_name_th.clone();
        let mut last = app.last_name_th.clone();
        if self.fault == Some(Fault::Mojibake) {
            // UTF-8 read as Latin-1: the classic fault.
            first = first.bytes().map(char::from).collect();
            last = last.bytes().map(char::from).collect();
        }
        json!({
            "application_id": app.id, "reference_no": app.reference_no,
            "status": app.status, "status_th": status_th(app.status),
            "updated_at": app.history.last().map(|h| h.1.clone()),
            "applicant": {"citizen_id": app.citizen_id, "first_name_th": first, "last_name_th": last},
            "history": app.history.iter().map(|(s, at)| json!({"status": s, "changed_at": at})).collect::<Vec<_>>(),
            "documents_required": app.documents_required, "remark_th": app.remark_th,
        })
    }

    fn submit(&self, req: &Request) -> ResponseTemplate {
        if req.body.len() > MAX_BODY && self.fault != Some(Fault::CrashOnMalformedJson) {
            return self.error(
                413,
                "PAYLOAD_TOO_LARGE",
                "ข้อมูลมีขนาดใหญ่เกินกำหนด",
                "payload too large",
            );
        }
        let json_type = req
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json_type {
            return self.error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "รองรับเฉพาะ JSON",
                "only JSON is accepted",
            );
        }
        let body: Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(_) if self.fault == Some(Fault::CrashOnMalformedJson) => {
                return ResponseTemplate::new(500)
                    .set_body_string("Traceback (most recent call last)");
            }
            Err(_) => {
                return self.error(
                    400,
                    "MALFORMED_REQUEST",
                    "รูปแบบ JSON ไม่ถูกต้อง",
                    "malformed JSON",
                );
            }
        };
        let details = self.validate(&body);
        if !details.is_empty() {
            return ResponseTemplate::new(422).set_body_json(json!({
                "code": "VALIDATION_FAILED", "message_th": "ข้อมูลไม่ถูกต้อง",
                "message_en": "validation failed", "details": details}));
        }
        let mut state = self.state.lock().unwrap();
        let request_id = body["request_id"].as_str().unwrap_or_default().to_string();
        if self.fault != Some(Fault::NotIdempotent)
            && let Some(id) = state.by_request_id.get(&request_id)
        {
            let app = &state.apps[id];
            return ResponseTemplate::new(200).set_body_json(receipt(app));
        }
        state.seq += 1;
        let year = if self.fault == Some(Fault::GregorianReference) {
            2026
        } else {
            2569
        };
        let app = App {
            id: format!("app-{}", state.seq),
            reference_no: format!("CSG-{year}-{:06}", state.seq),
            citizen_id: body["applicant"]["citizen_id"]
                .as_str()
                .unwrap_or_default()
                .into(),
            first_name_th: body["applicant"]["first_name_th"]
                .as_str()
                .unwrap_or_default()
                .into(),
            last_name_th: body["applicant"]["last_name_th"]
                .as_str()
                .unwrap_or_default()
                .into(),
            status: "received",
            history: vec![("received", now())],
            documents_required: vec![],
            remark_th: Value::Null,
        };
        let response = ResponseTemplate::new(201).set_body_json(receipt(&app));
        self.notify(&app);
        state.by_request_id.insert(request_id, app.id.clone());
        state.apps.insert(app.id.clone(), app);
        response
    }

    /// TP-4.4's rules, one detail per broken rule.
    fn validate(&self, body: &Value) -> Vec<Value> {
        let mut details = Vec::new();
        let mut fail =
            |field: &str, th: &str| details.push(json!({"field": field, "message_th": th}));
        let required = [
            "/request_id",
            "/service_code",
            "/submitted_at",
            "/applicant/citizen_id",
            "/applicant/title_th",
            "/applicant/first_name_th",
            "/applicant/last_name_th",
            "/applicant/birth_date",
            "/applicant/phone",
            "/applicant/address/house_no",
            "/applicant/address/subdistrict",
            "/applicant/address/district",
            "/applicant/address/province",
            "/applicant/address/postcode",
            "/form/child/citizen_id",
            "/form/child/first_name_th",
            "/form/child/last_name_th",
            "/form/child/birth_date",
            "/form/household_members",
            "/form/household_income_per_year",
            "/form/bank_account/bank_code",
            "/form/bank_account/account_no",
            "/consent/pdpa",
            "/consent/accepted_at",
        ];
        for pointer in required {
            if body.pointer(pointer).is_none_or(Value::is_null) {
                fail(pointer, "ต้องระบุข้อมูลนี้");
            }
        }
        if self.fault != Some(Fault::NoChecksum) {
            for pointer in ["/applicant/citizen_id", "/form/child/citizen_id"] {
                if let Some(id) = body.pointer(pointer).and_then(Value::as_str)
                    && !valid_citizen_id(id)
                {
                    fail(pointer, "เลขประจำตัวประชาชนไม่ถูกต้อง");
                }
            }
        }
        let format = format_description!("[year]-[month]-[day]");
        if let Some(born) = body
            .pointer("/form/child/birth_date")
            .and_then(Value::as_str)
        {
            let today = OffsetDateTime::now_utc().to_offset(offset!(+7)).date();
            match Date::parse(born, format) {
                Ok(date) if date > today => fail("/form/child/birth_date", "วันเกิดเป็นวันในอนาคต"),
                Ok(date) if date < today.replace_year(today.year() - 6).unwrap_or(today) => {
                    fail("/form/child/birth_date", "เด็กอายุเกิน 6 ปี")
                }
                Ok(_) => {}
                Err(_) => fail("/form/child/birth_date", "รูปแบบวันที่ไม่ถูกต้อง"),
            }
        }
        if body
            .pointer("/form/household_income_per_year")
            .and_then(Value::as_f64)
            .is_some_and(|n| n < 0.0)
        {
            fail("/form/household_income_per_year", "รายได้ต้องไม่ติดลบ");
        }
        if body
            .pointer("/form/household_members")
            .and_then(Value::as_i64)
            .is_some_and(|n| n < 1)
        {
            fail("/form/household_members", "จำนวนสมาชิกต้องไม่น้อยกว่า 1");
        }
        if body.pointer("/consent/pdpa") != Some(&Value::Bool(true)) {
            fail("/consent/pdpa", "ต้องให้ความยินยอม");
        }
        for (i, att) in body["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let types = [
                "birth_certificate",
                "house_registration",
                "income_certificate",
                "bank_book",
            ];
            let media = ["application/pdf", "image/jpeg", "image/png"];
            if !types.contains(&att["type"].as_str().unwrap_or_default())
                || !media.contains(&att["content_type"].as_str().unwrap_or_default())
            {
                fail(
                    &format!("/attachments/{i}/content_type"),
                    "ไม่รองรับประเภทไฟล์นี้",
                );
            }
            let content = base64::engine::general_purpose::STANDARD
                .decode(att["content_base64"].as_str().unwrap_or_default())
                .unwrap_or_default();
            let sha: String = Sha256::digest(&content)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if att["sha256"].as_str() != Some(sha.as_str()) {
                fail(&format!("/attachments/{i}/sha256"), "sha256 ไม่ตรงกับเนื้อไฟล์");
            }
        }
        details
    }

    /// Finds the caller's application, or answers as if it did not exist (TP-2.4).
    fn with_app(
        &self,
        req: &Request,
        id: &str,
        f: impl FnOnce(&mut App) -> ResponseTemplate,
    ) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let citizen = req
            .headers
            .get("x-citizen-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match state.apps.get_mut(id) {
            Some(app)
                if app.citizen_id == citizen || self.fault == Some(Fault::NoCitizenIsolation) =>
            {
                f(app)
            }
            None if self.fault == Some(Fault::CrashOnUnknown) => ResponseTemplate::new(500),
            _ => self.error(
                404,
                "APPLICATION_NOT_FOUND",
                "ไม่พบคำขอ",
                "application not found",
            ),
        }
    }

    fn transition(app: &mut App, to: &'static str) {
        app.status = to;
        app.history.push((to, now()));
    }
}

impl Agency {
    /// Reports the application's status to the portal, in the background (proposal §6).
    fn notify(&self, app: &App) {
        let (Some(portal), Ok(runtime)) =
            (self.portal.clone(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        if self.fault == Some(Fault::NoCallback) {
            return;
        }
        let body = json!({
            "reference_no": app.reference_no, "application_id": app.id, "service_code": "CSG",
            "status": app.status, "status_th": status_th(app.status),
            "changed_at": app.history.last().map(|h| h.1.clone()),
            "remark_th": app.remark_th, "documents_required": app.documents_required,
        });
        runtime.spawn(deliver(portal, self.fault, app.reference_no.clone(), body));
    }
}

async fn deliver(portal: Arc<Portal>, fault: Option<Fault>, reference: String, body: Value) {
    if fault == Some(Fault::LateCallback) {
        tokio::time::sleep(Duration::from_secs(11)).await;
    }
    if fault == Some(Fault::OutOfOrder) && body["status"] == "received" {
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
    let lane = portal
        .lanes
        .lock()
        .unwrap()
        .entry(reference.clone())
        .or_default()
        .clone();
    let _in_order = lane.lock().await;
    let url = format!("{}/api/v1/applications/{reference}/status", portal.url);
    for attempt in 1..=6u64 {
        let mut request = portal
            .client
            .post(&url)
            .header("Consumer-Key", "csg-agency-key")
            .timeout(Duration::from_secs(5))
            .json(&body);
        if fault != Some(Fault::NoToken) {
            request = request.header("Token", portal.token().await.unwrap_or_default());
        }
        let accepted = request.send().await.is_ok_and(|r| r.status().is_success());
        if accepted {
            if fault == Some(Fault::DuplicateCallback) {
                let _ = portal
                    .client
                    .post(&url)
                    .header("Consumer-Key", "csg-agency-key")
                    .header("Token", portal.token().await.unwrap_or_default())
                    .json(&body)
                    .send()
                    .await;
            }
            return;
        }
        if fault == Some(Fault::NoRetry) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
    }
}

impl Portal {
    /// TP-2.3: a token from the portal's gateway, fetched once.
    async fn token(&self) -> Option<String> {
        let mut token = self.token.lock().await;
        if token.is_none() {
            let answer: Value = self
                .client
                .get(format!("{}/ws/auth/validate", self.url))
                .query(&[("ConsumerSecret", "csg-agency-secret"), ("AgentID", "CSG")])
                .header("Consumer-Key", "csg-agency-key")
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            *token = answer["Result"].as_str().map(str::to_string);
        }
        token.clone()
    }
}

fn receipt(app: &App) -> Value {
    json!({"application_id": app.id, "reference_no": app.reference_no, "status": "received",
           "status_th": "รับคำขอแล้ว", "received_at": app.history[0].1})
}

fn known_status(s: &str) -> Option<&'static str> {
    [
        "received",
        "in_review",
        "need_more_info",
        "approved",
        "rejected",
        "cancelled",
    ]
    .into_iter()
    .find(|k| *k == s)
}

impl Respond for Agency {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_string();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let method = req.method.as_str();
        if (method, segments.as_slice()) == ("GET", ["health"].as_slice()) {
            let ok = ResponseTemplate::new(200).set_body_json(json!({"status": "ok"}));
            return if self.fault == Some(Fault::SlowHealth) {
                ok.set_delay(std::time::Duration::from_millis(1500))
            } else {
                ok
            };
        }
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let authorized = header("consumer-key") == Some("csg-portal-key")
            && header("token") == Some("csg-portal-token");
        if !authorized && self.fault != Some(Fault::NoAuthCheck) {
            return self.error(401, "UNAUTHORIZED", "ไม่ได้รับอนุญาต", "unauthorized");
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        match (method, segments.as_slice()) {
            ("POST", ["applications"]) => self.submit(req),
            ("GET", ["applications", id]) => self.with_app(req, id, |app| {
                ResponseTemplate::new(200).set_body_json(self.status_object(app))
            }),
            ("POST", ["applications", id, "documents"]) => self.with_app(req, id, |app| {
                if app.status == "need_more_info" || self.fault == Some(Fault::DocumentsInAnyState)
                {
                    Self::transition(app, "in_review");
                    app.documents_required.clear();
                    self.notify(app);
                    ResponseTemplate::new(202).set_body_json(self.status_object(app))
                } else {
                    self.error(409, "INVALID_STATE", "สถานะไม่อนุญาต", "invalid state")
                }
            }),
            ("POST", ["applications", id, "cancel"]) => self.with_app(req, id, |app| {
                if allowed(app.status, "cancelled") || self.fault == Some(Fault::CancelAnything) {
                    Self::transition(app, "cancelled");
                    self.notify(app);
                    ResponseTemplate::new(200).set_body_json(self.status_object(app))
                } else {
                    self.error(409, "INVALID_STATE", "สถานะไม่อนุญาต", "invalid state")
                }
            }),
            ("POST", ["test-control", "applications", id, "transition"]) => {
                let mut state = self.state.lock().unwrap();
                let Some(app) = state.apps.get_mut(*id) else {
                    return self.error(
                        404,
                        "APPLICATION_NOT_FOUND",
                        "ไม่พบคำขอ",
                        "application not found",
                    );
                };
                match body["to"].as_str().and_then(known_status) {
                    Some(to) if allowed(app.status, to) && to != "cancelled" => {
                        Self::transition(app, to);
                        app.remark_th = body["remark_th"].clone();
                        app.documents_required = body["documents_required"]
                            .as_array()
                            .cloned()
                            .unwrap_or_default();
                        self.notify(app);
                        ResponseTemplate::new(200).set_body_json(self.status_object(app))
                    }
                    _ => self.error(409, "INVALID_STATE", "สถานะไม่อนุญาต", "invalid state"),
                }
            }
            _ => self.error(404, "NOT_FOUND", "ไม่พบ", "not found"),
        }
    }
}
