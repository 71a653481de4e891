//! The demo dataset behind `bulwark serve --demo`. Pillars add their demo
//! data here; each seeding step is idempotent so a demo database can be
//! reused across restarts.

use bulwark_core::{MemberStateScope, Role};
use bulwark_store::tokens::{self, NewToken};
use bulwark_store::{Actor, Store};

/// Fresh demo tokens (new ones at every start, since only hashes of secrets
/// are stored).
pub struct DemoTokens {
    /// Platform administration: tokens, audit log.
    pub admin: String,
    /// An EU-wide analyst: the pillars' records.
    pub analyst: String,
}

async fn issue(store: &Store, name: &str, role: Role) -> anyhow::Result<String> {
    let issued = tokens::create(
        store,
        &Actor::system(),
        &MemberStateScope::All,
        NewToken {
            name: name.into(),
            role,
            organisation: "Bulwark demo".into(),
            scope: MemberStateScope::All,
            expires_at: None,
        },
        "bulwark serve --demo",
    )
    .await?;
    Ok(issued.secret)
}

/// Seeds the demo database (each pillar's demo data, idempotently) and
/// issues the demo tokens.
pub async fn seed(store: &Store) -> anyhow::Result<DemoTokens> {
    bulwark_resilience::demo::seed(store).await?;
    Ok(DemoTokens {
        admin: issue(store, "demo admin", Role::Admin).await?,
        analyst: issue(store, "demo analyst", Role::Analyst).await?,
    })
}
