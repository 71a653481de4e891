//! Write transactions: a business write and its audit record commit together.
//!
//! Every write in Bulwark goes through [`Store::write`]:
//!
//! ```ignore
//! let mut tx = store.write().await?;
//! sqlx::query("INSERT INTO ...").bind(...).execute(tx.conn()).await?;
//! tx.commit(&actor, AuditEntry::new("token.create", object, purpose)).await?;
//! ```
//!
//! `commit` appends the audit record to the hash chain and commits both in
//! one database transaction. If the audit append fails, nothing commits; if
//! the `WriteTx` is dropped without `commit`, everything rolls back.

use sqlx::{Any, AnyConnection, Transaction};

use crate::audit::{self, AuditEntry, AuditRecord};
use crate::db::{Backend, Store};
use crate::error::Result;

/// Who performs an action: recorded in every audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A stable identifier: `token:<id>` for API and console users,
    /// `cli:<os user>` for the command line, `system` for scheduled work,
    /// `anonymous` for requests without valid credentials.
    pub id: String,
    /// The actor's organisation (empty for `anonymous`).
    pub organisation: String,
}

impl Actor {
    /// The actor of scheduled and start-up work.
    pub fn system() -> Self {
        Actor {
            id: "system".into(),
            organisation: "bulwark".into(),
        }
    }

    /// A local command-line operator, named by the OS user.
    pub fn cli(organisation: &str) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into());
        Actor {
            id: format!("cli:{user}"),
            organisation: organisation.to_string(),
        }
    }
}

/// An open write transaction. The chain head is locked from the start, so
/// writers are serialised and the chain never forks.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _local: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Store {
    /// Begins a write transaction and locks the audit chain head.
    pub async fn write(&self) -> Result<WriteTx> {
        let local = match self.backend() {
            Backend::Sqlite => Some(self.local_write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        let mut tx = self.write_pool().begin().await?;
        // The first statement is a write, so SQLite takes its write lock now
        // (no read snapshot to upgrade later) and PostgreSQL locks the head
        // row until commit.
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(WriteTx { tx, _local: local })
    }
}

impl WriteTx {
    /// The connection to run the business statements on.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Appends an audit record inside this transaction, before the one
    /// [`WriteTx::commit`] appends: for a transaction that records the
    /// actions of several actors (e.g. a batch of scans from several
    /// callers), each with its own record. Nothing of it persists unless
    /// the transaction commits.
    pub async fn audit(&mut self, actor: &Actor, entry: AuditEntry) -> Result<AuditRecord> {
        audit::append(&mut self.tx, actor, entry).await
    }

    /// Appends the audit record for this write and commits both.
    pub async fn commit(mut self, actor: &Actor, entry: AuditEntry) -> Result<AuditRecord> {
        let record = audit::append(&mut self.tx, actor, entry).await?;
        self.tx.commit().await?;
        Ok(record)
    }
}
