//! Bearer tokens and roles: the tokens file holds each token's SHA-256, never the token.

use std::path::PathBuf;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// Largest tokens file read.
pub const MAX_TOKENS_FILE: usize = 1 << 20;
/// Most tokens a file may list.
pub const MAX_TOKENS: usize = 10_000;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Appends entries (`POST /v1/entries`) and nothing else.
    Writer,
    /// Reads the `/v1` API and the metrics.
    Auditor,
    /// Everything a writer and an auditor may do.
    Admin,
}

impl Role {
    /// The role's name as the tokens file spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Writer => "writer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

/// Why a tokens file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokensError {
    /// The file could not be read.
    #[error("cannot read the tokens file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_TOKENS_FILE`].
    #[error("the tokens file {path} is larger than {MAX_TOKENS_FILE} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// Not a `tokens: [{name, role, sha256}]` document.
    #[error(
        "the tokens file is not a `tokens: [{{name, role, sha256}}]` document (roles: writer, auditor, admin)"
    )]
    Format {
        /// The parser's error.
        #[source]
        source: yaml_serde::Error,
    },
    /// A token's `sha256` is not 64 hexadecimal digits.
    #[error("token {name}: sha256 must be the SHA-256 of the token as 64 hexadecimal digits")]
    BadHash {
        /// The token's name.
        name: String,
    },
    /// Two tokens have the same name or hash.
    #[error("token {name} is listed twice (by name or by hash)")]
    Duplicate {
        /// The token's name.
        name: String,
    },
    /// No tokens at all, or more than [`MAX_TOKENS`].
    #[error("the tokens file lists {count} tokens: between 1 and {MAX_TOKENS} are needed")]
    Count {
        /// Tokens listed.
        count: usize,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tokens: Vec<FileToken>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToken {
    name: String,
    role: Role,
    sha256: String,
}

/// A known token: its name (for logs and metrics), role and hash.
#[derive(Debug, Clone)]
pub struct Token {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    hash: [u8; 32],
}

/// The tokens the server accepts.
#[derive(Debug, Clone)]
pub struct Tokens(Vec<Token>);

impl Tokens {
    /// Reads `tokens: [{name, role, sha256}]` (YAML, or JSON, which is YAML).
    pub fn parse(text: &[u8]) -> Result<Tokens, TokensError> {
        if text.len() > MAX_TOKENS_FILE {
            return Err(TokensError::TooLarge { path: PathBuf::new() });
        }
        let file: File = yaml_serde::from_slice(text).map_err(|source| TokensError::Format { source })?;
        if file.tokens.is_empty() || file.tokens.len() > MAX_TOKENS {
            return Err(TokensError::Count {
                count: file.tokens.len(),
            });
        }
        let mut out: Vec<Token> = Vec::with_capacity(file.tokens.len());
        for t in file.tokens {
            let mut hash = [0u8; 32];
            if t.sha256.len() != 64 || hex::decode_to_slice(&t.sha256, &mut hash).is_err() {
                return Err(TokensError::BadHash { name: t.name });
            }
            if out.iter().any(|o| o.name == t.name || o.hash == hash) {
                return Err(TokensError::Duplicate { name: t.name });
            }
            out.push(Token {
                name: t.name,
                role: t.role,
                hash,
            });
        }
        Ok(Tokens(out))
    }

    /// Reads a tokens file.
    pub fn read(path: &std::path::Path) -> Result<Tokens, TokensError> {
        use std::io::Read as _;
        let file = std::fs::File::open(path).map_err(|source| TokensError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut text = Vec::new();
        file.take(MAX_TOKENS_FILE as u64 + 1)
            .read_to_end(&mut text)
            .map_err(|source| TokensError::Read {
                path: path.to_owned(),
                source,
            })?;
        if text.len() > MAX_TOKENS_FILE {
            return Err(TokensError::TooLarge {
                path: path.to_owned(),
            });
        }
        Tokens::parse(&text)
    }

    /// The token whose SHA-256 is that of `presented`. Every listed hash is compared in constant time,
    /// so the answer's timing does not depend on which one matched.
    #[must_use]
    pub fn find(&self, presented: &[u8]) -> Option<&Token> {
        let hash: [u8; 32] = Sha256::digest(presented).into();
        let mut found = None;
        for t in &self.0 {
            if bool::from(t.hash.ct_eq(&hash)) {
                found = Some(t);
            }
        }
        found
    }
}

/// The SHA-256 of a token as the tokens file spells it (64 lower-case hexadecimal digits).
#[must_use]
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
