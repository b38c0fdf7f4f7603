//! The crate's one error type: what failed, where, and why, in one line.

use std::fmt;
use std::path::Path;

/// A failure of the history, told in words for the status line: what was being
/// done, on which file, and the cause (SQLite's or the system's).
#[derive(Debug)]
pub struct Error {
    what: String,
    cause: Box<dyn std::error::Error + Send + Sync>,
}

impl Error {
    pub(crate) fn new(what: String, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error {
            what,
            cause: cause.into(),
        }
    }

    pub(crate) fn open(path: &Path, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::new(format!("cannot open the history at {}", path.display()), cause)
    }

    pub(crate) fn read(path: &Path, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::new(format!("cannot read the history at {}", path.display()), cause)
    }

    pub(crate) fn write(path: &Path, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::new(format!("cannot write to the history at {}", path.display()), cause)
    }

    /// Whether another connection held the file past the busy timeout.
    pub(crate) fn is_busy(&self) -> bool {
        matches!(
            self.cause.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SQLite's own messages can span lines (e.g. a malformed schema): one line here.
        let cause = self.cause.to_string();
        let cause = cause.split_whitespace().collect::<Vec<_>>().join(" ");
        write!(f, "{}: {cause}", self.what)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.cause)
    }
}
