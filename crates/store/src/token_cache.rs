//! The in-process cache of authenticated API tokens.
//!
//! Every API request presents a bearer token; looking it up in the database
//! each time costs a round trip to a connection thread, which at tens of
//! thousands of requests per second is a large share of the work. A token
//! found active is therefore remembered for [`TOKEN_CACHE_TTL`], keyed by the
//! SHA-256 of its secret (the secret itself is never kept).
//!
//! Revocation stays effective:
//! * a revocation through this [`crate::Store`] (API, console, an in-process
//!   CLI call) empties the cache when it commits, so the next request is
//!   refused;
//! * a revocation by another process on the same database (the CLI against a
//!   running server, a second server on PostgreSQL) takes effect within
//!   [`TOKEN_CACHE_TTL`];
//! * a token's own expiry time is checked on every hit.
//!
//! Unknown secrets are never cached, so guessing cannot fill the cache; the
//! cache is bounded by [`TOKEN_CACHE_MAX`] entries and emptied when full.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bulwark_core::Timestamp;

use crate::tokens::Principal;

/// How long an active token is trusted without asking the database again:
/// the longest a revocation by another process may take to be seen.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(1);

/// Most tokens remembered at once.
pub const TOKEN_CACHE_MAX: usize = 4096;

struct Cached {
    principal: Principal,
    expires_at: Option<Timestamp>,
    fetched: Instant,
}

/// Active tokens by the hash of their secret.
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: Mutex<HashMap<String, Cached>>,
    /// Bumped by every [`TokenCache::clear`]: a lookup that began before a
    /// revocation committed must not put its (stale) answer back.
    generation: AtomicU64,
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The principal of `secret_hash` if it was found active less than
    /// [`TOKEN_CACHE_TTL`] ago and has not expired since.
    pub(crate) fn get(&self, secret_hash: &str, now: Timestamp) -> Option<Principal> {
        let mut entries = self.lock();
        let fresh = entries.get(secret_hash).and_then(|c| {
            let live =
                c.fetched.elapsed() < TOKEN_CACHE_TTL && c.expires_at.is_none_or(|t| t > now);
            live.then(|| c.principal.clone())
        });
        if fresh.is_none() {
            entries.remove(secret_hash);
        }
        fresh
    }

    /// The current generation, taken before a database lookup.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Remembers an active token found by a lookup that began at
    /// `generation` (nothing is kept if the cache was emptied since).
    pub(crate) fn put(
        &self,
        generation: u64,
        secret_hash: String,
        principal: Principal,
        expires_at: Option<Timestamp>,
    ) {
        let mut entries = self.lock();
        if self.generation() != generation {
            return;
        }
        if entries.len() >= TOKEN_CACHE_MAX {
            entries.clear();
        }
        entries.insert(
            secret_hash,
            Cached {
                principal,
                expires_at,
                fetched: Instant::now(),
            },
        );
    }

    /// Forgets every token (after a revocation).
    pub(crate) fn clear(&self) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}
