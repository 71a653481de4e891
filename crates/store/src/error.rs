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
    /// A key file (the key-encryption key, see [`crate::kek`]) is missing,
    /// unreadable or breaks a rule; nothing was written.
    #[error("key file {path}: {rule}")]
    KeyFile {
        /// The key file's path as given.
        path: String,
        /// The rule it broke (never its content).
        rule: String,
    },
    /// A secret at rest had to be sealed or opened, but the store was
    /// opened without a key-encryption key ([`crate::Store::with_kek`]).
    #[error(
        "no key-encryption key: the store at {location} was opened without a key file, \
         so secrets at rest can be neither sealed nor opened"
    )]
    NoKek {
        /// The store's location (password removed).
        location: String,
    },
    /// A secret could not be sealed (see [`crate::seal`]); nothing was written.
    #[error("cannot seal the {what}: {detail}")]
    Seal {
        /// Which secret.
        what: String,
        /// Why.
        detail: String,
    },
    /// A sealed secret does not open (see [`crate::seal`]): sealed with
    /// another key file, altered, or moved from another row.
    #[error("cannot open the sealed {what}: {detail}")]
    Unseal {
        /// Which secret (e.g. "signing key of provider `X`").
        what: String,
        /// Why, naming the key ids and the key file where they differ.
        detail: String,
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
