//! The CSG e-service as an agency would build it for the proposal: routes, credentials,
//! validation, idempotency, citizen isolation and the status lifecycle, with callbacks to the
//! portal on every change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::Request;

use super::callbacks::{self, Portal};
use super::fault::Fault;
use super::rules::{allowed, known_status, status_th, validate};
use crate::clock;
use crate::serve::{Answer, Reply};

/// The portal → agency credentials of the test environment (§11), checked by TP-2.1.
const PORTAL_CONSUMER_KEY: &str = "csg-portal-key";
const PORTAL_TOKEN: &str = "csg-portal-token";
/// TP-4.6.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

struct Application {
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
    applications: HashMap<String, Application>,
    /// TP-4.3: request_id → application id.
    by_request_id: HashMap<String, String>,
    next: u32,
}

pub struct Service {
    fault: Option<Fault>,
    state: Mutex<State>,
    portal: Arc<Portal>,
}

impl Service {
    pub fn new(fault: Option<Fault>, portal_url: &str) -> Self {
        Self {
            fault,
            state: Mutex::new(State::default()),
            portal: Arc::new(Portal::new(portal_url)),
        }
    }

    fn broken(&self, fault: Fault) -> bool {
        self.fault == Some(fault)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// TP-2.2: every error is JSON with a Thai message, and nothing internal.
    fn error(&self, status: u16, code: &str, th: &str, en: &str) -> Reply {
        if self.broken(Fault::PlainTextErrors) {
            return Reply::new(status).set_body_raw(format!("{code}: {en}"), "text/plain");
        }
        let mut body = json!({"code": code, "message_th": th, "message_en": en});
        self.leak_trace(&mut body);
        Reply::new(status).set_body_json(body)
    }

    /// The trace an agency's framework puts in an error body when debugging is left on.
    fn leak_trace(&self, body: &mut Value) {
        if self.broken(Fault::TraceInErrors) {
            body["debug"] = json!(
                "java.lang.IllegalStateException: unexpected state\n\tat th.go.example.csg.ApplicationHandler.handle(ApplicationHandler.java:88)"
            );
        }
    }

    fn not_found(&self) -> Reply {
        self.error(
            404,
            "APPLICATION_NOT_FOUND",
            "ไม่พบคำขอ",
            "application not found",
        )
    }

    fn invalid_state(&self) -> Reply {
        self.error(
            409,
            "INVALID_STATE",
            "สถานะของคำขอไม่อนุญาตให้ดำเนินการนี้",
            "not allowed in this status",
        )
    }

    /// §5's status object.
    fn status_object(&self, app: &Application) -> Value {
        let (mut first, mut last) = (app.first_name_th.clone(), app.last_name_th.clone());
        if self.broken(Fault::Mojibake) {
            first = first.bytes().map(char::from).collect();
            last = last.bytes().map(char::from).collect();
        }
        let status_th = if self.broken(Fault::WrongStatusTh) && app.status == "in_review" {
            "กำลังดำเนินการ"
        } else {
            status_th(app.status)
        };
        json!({
            "application_id": app.id, "reference_no": app.reference_no,
            "status": app.status, "status_th": status_th,
            "updated_at": app.history.last().map(|h| h.1.clone()),
            "applicant": {"citizen_id": app.citizen_id, "first_name_th": first, "last_name_th": last},
            "history": app.history.iter().map(|(s, at)| json!({"status": s, "changed_at": at})).collect::<Vec<_>>(),
            "documents_required": app.documents_required, "remark_th": app.remark_th,
        })
    }

    /// §6: tell the portal, in the background, so the answer to the caller is not held up.
    fn notify(&self, app: &Application) {
        if self.broken(Fault::NoCallback) {
            return;
        }
        let body = json!({
            "reference_no": app.reference_no, "application_id": app.id, "service_code": "CSG",
            "status": app.status, "status_th": status_th(app.status),
            "changed_at": app.history.last().map(|h| h.1.clone()),
            "remark_th": app.remark_th, "documents_required": app.documents_required,
        });
        callbacks::enqueue(&self.portal, self.fault, &app.reference_no, body);
    }

    fn change(&self, app: &mut Application, to: &'static str) {
        app.status = to;
        app.history.push((to, clock::rfc3339(clock::now())));
        self.notify(app);
    }

    /// §4, `POST /applications`.
    fn submit(&self, req: &Request) -> Reply {
        if req.body.len() > MAX_BODY && !self.broken(Fault::NoSizeLimit) {
            return self.error(
                413,
                "PAYLOAD_TOO_LARGE",
                "ข้อมูลมีขนาดเกิน 10 MiB",
                "payload over 10 MiB",
            );
        }
        let is_json = req
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return self.error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "รองรับเฉพาะข้อมูลแบบ JSON",
                "only JSON is accepted",
            );
        }
        let body: Value = match serde_json::from_slice(&req.body) {
            Ok(body) => body,
            Err(_) if self.broken(Fault::CrashOnMalformedJson) => {
                return Reply::new(500)
                    .set_body_string("Traceback (most recent call last):\n  ...");
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
        let details = validate(&body, !self.broken(Fault::NoChecksum));
        if !details.is_empty() {
            let mut body = json!({
                "code": "VALIDATION_FAILED", "message_th": "ข้อมูลคำขอไม่ถูกต้อง",
                "message_en": "validation failed", "details": details});
            self.leak_trace(&mut body);
            return Reply::new(422).set_body_json(body);
        }
        let mut state = self.state();
        let request_id = body["request_id"].as_str().unwrap_or_default().to_string();
        // TP-4.3: the same request_id is the same application.
        if !self.broken(Fault::NotIdempotent)
            && let Some(app) = state
                .by_request_id
                .get(&request_id)
                .and_then(|id| state.applications.get(id))
        {
            return Reply::new(200).set_body_json(receipt(app));
        }
        state.next += 1;
        let now = clock::now();
        // TP-4.1: CSG-<Buddhist Era year>-<6 digits>.
        let year = if self.broken(Fault::GregorianReference) {
            now.year()
        } else {
            now.year() + 543
        };
        let text = |pointer: &str| {
            body.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let app = Application {
            id: uuid::Uuid::new_v4().to_string(),
            reference_no: format!("CSG-{year}-{:06}", state.next),
            citizen_id: text("/applicant/citizen_id"),
            first_name_th: text("/applicant/first_name_th"),
            last_name_th: text("/applicant/last_name_th"),
            status: "received",
            history: vec![("received", clock::rfc3339(now))],
            documents_required: Vec::new(),
            remark_th: Value::Null,
        };
        let mut response = Reply::new(201).set_body_json(receipt(&app));
        if self.broken(Fault::SlowSubmit) {
            response = response.set_delay(Duration::from_millis(3500));
        }
        self.notify(&app);
        state.by_request_id.insert(request_id, app.id.clone());
        state.applications.insert(app.id.clone(), app);
        response
    }

    /// TP-2.4: another citizen's application answers exactly as a missing one does.
    fn citizens_own(
        &self,
        req: &Request,
        id: &str,
        then: impl FnOnce(&mut Application) -> Reply,
    ) -> Reply {
        let citizen = req
            .headers
            .get("x-citizen-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut state = self.state();
        match state.applications.get_mut(id) {
            Some(app) if app.citizen_id == citizen || self.broken(Fault::NoCitizenIsolation) => {
                then(app)
            }
            None if self.broken(Fault::CrashOnUnknown) => Reply::new(500),
            _ => self.not_found(),
        }
    }

    /// §11: the test-only staff decision endpoint.
    fn transition(&self, id: &str, body: &Value) -> Reply {
        let mut state = self.state();
        let Some(app) = state.applications.get_mut(id) else {
            return self.not_found();
        };
        match body["to"].as_str().and_then(known_status) {
            // Cancelling is the citizen's, through §8, not a staff decision.
            Some(to) if allowed(app.status, to) && to != "cancelled" => {
                app.remark_th = body["remark_th"].clone();
                app.documents_required = body["documents_required"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                self.change(app, to);
                Reply::new(200).set_body_json(self.status_object(app))
            }
            _ => self.invalid_state(),
        }
    }
}

fn receipt(app: &Application) -> Value {
    json!({"application_id": app.id, "reference_no": app.reference_no, "status": "received",
           "status_th": status_th("received"), "received_at": app.history[0].1})
}

impl Answer for Service {
    /// TP-4.6, from the request's head: the body is not read (as nginx answers).
    fn oversized(&self, _limit: usize) -> Reply {
        self.error(
            413,
            "PAYLOAD_TOO_LARGE",
            "ข้อมูลมีขนาดเกิน 10 MiB",
            "payload over 10 MiB",
        )
    }

    fn answer(&self, req: &Request) -> Reply {
        let path = req.url.path().to_string();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let method = req.method.as_str();
        // TP-3.1: health needs no credentials.
        if (method, segments.as_slice()) == ("GET", ["health"].as_slice()) {
            let ok = Reply::new(200).set_body_json(json!({"status": "ok"}));
            return if self.broken(Fault::SlowHealth) {
                ok.set_delay(Duration::from_millis(1500))
            } else {
                ok
            };
        }
        // TP-2.1: everything else checks the portal's Consumer-Key and Token.
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let authorised = header("consumer-key") == Some(PORTAL_CONSUMER_KEY)
            && header("token") == Some(PORTAL_TOKEN);
        if !authorised && !self.broken(Fault::NoAuthCheck) {
            return self.error(
                401,
                "UNAUTHORIZED",
                "ไม่ได้รับอนุญาต: Consumer-Key หรือ Token ไม่ถูกต้อง",
                "unauthorized",
            );
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        match (method, segments.as_slice()) {
            ("POST", ["applications"]) => self.submit(req),
            ("GET", ["applications", id]) => self.citizens_own(req, id, |app| {
                Reply::new(200).set_body_json(self.status_object(app))
            }),
            // §7: documents only when asked for; the application goes back to review.
            ("POST", ["applications", id, "documents"]) => self.citizens_own(req, id, |app| {
                if app.status == "need_more_info" || self.broken(Fault::DocumentsInAnyState) {
                    app.documents_required.clear();
                    self.change(app, "in_review");
                    Reply::new(202).set_body_json(self.status_object(app))
                } else {
                    self.invalid_state()
                }
            }),
            // §8: cancelling before a decision.
            ("POST", ["applications", id, "cancel"]) => self.citizens_own(req, id, |app| {
                if allowed(app.status, "cancelled") || self.broken(Fault::CancelAnything) {
                    self.change(app, "cancelled");
                    Reply::new(200).set_body_json(self.status_object(app))
                } else {
                    self.invalid_state()
                }
            }),
            ("POST", ["test-control", "applications", id, "transition"]) => {
                self.transition(id, &body)
            }
            _ => self.error(404, "NOT_FOUND", "ไม่พบบริการที่เรียก", "no such endpoint"),
        }
    }
}
