//! Bulwark's resilience pillar: the authority side of the CER Directive
//! (EU) 2022/2557 and of NIS2 (EU) 2022/2555 incident reporting.
//!
//! - [`registry`]: entities, essential-service provisions, critical
//!   infrastructure assets and dependencies; [`import`] loads and exports
//!   them as CSV or JSON, all or nothing.
//! - [`services`]: the essential services of Delegated Regulation (EU)
//!   2023/2450 and national additions (CER Art. 7(2)(a)).
//! - [`identification`]: CER Art. 6(2) tests, Art. 7(1) criteria, Art. 8
//!   carve-out, Art. 17(1) six-Member-State test; national numbers in
//!   [`thresholds`].
//! - [`obligations`]: the Art. 6(3) notification and the Art. 12(1)
//!   risk-assessment due dates of critical entities.
//! - [`incidents`]: CER Art. 15 and NIS2 Art. 23 clocks in parallel,
//!   significance (CER Art. 15(1), Implementing Regulation (EU) 2024/2690)
//!   and cross-border routing.
//! - [`simulations`]: stored runs of the cascading-disruption simulation
//!   (`bulwark-cascade` on the European model of `bulwark-europe`) with
//!   status, progress and a result summary.
//!
//! Architecture invariant: no HTTP, no CLI; SQL only in this crate's
//! storage functions; every write goes through `Store::write` with an audit
//! record; no content or personal data in logs or audit details.

pub mod demo;
pub mod error;
pub mod identification;
pub mod import;
pub mod incidents;
pub mod obligations;
pub mod registry;
pub mod services;
pub mod simulations;
pub mod thresholds;
pub mod vocab;

pub use error::{ResilienceError, Result, RowError};
pub use vocab::{DependencyKind, Format, Nis2EntityType, RecordKind, Regime, Resource, Stage};

use bulwark_store::Store;

/// Applies the pillar's migrations (versions 1000-1099) to `store`;
/// idempotent. Call after `Store::open` wherever the pillar is used.
pub async fn migrate(store: &Store) -> Result<()> {
    store
        .apply_migrations(sqlx::migrate!("./migrations"))
        .await?;
    Ok(())
}
