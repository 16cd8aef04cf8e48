//! The storage boundary's error type.

/// Why a storage call failed, sorted so that callers can answer a person clearly.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule would be broken (e.g. a unit code already taken).
    #[error("conflict on {constraint}")]
    Conflict {
        /// The constraint or column list the database named.
        constraint: String,
    },
    /// A referenced row does not exist.
    #[error("reference to a missing row: {0}")]
    MissingReference(String),
    /// A check constraint rejected a value the edge should have caught.
    #[error("value rejected by the database: {0}")]
    Rejected(String),
    /// The database could not be reached or failed otherwise.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// An idempotency key was sent again with a different request (issue 22): the
    /// first request's result stands and nothing new is stored.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            let name = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().to_owned());
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => return StoreError::Conflict { constraint: name },
                sqlx::error::ErrorKind::ForeignKeyViolation => return StoreError::MissingReference(name),
                sqlx::error::ErrorKind::CheckViolation | sqlx::error::ErrorKind::NotNullViolation => {
                    return StoreError::Rejected(name);
                }
                _ => {}
            }
        }
        StoreError::Database(err)
    }
}

impl StoreError {
    /// True when the error is a uniqueness conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}
