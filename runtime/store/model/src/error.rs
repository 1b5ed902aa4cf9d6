//! The one error type of every store back-end.

use airlock_core::ModeTag;
use thiserror::Error;

/// Why a store operation failed. Messages name the table or field and the reason; they never
/// contain a connection string's password.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("{backend} error while {doing}: {message}")]
    Database {
        /// `postgresql` or `sqlite`.
        backend: &'static str,
        /// What the store was doing.
        doing: &'static str,
        /// The driver's message.
        message: String,
    },
    /// A migration failed or the database holds migrations this binary does not know.
    #[error("migrations: {0}")]
    Migration(String),
    /// The database is tagged for another environment.
    #[error(
        "the database is tagged for environment {found}, not {wanted} (the tag is set once; use another database)"
    )]
    EnvironmentTagMismatch {
        /// The tag in the database.
        found: ModeTag,
        /// The tag asked for.
        wanted: ModeTag,
    },
    /// A stored value is not valid (for example a state this binary does not know).
    #[error("stored {field} is invalid: {reason}")]
    Corrupt {
        /// Table and column.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A value cannot be stored (for example an amount that does not fit the column).
    #[error("{field} cannot be stored: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The row the operation needs does not exist.
    #[error("{what} {key} does not exist")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// The write contradicts what is stored (for example a different order under a client
    /// order id that is already used, or finishing a run that is not running).
    #[error("{what} {key}: {reason}")]
    Conflict {
        /// What was written.
        what: &'static str,
        /// Its key.
        key: String,
        /// Why it is refused.
        reason: String,
    },
}
