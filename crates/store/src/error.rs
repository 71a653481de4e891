//! Errors of the store and of the domain functions built on it.

/// What went wrong in a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed the operation.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the versioned migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The store location could not be understood.
    #[error("bad store location {location:?}: {reason}")]
    Location {
        /// The location as given (a path or URL, with any password removed).
        location: String,
        /// Why it was refused.
        reason: String,
    },
    /// An input field broke a rule; nothing was written.
    #[error("invalid field `{field}`: {rule}")]
    Invalid {
        /// The field's name as the caller spelled it.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// The record does not exist (or is outside the caller's scope).
    #[error("{kind} {id} not found")]
    NotFound {
        /// The kind of record.
        kind: &'static str,
        /// Its id as given.
        id: String,
    },
    /// A stored value could not be read back (the database was changed
    /// outside Bulwark, or a migration is missing).
    #[error("corrupt stored value in {what}: {detail}")]
    Corrupt {
        /// Where the value was.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl StoreError {
    /// Shorthand for [`StoreError::Invalid`].
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
