//! `bulwark token create|list|revoke`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use bulwark_core::{MemberStateScope, Role, Timestamp};
use bulwark_store::tokens::{self, NewToken, TokenId};
use bulwark_store::{Actor, Store};

use super::DbArgs;

/// Token commands. They act directly on the database as the local operator
/// (audited as `cli:<user>`).
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Issue a token and print its secret (shown once; only its hash is kept).
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// Who or what the token is for.
        #[arg(long)]
        name: String,
        /// Role: admin, analyst, reviewer or auditor.
        #[arg(long)]
        role: Role,
        /// The organisation the token acts for.
        #[arg(long)]
        organisation: String,
        /// Member State scope: `*` or a comma-separated list such as `DE,AT`.
        #[arg(long, default_value = "*")]
        scope: MemberStateScope,
        /// Expiry time (RFC 3339); never expires if absent.
        #[arg(long)]
        expires: Option<Timestamp>,
        /// Why the token is issued (audit log).
        #[arg(long, default_value = "issued on the command line")]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON (one array).
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        /// The token's id.
        id: TokenId,
        /// Why (audit log).
        #[arg(long, default_value = "revoked on the command line")]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a token command.
pub fn run(cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    super::init_logging("warn");
    super::runtime()?.block_on(async move {
        match cmd {
            TokenCommand::Create {
                db,
                name,
                role,
                organisation,
                scope,
                expires,
                purpose,
                json,
            } => {
                let store = Store::open(&db.db).await?;
                let actor = Actor::cli(&organisation);
                let request = NewToken {
                    name,
                    role,
                    organisation,
                    scope,
                    expires_at: expires,
                };
                let issued =
                    tokens::create(&store, &actor, &MemberStateScope::All, request, &purpose)
                        .await?;
                store.close().await;
                if json {
                    println!("{}", serde_json::to_string(&issued)?);
                } else {
                    println!("{}", issued.secret);
                    eprintln!(
                        "token {} ({}, {}, scope {}) issued; the secret above is shown once",
                        issued.token.id,
                        issued.token.role,
                        issued.token.organisation,
                        issued.token.scope
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::List { db, json } => {
                let store = Store::open(&db.db).await?;
                let list = tokens::list(&store).await?;
                store.close().await;
                if json {
                    println!("{}", serde_json::to_string(&list)?);
                } else {
                    println!(
                        "{:<36}  {:<8}  {:<7}  {:<12}  {:<20}  NAME",
                        "ID", "ROLE", "STATUS", "SCOPE", "ORGANISATION"
                    );
                    for t in list {
                        let status = if t.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        };
                        println!(
                            "{:<36}  {:<8}  {:<7}  {:<12}  {:<20}  {}",
                            t.id, t.role, status, t.scope, t.organisation, t.name
                        );
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::Revoke {
                db,
                id,
                purpose,
                json,
            } => {
                let store = Store::open(&db.db).await?;
                let result = tokens::revoke(&store, &Actor::cli(""), id, &purpose).await;
                store.close().await;
                let info = result.with_context(|| format!("revoking token {id}"))?;
                if json {
                    println!("{}", serde_json::to_string(&info)?);
                } else {
                    println!("revoked {}", info.id);
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
