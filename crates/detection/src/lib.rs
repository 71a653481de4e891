//! Bulwark's detection pillar: detection of known child sexual abuse and
//! terrorist material with the safeguards of the proposed CSA Regulation
//! (COM(2022) 209), the interim Regulation (EU) 2021/1232 regime and the
//! Terrorist Content Online Regulation (EU) 2021/784.
//!
//! - [`signing`] and [`lists`]: signed, versioned indicator lists; import
//!   only when the signature and version chain verify; per-indicator
//!   status; diffs applied to the live [`matcher`] without a rebuild.
//! - [`basis`]: detection orders and voluntary bases; no scan without one.
//! - [`scan`]: hash in memory, match, record hashes and metadata only.
//! - [`review`]: the human-review queue, negative lists, error figures.
//! - [`reports`]: signed CSA Art. 13 / Annex III reports of confirmed matches;
//!   [`keys`]: the providers' signing keys, sealed at rest.
//! - [`removal`]: TCO Art. 3 (one hour) and CSA Art. 14 removal orders.
//! - [`flood`]: quarantine of indicators that suddenly match too much.
//! - [`complaints`], [`retention`] (audited purge), [`transparency`]
//!   (annual figures), [`demo`] (benign stand-ins for the demo).
//!
//! Architecture invariant: no HTTP, no CLI; content is never written to
//! the store, to disk or to logs; every write goes through `Store::write`
//! with an audit record.

pub mod basis;
pub mod complaints;
pub mod demo;
pub mod error;
pub mod flood;
pub mod keys;
pub mod lists;
pub mod matcher;
pub mod recorder;
pub mod reinstatement;
pub mod removal;
pub mod reports;
pub mod retention;
pub mod review;
pub mod scan;
pub mod signing;
mod sql;
pub mod sync;
pub mod transparency;
pub mod vocab;

pub use error::{DetectionError, Result};
pub use matcher::Matcher;

use bulwark_store::Store;

/// Applies the pillar's migrations (versions 2000-2099) to `store`;
/// idempotent. Call after `Store::open` wherever the pillar is used.
///
/// With a key-encryption key attached to the store (`Store::with_kek`), it
/// also checks that the stored signing keys were sealed with it and seals
/// any plain ones left from before sealing ([`keys::seal_at_rest`]).
pub async fn migrate(store: &Store) -> Result<()> {
    store
        .apply_migrations(sqlx::migrate!("./migrations"))
        .await?;
    reports::fill_recipients(store).await?;
    if store.has_kek() {
        keys::seal_at_rest(store).await?;
    }
    Ok(())
}
