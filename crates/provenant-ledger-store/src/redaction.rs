//! Redaction entries: the only way content leaves the ledger.
//!
//! A redaction is itself an entry, an in-toto statement of predicate type [`REDACTION_PREDICATE_TYPE`]
//! whose subject is the redacted entry's leaf hash (`{"sha256": hex}` — the digest of `0x00 ‖ entry`) and
//! whose predicate is `{"index": N, "leafHash": base64, "reason": "…"}`. Appending it puts the decision in
//! the log, under the next signed checkpoint; the store then drops the redacted entry's content and
//! index keys, keeping its leaf hash so that every root and proof is unchanged.

use provenant_attest::Statement;
use provenant_ledger::Hash;

use crate::error::StoreError;

/// Predicate type of redaction entries.
pub const REDACTION_PREDICATE_TYPE: &str = "https://provenant.dev/ledger/redaction/v1";

/// A redaction statement for entry `index` with leaf hash `leaf_hash`.
#[must_use]
pub fn redaction_statement(index: u64, leaf_hash: &Hash, reason: &str) -> Vec<u8> {
    let subject = serde_json::json!([{"name": format!("ledger entry {index}"), "digest": {"sha256": leaf_hash.to_hex()}}]);
    serde_json::to_vec(&serde_json::json!({
        "_type": provenant_attest::STATEMENT_V1,
        "subject": subject,
        "predicateType": REDACTION_PREDICATE_TYPE,
        "predicate": {"index": index, "leafHash": leaf_hash.to_base64(), "reason": reason},
    }))
    .unwrap_or_default()
}

/// Checks that `redaction` is a redaction statement for entry `index` with leaf hash `leaf_hash`.
pub fn check(redaction: &Statement, index: u64, leaf_hash: &Hash) -> Result<(), StoreError> {
    if redaction.predicate_type != REDACTION_PREDICATE_TYPE {
        return Err(StoreError::BadRedaction {
            reason: "the statement's predicate type is not the redaction predicate",
        });
    }
    if redaction
        .predicate
        .get("index")
        .and_then(serde_json::Value::as_u64)
        != Some(index)
    {
        return Err(StoreError::BadRedaction {
            reason: "the predicate's index is not the entry redacted",
        });
    }
    if redaction
        .predicate
        .get("leafHash")
        .and_then(serde_json::Value::as_str)
        != Some(leaf_hash.to_base64().as_str())
    {
        return Err(StoreError::BadRedaction {
            reason: "the predicate's leafHash is not the redacted entry's leaf hash",
        });
    }
    let hex = leaf_hash.to_hex();
    if !redaction
        .subject
        .iter()
        .any(|s| s.digest.get("sha256") == Some(hex.as_str()))
    {
        return Err(StoreError::BadRedaction {
            reason: "no subject names the redacted entry's leaf hash",
        });
    }
    Ok(())
}
