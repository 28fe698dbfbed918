//! Tokens the portal issued (TP-2.3): the gateway's tokens live 60 minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);

#[derive(Default)]
pub struct Tokens {
    issued: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    pub fn issue(&self, token: &str) {
        if let Ok(mut issued) = self.issued.lock() {
            issued.retain(|_, expiry| *expiry > Instant::now());
            issued.insert(token.to_string(), Instant::now() + TOKEN_LIFETIME);
        }
    }

    pub fn is_issued(&self, token: &str) -> bool {
        self.issued
            .lock()
            .map(|issued| {
                issued
                    .get(token)
                    .is_some_and(|expiry| *expiry > Instant::now())
            })
            .unwrap_or(false)
    }
}
