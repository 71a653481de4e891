//! The pillar's demo registry for `bulwark serve --demo`: a few fictional
//! entities, provisions, assets and dependencies (the files in `demo/`).
//! Seeding is idempotent: records are keyed, so a re-import updates them.

use bulwark_store::{Actor, Store};

use crate::Result;
use crate::import::{self, ImportFile, ImportSummary};

const FILES: [(&str, &str); 4] = [
    ("demo/entities.csv", include_str!("../demo/entities.csv")),
    (
        "demo/provisions.csv",
        include_str!("../demo/provisions.csv"),
    ),
    ("demo/assets.csv", include_str!("../demo/assets.csv")),
    (
        "demo/dependencies.csv",
        include_str!("../demo/dependencies.csv"),
    ),
];

/// Applies the pillar's migrations and imports the demo registry (one
/// audited, all-or-nothing import).
pub async fn seed(store: &Store) -> Result<ImportSummary> {
    crate::migrate(store).await?;
    let files = FILES
        .iter()
        .map(|(name, text)| ImportFile::from_name(name, (*text).to_string()))
        .collect::<Result<Vec<_>>>()?;
    import::import(
        store,
        &Actor::system(),
        &files,
        None,
        "bulwark serve --demo",
    )
    .await
}
