//! What a ledger entry is indexed by, read from the in-toto statement it is.
//!
//! An entry is a Statement v1 (strictly parsed by `provenant-attest`), a DSSE envelope whose payload
//! is one (`application/vnd.in-toto+json`), or a sigstore bundle (v0.1 to v0.3) of such an envelope: the
//! form governance records take, so that anyone can re-verify their signature from the ledger. Its index keys are:
//!
//! - every subject digest, as `algorithm:value` (`sha256:…`, `gitCommit:…`, …);
//! - the predicate type;
//! - `commit`: the predicate's top-level `commit` string; else, for SLSA provenance v1, the first
//!   `buildDefinition.resolvedDependencies[].digest.gitCommit`; else the first subject `gitCommit`;
//! - `environment`: the predicate's `environment` string, else its `environment.name`;
//! - `pipeline run`: the predicate's `pipelineRun` string, else its `pipelineRun.id`, else SLSA v1's
//!   `runDetails.metadata.invocationId`;
//! - `actor`: the predicate's `actor` string, else its `actor.id`, else SLSA v1's `runDetails.builder.id`.
//!
//! The time an entry is indexed by is the time the ledger integrated it, given by the store.

use provenant_attest::{Envelope, IN_TOTO_PAYLOAD_TYPE, Statement, StatementError};
use serde_json::Value;

/// Largest entry a ledger accepts: an entry bundle's two-byte length prefix (larger content is stored as
/// a blob by digest, and an entry states it).
pub const MAX_ENTRY_BYTES: usize = crate::tiles::MAX_BUNDLED_ENTRY;

/// The index keys of one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryKeys {
    /// The statement, as parsed.
    pub statement: Statement,
    /// Subject digests, `algorithm:value`, sorted and unique.
    pub subjects: Vec<String>,
    /// The predicate type.
    pub predicate_type: String,
    /// The source commit.
    pub commit: Option<String>,
    /// The environment.
    pub environment: Option<String>,
    /// The pipeline run.
    pub pipeline_run: Option<String>,
    /// Who acted.
    pub actor: Option<String>,
}

/// Why bytes cannot be a ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Empty.
    #[error("entry is empty")]
    Empty,
    /// Larger than [`MAX_ENTRY_BYTES`].
    #[error(
        "entry has {size} bytes, more than the {MAX_ENTRY_BYTES} an entry may have: store large content as a blob and append a statement about it"
    )]
    TooLarge {
        /// The entry's size.
        size: usize,
    },
    /// Not an in-toto statement (nor a DSSE envelope of one).
    #[error("entry is not an in-toto statement or a DSSE envelope of one: {0}")]
    NotStatement(StatementError),
    /// A sigstore bundle that signs a blob (a message signature), not a statement.
    #[error("entry is a sigstore bundle of a message signature, not of a DSSE in-toto statement")]
    BundleWithoutStatement,
    /// A DSSE envelope of another payload type.
    #[error("entry is a DSSE envelope of payload type {payload_type}, not an in-toto statement")]
    NotInToto {
        /// The envelope's payload type.
        payload_type: String,
    },
}

fn string_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = value;
    for key in path {
        v = v.get(key)?;
    }
    v.as_str().filter(|s| !s.is_empty())
}

fn named(predicate: &Value, key: &str, inner: &str) -> Option<String> {
    match predicate.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(_) => string_at(predicate, &[key, inner]).map(str::to_owned),
        _ => None,
    }
}

impl EntryKeys {
    /// Reads an entry's index keys. Checks its size, then parses it.
    pub fn from_entry(entry: &[u8]) -> Result<EntryKeys, EntryError> {
        if entry.is_empty() {
            return Err(EntryError::Empty);
        }
        if entry.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge { size: entry.len() });
        }
        let statement = match Statement::from_json(entry) {
            Ok(s) => s,
            Err(statement_error) => match Envelope::from_json(entry) {
                Ok(envelope) if envelope.payload_type == IN_TOTO_PAYLOAD_TYPE => envelope
                    .statement()
                    .map_err(|_| EntryError::NotStatement(statement_error))?,
                Ok(envelope) => {
                    return Err(EntryError::NotInToto {
                        payload_type: envelope.payload_type,
                    });
                }
                Err(_) => match provenant_sigstore::Bundle::from_json(entry) {
                    Ok(bundle) => match bundle.dsse_payload() {
                        Some((IN_TOTO_PAYLOAD_TYPE, payload)) => {
                            Statement::from_json(payload).map_err(EntryError::NotStatement)?
                        }
                        Some((payload_type, _)) => {
                            return Err(EntryError::NotInToto {
                                payload_type: payload_type.chars().take(200).collect(),
                            });
                        }
                        None => return Err(EntryError::BundleWithoutStatement),
                    },
                    Err(_) => return Err(EntryError::NotStatement(statement_error)),
                },
            },
        };
        Ok(EntryKeys::from_statement(statement))
    }

    /// The index keys of a parsed statement.
    #[must_use]
    pub fn from_statement(statement: Statement) -> EntryKeys {
        let mut subjects: Vec<String> = statement
            .subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(a, v)| format!("{a}:{v}")))
            .collect();
        subjects.sort();
        subjects.dedup();
        let p = &statement.predicate;
        let slsa_commit = p
            .get("buildDefinition")
            .and_then(|b| b.get("resolvedDependencies"))
            .and_then(Value::as_array)
            .and_then(|deps| deps.iter().find_map(|d| string_at(d, &["digest", "gitCommit"])))
            .map(str::to_owned);
        let subject_commit = statement
            .subject
            .iter()
            .find_map(|s| s.digest.get("gitCommit"))
            .map(str::to_owned);
        let commit = string_at(p, &["commit"])
            .map(str::to_owned)
            .or(slsa_commit)
            .or(subject_commit);
        let environment = named(p, "environment", "name");
        let pipeline_run = named(p, "pipelineRun", "id")
            .or_else(|| string_at(p, &["runDetails", "metadata", "invocationId"]).map(str::to_owned));
        let actor = named(p, "actor", "id")
            .or_else(|| string_at(p, &["runDetails", "builder", "id"]).map(str::to_owned));
        EntryKeys {
            predicate_type: statement.predicate_type.clone(),
            subjects,
            commit,
            environment,
            pipeline_run,
            actor,
            statement,
        }
    }
}
