//! Sessions and login throttling, in memory: a session is a random 256-bit id in an HttpOnly,
//! SameSite=Strict cookie, known only to this process (a restart logs everyone out), with its
//! user, its CSRF token and an expiry. Failed logins for a name are slowed down exponentially.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a session lasts without use.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);

/// A new random token: 32 bytes from the OS, hex-encoded.
pub fn token() -> String {
    let mut b = [0u8; 32];
    // The OS random source does not fail on Linux once booted; should it, the all-zero token is
    // still refused below (an empty map never holds it).
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// Sent back in every form; a POST without it is refused.
    pub csrf: String,
    /// Correction batches registered in this session (the page lets them be undone).
    pub batches: Vec<i64>,
    /// Reclassify runs started in this session (undoable too).
    pub runs: Vec<i64>,
    /// The ente whose store the session shows (`None`: the one store of a single-office page).
    pub ente: Option<String>,
    /// A consortium administrator, who may switch to another ente.
    pub admin: bool,
    expires: Instant,
}

/// The sessions of this process.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Starts a session for `user` on `ente`'s store; returns its id.
    pub fn start(&self, user: &str, ente: Option<String>, admin: bool) -> String {
        let id = token();
        let s = Session {
            user: user.to_string(),
            csrf: token(),
            batches: Vec::new(),
            runs: Vec::new(),
            ente,
            admin,
            expires: Instant::now() + IDLE,
        };
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, s| s.expires > Instant::now());
        map.insert(id.clone(), s);
        id
    }

    /// The session of a cookie's id, if it exists and has not expired; its expiry moves on.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        match map.get_mut(id) {
            Some(s) if s.expires > now && id.len() == 64 => {
                s.expires = now + IDLE;
                Some(s.clone())
            }
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    /// Notes a correction batch registered in a session.
    pub fn record_batch(&self, id: &str, batch: i64) {
        if let Some(s) = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_mut(id) {
            s.batches.push(batch);
        }
    }

    /// Notes a reclassify run started in a session.
    pub fn record_run(&self, id: &str, run: i64) {
        if let Some(s) = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_mut(id) {
            s.runs.push(run);
        }
    }

    /// Moves an administrator's session to another ente's store. The undo lists are emptied:
    /// batch and run numbers belong to the store they were made in.
    pub fn switch(&self, id: &str, ente: &str) {
        if let Some(s) = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_mut(id)
            && s.admin
        {
            s.ente = Some(ente.to_string());
            s.batches.clear();
            s.runs.clear();
        }
    }

    /// Ends a session (logout).
    pub fn end(&self, id: &str) {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(id);
    }
}

/// Failed logins per account name: after each failure the next attempt for that name waits
/// longer (1 s, 2 s, 4 s ... up to a minute), whatever the password.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// How long an attempt for `name` must wait before it is checked.
    pub fn delay(&self, name: &str) -> Duration {
        let map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(name) {
            Some((n, at)) => {
                let wait = Duration::from_secs(1u64 << (*n).min(6)).min(Duration::from_secs(60));
                wait.saturating_sub(at.elapsed())
            }
            None => Duration::ZERO,
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bound the map: names nobody tried for an hour are forgotten.
        map.retain(|_, (_, at)| at.elapsed() < Duration::from_secs(3600));
        let e = map.entry(name.to_string()).or_insert((0, Instant::now()));
        e.0 = e.0.saturating_add(1);
        e.1 = Instant::now();
    }

    /// A successful login clears the name's failures.
    pub fn succeeded(&self, name: &str) {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_start_are_found_and_end() {
        let s = Sessions::default();
        let id = s.start("maria", None, false);
        assert_eq!(id.len(), 64);
        let got = s.get(&id).expect("found");
        assert_eq!(got.user, "maria");
        assert_eq!(got.csrf.len(), 64);
        assert_ne!(got.csrf, id);
        assert!(s.get("0".repeat(64).as_str()).is_none());
        s.end(&id);
        assert!(s.get(&id).is_none());
        assert_ne!(token(), token());
    }

    #[test]
    fn failures_slow_the_next_attempt_down() {
        let t = Throttle::default();
        assert_eq!(t.delay("maria"), Duration::ZERO);
        t.failed("maria");
        assert!(t.delay("maria") > Duration::from_millis(500));
        t.failed("maria");
        assert!(t.delay("maria") > Duration::from_millis(1500));
        assert_eq!(t.delay("luca"), Duration::ZERO, "per name");
        t.succeeded("maria");
        assert_eq!(t.delay("maria"), Duration::ZERO);
    }
}
