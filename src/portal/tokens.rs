//! Tokens the portal issued (TP-2.3): the gateway's tokens live 60 minutes. Checking one is a
//! hash lookup; expired ones are pruned in the order they were issued (they all live equally
//! long), and at most `MAX_LIVE` are kept: past that the oldest expire early, so a client that
//! asks for tokens forever cannot grow the portal. A token dropped so is remembered (by a hash,
//! up to `MAX_EVICTED`), so the 401 its holder gets next can say why.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
pub const MAX_LIVE: usize = 100_000;
/// Tokens dropped early before their time that are remembered, by a 64-bit hash.
pub const MAX_EVICTED: usize = 1_000_000;

#[derive(Default)]
pub struct Tokens {
    live: Mutex<Live>,
}

#[derive(Default)]
struct Live {
    expiry: HashMap<String, Instant>,
    /// In the order issued, so the oldest are at the front.
    order: VecDeque<(Instant, String)>,
    /// Hashes of tokens dropped before they expired, oldest first.
    evicted: std::collections::HashSet<u64>,
    evicted_order: VecDeque<u64>,
}

fn hash(token: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> =
        std::sync::OnceLock::new();
    let mut h = KEY.get_or_init(Default::default).build_hasher();
    h.write(token.as_bytes());
    h.finish()
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
                if *expires > now {
                    let h = hash(token);
                    if self.evicted.insert(h) {
                        self.evicted_order.push_back(h);
                    }
                    if self.evicted_order.len() > MAX_EVICTED
                        && let Some(old) = self.evicted_order.pop_front()
                    {
                        self.evicted.remove(&old);
                    }
                }
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

    /// Whether the portal issued this token and dropped it before its time (past `MAX_LIVE`).
    pub fn was_evicted(&self, token: &str) -> bool {
        self.live.lock().is_ok_and(|live| {
            live.evicted.contains(&hash(token)) && !live.expiry.contains_key(token)
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
        assert!(tokens.was_evicted("a") && !tokens.was_evicted("b"));
        assert!(tokens.is_issued(&format!("t{}", MAX_LIVE - 1)));
    }
}
