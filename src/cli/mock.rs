//! `cpc mock`: the mock portal alone, for agency developers during step 9 (and for a step-10
//! portal on a host the agency's network can reach).

use std::io::Write;
use std::net::TcpListener;

use super::args::MockArgs;
use crate::run::exit::{INVALID as EXIT_INVALID, PASS as EXIT_PASS};
use crate::run::setup::{consumers, load_checked, mapping_set, resolve_vars, stderr_log};

use crate::portal::journal::Entry;
use crate::portal::{MockPortal, PortalLimits, PortalSetup};
use crate::redact::Redactor;
use crate::serve::Limits;

/// One line per inbound request, masked: time, method, path, status, the stub that answered.
pub fn log_line(entry: &Entry) -> String {
    let stub = entry.stub.as_deref().unwrap_or("no stub matched");
    let time = entry.at.get(11..19).unwrap_or(&entry.at);
    Redactor::default().text(&format!(
        "{time} {} {} → {} ({stub})",
        entry.method, entry.path, entry.status
    ))
}

pub fn mock(args: MockArgs) -> u8 {
    let suite = match &args.suite {
        Some(dir) => match load_checked(dir) {
            Ok((suite, _)) => Some(suite),
            Err(code) => return code,
        },
        None => None,
    };
    let set = match mapping_set(suite.as_ref(), args.mappings.as_deref()) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let consumers = match &suite {
        Some(suite) => {
            let rendered = resolve_vars(suite, &args.vars).and_then(|vars| consumers(suite, &vars));
            match rendered {
                Ok(consumers) => consumers,
                Err(e) => {
                    crate::complain!("error: {e}");
                    return EXIT_INVALID;
                }
            }
        }
        None => Vec::new(),
    };
    let loopback = args.addr.ip().is_loopback();
    // The journal holds tokens and personal data: off loopback, the admin API is guarded.
    let admin_token = match (&args.admin_token, loopback) {
        (Some(token), _) => Some(token.clone()),
        (None, false) => Some(uuid::Uuid::new_v4().simple().to_string()),
        (None, true) => None,
    };
    let listener = match TcpListener::bind(args.addr) {
        Ok(l) => l,
        Err(e) => {
            crate::complain!("error: cannot listen on {}: {e}", args.addr);
            return EXIT_INVALID;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            crate::complain!("error: cannot start the runtime: {e}");
            return EXIT_INVALID;
        }
    };
    let limits = PortalLimits {
        journal_entries: usize::try_from(args.journal_cap).unwrap_or(usize::MAX),
        journal_bytes: usize::try_from(args.journal_bytes).unwrap_or(usize::MAX),
        server: Limits {
            max_body_bytes: usize::try_from(args.max_body_bytes).unwrap_or(usize::MAX),
            header_read_timeout: std::time::Duration::from_millis(args.header_timeout_ms),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            ..Limits::default()
        },
    };
    runtime.block_on(async {
        let mut stop = match crate::run::stop::Stop::listen() {
            Ok(stop) => stop,
            Err(e) => {
                crate::complain!("error: cannot handle signals: {e}");
                return EXIT_INVALID;
            }
        };
        let log = (!args.quiet).then(|| -> crate::portal::server::RequestLog {
            Box::new(|entry: &Entry| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", log_line(entry));
            })
        });
        let registered = consumers.len();
        let setup = PortalSetup {
            set,
            consumers,
            admin_token: admin_token.clone(),
            limits,
            on_request: log,
            log: stderr_log(),
        };
        let portal = match MockPortal::start(listener, setup) {
            Ok(portal) => portal,
            Err(e) => {
                crate::complain!("error: cannot serve on {}: {e}", args.addr);
                return EXIT_INVALID;
            }
        };
        super::say(format_args!(
            "Portal จำลอง (mock portal) → {}",
            portal.uri()
        ));
        if let Some(token) = &admin_token
            && args.admin_token.is_none()
        {
            super::say(format_args!(
                "  admin token (Authorization: Bearer …): {token}"
            ));
        }
        super::say(format_args!(
            "  {} stub(s), {registered} consumer(s) registered; journal /__admin/requests; Ctrl-C or SIGTERM stops",
            portal.state.set.mappings.len()
        ));
        if registered == 0 {
            super::say(format_args!(
                "  no consumer is registered, so the gateway issues no token: give --suite DIR"
            ));
        }
        let signal = stop.signalled().await;
        super::say(format_args!("stopped ({})", signal.name()));
        EXIT_PASS
    })
}
