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
    /// The demo online service provider (detection pillar): scans, lists, bases.
    pub provider: String,
    /// The demo provider's human reviewer: the review queue.
    pub reviewer: String,
    /// A demo competent authority: removal and detection orders.
    pub authority: String,
    /// Where the detection demo's benign stand-in images were written.
    pub images: std::path::PathBuf,
}

async fn issue(store: &Store, name: &str, role: Role) -> anyhow::Result<String> {
    issue_for(store, name, role, "Bulwark demo").await
}

async fn issue_for(
    store: &Store,
    name: &str,
    role: Role,
    organisation: &str,
) -> anyhow::Result<String> {
    let issued = tokens::create(
        store,
        &Actor::system(),
        &MemberStateScope::All,
        NewToken {
            name: name.into(),
            role,
            organisation: organisation.into(),
            scope: MemberStateScope::All,
            expires_at: None,
        },
        "bulwark serve --demo",
    )
    .await?;
    Ok(issued.secret)
}

/// Seeds the demo database (each pillar's demo data, idempotently), writes
/// the detection demo's stand-in images into `images` and issues the demo
/// tokens.
pub async fn seed(store: &Store, images: &std::path::Path) -> anyhow::Result<DemoTokens> {
    use bulwark_detection::demo as det;
    bulwark_resilience::demo::seed(store).await?;
    bulwark_detection::migrate(store).await?;
    det::seed(store, &Actor::system(), bulwark_core::Timestamp::now()).await?;
    std::fs::create_dir_all(images)?;
    for i in 0..det::DEMO_IMAGES {
        let path = images.join(format!("stand-in-{i:02}.png"));
        if !path.exists() {
            std::fs::write(&path, det::stand_in_png(i)?)?;
        }
    }
    Ok(DemoTokens {
        admin: issue(store, "demo admin", Role::Admin).await?,
        analyst: issue(store, "demo analyst", Role::Analyst).await?,
        provider: issue_for(store, "demo provider", Role::Provider, det::DEMO_PROVIDER).await?,
        reviewer: issue_for(store, "demo reviewer", Role::Reviewer, det::DEMO_PROVIDER).await?,
        authority: issue_for(
            store,
            "demo authority",
            Role::Authority,
            "Demo competent authority",
        )
        .await?,
        images: images.to_path_buf(),
    })
}
