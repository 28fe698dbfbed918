//! How a run ends on a signal: SIGINT (Ctrl-C), SIGTERM (CI cancellation, `timeout`, `docker
//! stop`) and SIGHUP (a closed terminal) all stop the cases still running, and the run still
//! writes every file with a verdict (fail). The signals are blocked from the first line of
//! `main` until the handlers exist, so one that arrives during start-up waits instead of
//! killing the process before it can write anything.

use tokio::sync::watch;

/// The signals that end a run, and the exit code each gives (128 + its number, as shells do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Hangup,
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Hangup => 129,
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Hangup => "SIGHUP",
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// The first of the signals received, as it is received.
pub struct Stop {
    received: watch::Receiver<Option<Signal>>,
}

#[cfg(unix)]
const HANDLED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// First thing in `main`: hold the run-ending signals until `Stop::listen` handles them, and
/// turn a file-size limit (`ulimit -f`) into a write error instead of a silent death.
pub fn hold_signals() {
    #[cfg(unix)]
    // SAFETY: plain libc calls on a signal set owned by this frame, before any other thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in HANDLED {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Back to the default: for commands that write no verdict, a signal just ends them.
#[cfg(unix)]
pub fn release_signals() {
    // SAFETY: as in `hold_signals`.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in HANDLED {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

#[cfg(not(unix))]
pub fn release_signals() {}

impl Stop {
    /// Handles the signals from now on (a signal held since start-up arrives now). Must be
    /// called within a tokio runtime, on the thread that called `hold_signals`.
    #[cfg(unix)]
    pub fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangup = signal(SignalKind::hangup())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let (tx, received) = watch::channel(None);
        tokio::spawn(async move {
            let first = tokio::select! {
                _ = hangup.recv() => Signal::Hangup,
                _ = interrupt.recv() => Signal::Interrupt,
                _ = terminate.recv() => Signal::Terminate,
            };
            let _ = tx.send(Some(first));
            // Later signals are taken and ignored: the files are being written.
            loop {
                tokio::select! {
                    _ = hangup.recv() => {}
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
        });
        release_signals();
        Ok(Self { received })
    }

    #[cfg(not(unix))]
    pub fn listen() -> std::io::Result<Self> {
        let (tx, received) = watch::channel(None);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(Some(Signal::Interrupt));
            }
        });
        Ok(Self { received })
    }

    /// The signal received so far, if any.
    pub fn received(&self) -> Option<Signal> {
        *self.received.borrow()
    }

    /// Resolves when a signal arrives.
    pub async fn signalled(&mut self) -> Signal {
        loop {
            if let Some(signal) = *self.received.borrow_and_update() {
                return signal;
            }
            if self.received.changed().await.is_err() {
                // The listener is gone: no signal will come.
                std::future::pending::<()>().await;
            }
        }
    }
}
