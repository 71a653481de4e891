//! Bulwark's storage layer.
//!
//! One API over SQLite (the embedded default: a file, WAL, foreign keys on)
//! and PostgreSQL (shared deployments, chosen by a `postgres://` URL), with
//! the same versioned migrations on both ([`Store::open`]).
//!
//! Every write goes through [`Store::write`], whose [`WriteTx::commit`]
//! appends a record to the hash-chained [`audit`] log in the same
//! transaction: no write without its audit record, no audit record without
//! its write.
//!
//! Secrets that must be kept at rest are sealed with a key-encryption key
//! read from a key file outside the database ([`kek`], [`seal`]), attached
//! to a store with [`Store::with_kek`].
//!
//! Architecture invariants: SQL lives here and in pillar crates' storage
//! modules only; nothing here knows HTTP or the command line; no secret,
//! content or personal data is logged.

pub mod audit;
pub mod db;
pub mod error;
pub mod kek;
pub mod seal;
pub mod sessions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token_cache;
pub mod tokens;
pub mod write;

pub use audit::{AuditEntry, AuditRecord, VerifyReport};
pub use db::{Backend, Store};
pub use error::{Result, StoreError};
pub use kek::Kek;
pub use tokens::{Principal, TokenId};
pub use write::{Actor, WriteTx};
