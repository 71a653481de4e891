//! The demo dataset behind `bulwark serve --demo`. Pillars add their demo
//! data here; each seeding step is idempotent so a demo database can be
//! reused across restarts.

use bulwark_core::{MemberStateScope, Role};
use bulwark_store::tokens::{self, NewToken};
use bulwark_store::{Actor, Store};

/// Seeds the demo database and returns a fresh admin token secret (a new
/// one at every start, since only hashes of secrets are stored).
pub async fn seed(store: &Store) -> anyhow::Result<String> {
    let actor = Actor::system();
    let issued = tokens::create(
        store,
        &actor,
        &MemberStateScope::All,
        NewToken {
            name: "demo admin".into(),
            role: Role::Admin,
            organisation: "Bulwark demo".into(),
            scope: MemberStateScope::All,
            expires_at: None,
        },
        "bulwark serve --demo",
    )
    .await?;
    Ok(issued.secret)
}
