//! Where a ledger lives: `sqlite:PATH`, `postgres://…`, `https://…`.

use std::fmt;
use std::path::PathBuf;

use crate::error::StoreError;

/// The default `SQLite` database, relative to the working directory.
pub const DEFAULT_SQLITE_PATH: &str = ".provenant/ledger.db";

/// A ledger location.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// An embedded `SQLite` database file.
    Sqlite(PathBuf),
    /// A `PostgreSQL` connection string (`postgres://…` or `postgresql://…`).
    Postgres(String),
    /// A remote ledger's HTTP API.
    Remote(String),
}

impl Location {
    /// Parses `sqlite:PATH`, `postgres://…`, `postgresql://…` or `https://…`.
    pub fn parse(text: &str) -> Result<Location, StoreError> {
        if let Some(path) = text.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(StoreError::Unsupported {
                    location: text.to_owned(),
                    reason: "sqlite: needs a path",
                });
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Location::Postgres(text.to_owned()));
        }
        if text.starts_with("https://") || text.starts_with("http://") {
            return Ok(Location::Remote(text.to_owned()));
        }
        Err(StoreError::Unsupported {
            location: text.to_owned(),
            reason: "expected sqlite:PATH, postgres://… or https://…",
        })
    }
}

impl Default for Location {
    fn default() -> Location {
        Location::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            // A connection string may carry a password: show the scheme and host part only.
            Location::Postgres(s) | Location::Remote(s) => {
                let (scheme, rest) = s.split_once("://").unwrap_or(("", s));
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                let host = host.split(['/', '?']).next().unwrap_or_default();
                write!(f, "{scheme}://{host}")
            }
        }
    }
}
