//! Tokens the portal issued (TP-2.3): the gateway's tokens live 60 minutes. Checking one is a
//! hash lookup; expired ones are pruned in the order they were issued (they all live equally
//! long), and at most `MAX_LIVE` are kept: past that the oldest expire early, so a client that
//! asks for tokens forever cannot grow the portal.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
pub const MAX_LIVE: usize = 100_000;

#[derive(Default)]
pub struct Tokens {
    live: Mutex<Live>,
}

#[derive(Default)]
struct Live {
    expiry: HashMap<String, Instant>,
    /// In the order issued, so the oldest are at the front.
    order: VecDeque<(Instant, String)>,
}

impl Live {
    fn prune(&mut self, now: Instant, room_for: usize) {
        while let Some((expires, token)) = self.order.front() {
            if *expires > now && self.order.len() + room_for <= MAX_LIVE {
                break;
            }
            // A token issued again later has a later expiry: only its last issue counts.
            if self.expiry.get(token) == Some(expires) {
                self.expiry.remove(token);
            }
            self.order.pop_front();
        }
    }
}

impl Tokens {
    pub fn issue(&self, token: &str) {
        let Ok(mut live) = self.live.lock() else {
            return;
        };
        let now = Instant::now();
        live.prune(now, 1);
        let expires = now + TOKEN_LIFETIME;
        live.expiry.insert(token.to_string(), expires);
        live.order.push_back((expires, token.to_string()));
    }

    pub fn is_issued(&self, token: &str) -> bool {
        self.live.lock().is_ok_and(|live| {
            live.expiry
                .get(token)
                .is_some_and(|expiry| *expiry > Instant::now())
        })
    }

    pub fn live(&self) -> usize {
        self.live.lock().map_or(0, |live| live.expiry.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_known_and_the_oldest_go_past_the_cap() {
        let tokens = Tokens::default();
        tokens.issue("a");
        assert!(tokens.is_issued("a") && !tokens.is_issued("b"));
        for i in 0..MAX_LIVE {
            tokens.issue(&format!("t{i}"));
        }
        assert_eq!(tokens.live(), MAX_LIVE);
        assert!(!tokens.is_issued("a"), "the oldest made room");
        assert!(tokens.is_issued(&format!("t{}", MAX_LIVE - 1)));
    }
}
