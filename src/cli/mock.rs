//! `cpc mock`: the mock portal alone, for agency developers during step 9 (and for a step-10
//! portal on a host the agency's network can reach).

use std::io::Write;
use std::net::TcpListener;

use super::args::MockArgs;
use super::{EXIT_INVALID, EXIT_PASS};
use crate::portal::journal::Entry;
use crate::portal::{MappingSet, MockPortal, PortalLimits};
use crate::redact::Redactor;
use crate::serve::{Limits, Log};

/// The bundled stubs, plus `--mappings`; problems are printed and give exit code 2.
pub fn mapping_set(extra: Option<&std::path::Path>) -> Result<MappingSet, u8> {
    let set = MappingSet::bundled();
    let set = match extra {
        Some(dir) => set.and_then(|s| s.with_dir(dir)),
        None => set,
    };
    set.map_err(|problems| {
        super::validate::print_problems(&problems);
        EXIT_INVALID
    })
}

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
    let set = match mapping_set(args.mappings.as_deref()) {
        Ok(set) => set,
        Err(code) => return code,
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
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return EXIT_INVALID;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return EXIT_INVALID;
        }
    };
    let limits = PortalLimits {
        journal_entries: usize::try_from(args.journal_cap).unwrap_or(usize::MAX),
        journal_bytes: usize::try_from(args.journal_bytes).unwrap_or(usize::MAX),
        server: Limits {
            max_body_bytes: usize::try_from(args.max_body_bytes).unwrap_or(usize::MAX),
            header_read_timeout: std::time::Duration::from_millis(args.header_timeout_ms),
            ..Limits::default()
        },
    };
    runtime.block_on(async {
        let mut stop = match super::stop::Stop::listen() {
            Ok(stop) => stop,
            Err(e) => {
                eprintln!("error: cannot handle signals: {e}");
                return EXIT_INVALID;
            }
        };
        let log = (!args.quiet).then(|| -> crate::portal::server::RequestLog {
            Box::new(|entry: &Entry| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", log_line(entry));
            })
        });
        let portal = match MockPortal::start(
            listener,
            set,
            admin_token.clone(),
            limits,
            log,
            stderr_log(),
        ) {
            Ok(portal) => portal,
            Err(e) => {
                eprintln!("error: cannot serve on {}: {e}", args.addr);
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
            "  {} stub(s); journal /__admin/requests; Ctrl-C or SIGTERM stops",
            portal.state.set.mappings.len()
        ));
        let signal = stop.signalled().await;
        super::say(format_args!("stopped ({})", signal.name()));
        EXIT_PASS
    })
}

/// Where the servers say what goes wrong outside any request (accept errors): stderr.
pub fn stderr_log() -> Log {
    std::sync::Arc::new(|line: &str| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "cpc: {line}");
    })
}
