//! Fault switches: each makes the reference e-service break one clause of the proposal, to show
//! that the suite catches it (`cpc run --target reference --fault NAME`).

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "kebab-case")]
pub enum Fault {
    /// Serves requests without checking Consumer-Key and Token.
    NoAuthCheck,
    /// Answers errors as plain text instead of the JSON error body.
    PlainTextErrors,
    /// Shows an application to any citizen, not only its applicant.
    NoCitizenIsolation,
    /// `GET /health` answers after 1.5 s.
    SlowHealth,
    /// Reference numbers carry the Gregorian year instead of the Buddhist Era.
    GregorianReference,
    /// Every submission takes 3.5 s.
    SlowSubmit,
    /// A resent request_id creates a second application.
    NotIdempotent,
    /// Citizen-ID checksums are not checked.
    NoChecksum,
    /// Malformed JSON crashes with a 500 and a stack trace.
    CrashOnMalformedJson,
    /// Bodies over 10 MiB are accepted.
    NoSizeLimit,
    /// Thai names come back as mojibake (UTF-8 read as Latin-1).
    Mojibake,
    /// `status_th` of an application in review is wrong.
    WrongStatusTh,
    /// An unknown application crashes with a 500.
    CrashOnUnknown,
    /// Never calls the portal back.
    NoCallback,
    /// The first callback of an application arrives after the later ones.
    OutOfOrder,
    /// Calls the portal back without a Token.
    NoToken,
    /// Gives up after the first failed callback.
    NoRetry,
    /// Sends an accepted status a second time.
    DuplicateCallback,
    /// Accepts documents in any status.
    DocumentsInAnyState,
    /// Lets approved, rejected and cancelled applications be cancelled.
    CancelAnything,
    /// Error bodies carry a stack trace under a member of their own (`debug`), not `stack`.
    TraceInErrors,
}

impl Fault {
    /// The requirements a run against this fault fails (the first is the one it is about).
    /// Some faults cannot break one clause alone: an agency that never calls back fails every
    /// clause about callbacks.
    pub fn breaks(self) -> &'static [&'static str] {
        match self {
            Fault::NoAuthCheck => &["TP-2.1"],
            // Every clause that names an error code or body checks it.
            Fault::PlainTextErrors => &[
                "TP-2.2", "TP-2.1", "TP-2.4", "TP-4.5", "TP-4.6", "TP-5.1", "TP-5.2", "TP-7.2",
                "TP-8.2",
            ],
            Fault::NoCitizenIsolation => &["TP-2.4"],
            Fault::SlowHealth => &["TP-3.1"],
            // The reference number's format is part of every answer and callback that carries it;
            // and every receipt is judged against the API description (CSG-INV-API-RECEIPT), so
            // each case that submits an application fails at that step, whatever it tests.
            Fault::GregorianReference => &[
                "TP-4.1", "TP-2.1", "TP-2.3", "TP-2.4", "TP-4.2", "TP-4.3", "TP-4.4", "TP-5.1",
                "TP-6.1", "TP-6.2", "TP-6.3", "TP-6.4", "TP-7.1", "TP-7.2", "TP-8.1", "TP-8.2",
            ],
            Fault::SlowSubmit => &["TP-4.2", "TP-10.1"],
            Fault::NotIdempotent => &["TP-4.3"],
            Fault::NoChecksum => &["TP-4.4"],
            // A 500 with a stack trace breaks the error-body clause too.
            Fault::CrashOnMalformedJson => &["TP-4.5", "TP-2.2"],
            Fault::NoSizeLimit => &["TP-4.6"],
            Fault::Mojibake => &["TP-4.7"],
            Fault::WrongStatusTh => &["TP-5.1", "TP-7.1"],
            Fault::CrashOnUnknown => &["TP-5.2", "TP-2.2"],
            Fault::NoCallback => &["TP-6.1", "TP-2.3", "TP-6.2", "TP-6.3", "TP-6.4"],
            Fault::OutOfOrder => &["TP-6.2"],
            // The portal refuses its callbacks: none is delivered, so none is on time or in order.
            Fault::NoToken => &["TP-6.3", "TP-2.3", "TP-6.1", "TP-6.2", "TP-6.4"],
            Fault::NoRetry => &["TP-6.4"],
            Fault::DuplicateCallback => &["TP-6.4"],
            Fault::DocumentsInAnyState => &["TP-7.2"],
            Fault::CancelAnything => &["TP-8.2"],
            // Every case that sees an error answer fails by the invariant, as with plain-text
            // errors, and TP-4.4's too (its 422 carries the trace).
            Fault::TraceInErrors => &[
                "TP-2.2", "TP-2.1", "TP-2.4", "TP-4.4", "TP-4.5", "TP-4.6", "TP-5.1", "TP-5.2",
                "TP-7.2", "TP-8.2",
            ],
        }
    }

    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    pub fn all() -> &'static [Fault] {
        Fault::value_variants()
    }
}
