//! What an auditor checks: a whole ledger against its checkpoints and a checkpoint saved earlier, and
//! audit bundles (every entry about one artefact with its inclusion proof, offline).
//!
//! Outcomes are two-level: `Err(StoreError)` is a runtime error (the check could not run);
//! `Ok(Err(AuditFailure))` is a verification failure naming the check that failed.
//!
//! An audit bundle is a tar archive (sorted, fixed owners, modes and times) of:
//!
//! - `manifest.json`: `{"subject", "origin", "treeSize", "entries": [index, …]}`;
//! - `checkpoint`: the signed checkpoint the proofs lead to;
//! - `key.pub`: the log's verifier key (`name+hash+base64`; the auditor compares it with their own);
//! - `entries/<index>`: each entry's bytes exactly as appended;
//! - `proofs/<index>.json`: `{"index", "treeSize", "leafHash", "hashes": [base64, …]}`.
//!
//! A bundle proves that each entry it holds is in the log the checkpoint signs; it cannot prove that no
//! other entry about the artefact exists (that takes the log itself: `ledger query` and `ledger verify`).

use std::collections::BTreeMap;
use std::io::Read as _;

use provenant_ledger::entry::EntryKeys;
use provenant_ledger::tree::{self, MemoryTree};
use provenant_ledger::{Hash, NoteError, NoteVerifier, leaf_hash};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::redaction;
use crate::store::LedgerStore;

/// Entries read per request while recomputing the tree.
const CHUNK: u64 = 4096;
/// Largest bundle file read.
const MAX_BUNDLE_FILE: u64 = 1 << 20;
/// Most files in a bundle.
const MAX_BUNDLE_FILES: usize = 200_000;

/// The check that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditFailure {
    /// The trusted key is not the log's (its name is not the log's origin).
    #[error("key: the verifier key {key} is not for this log's origin {origin}")]
    KeyOrigin {
        /// The key's name.
        key: String,
        /// The log's origin.
        origin: String,
    },
    /// The log has entries but no signed checkpoint.
    #[error("checkpoint: the log has {size} entries and no signed checkpoint")]
    NoCheckpoint {
        /// The log's size.
        size: u64,
    },
    /// A checkpoint the log handed out does not verify under the key.
    #[error("checkpoint signature: the checkpoint of size {size} does not verify under the key: {source}")]
    CheckpointSignature {
        /// Its size.
        size: u64,
        /// Why.
        source: NoteError,
    },
    /// A checkpoint handed out signs a root the entries no longer give: history was rewritten.
    #[error(
        "checkpoint root: the checkpoint of size {size} signed a root the entries do not give (history was rewritten)"
    )]
    CheckpointRoot {
        /// Its size.
        size: u64,
    },
    /// The database is inconsistent (content that does not hash to its leaf, missing hashes, …).
    #[error("entries: {check}")]
    Entries {
        /// What does not hold.
        check: String,
    },
    /// A redacted entry without a redaction entry that names it.
    #[error("redaction: entry {index} has no content and no valid redaction entry naming it")]
    Redaction {
        /// The entry.
        index: u64,
    },
    /// The stored node hashes are not those of the entries.
    #[error(
        "tree hashes: the stored node hashes are not those of the entries (first difference at stored hash {stored_index})"
    )]
    TreeHashes {
        /// The first stored index that differs.
        stored_index: u64,
    },
    /// The auditor's saved checkpoint does not verify under the key.
    #[error("saved checkpoint signature: {0}")]
    SavedCheckpointSignature(NoteError),
    /// The saved checkpoint is larger than the log: the log was truncated, or showed a split view.
    #[error("saved checkpoint: it has {saved} entries, the log only {ledger} (rolled back or a split view)")]
    SavedCheckpointAhead {
        /// Its size.
        saved: u64,
        /// The log's size.
        ledger: u64,
    },
    /// The log is not an extension of the saved checkpoint.
    #[error(
        "consistency: the log of {to} entries does not extend the saved checkpoint of {from} (history rewritten or a split view)"
    )]
    Consistency {
        /// The saved size.
        from: u64,
        /// The log's size.
        to: u64,
    },
    /// The bundle is not a well-formed audit bundle.
    #[error("bundle format: {reason}")]
    BundleFormat {
        /// What is wrong.
        reason: String,
    },
    /// The bundle's key is not the trusted key.
    #[error("bundle key: the bundle's key.pub is not the trusted verifier key")]
    BundleKey,
    /// The bundle's checkpoint does not verify.
    #[error("bundle checkpoint signature: {0}")]
    BundleCheckpoint(NoteError),
    /// An entry's bytes do not hash to its proof's leaf hash.
    #[error("entry hash: entry {index}'s bytes do not hash to the leaf hash its proof names")]
    EntryHash {
        /// The entry.
        index: u64,
    },
    /// An inclusion proof does not lead to the checkpoint's root.
    #[error("inclusion proof: entry {index} is not proven to be in the checkpoint's tree")]
    InclusionProof {
        /// The entry.
        index: u64,
    },
    /// An entry is not about the bundle's subject.
    #[error("subject: entry {index} is not a statement about {subject}")]
    Subject {
        /// The entry.
        index: u64,
        /// The bundle's subject.
        subject: String,
    },
}

impl AuditFailure {
    /// The failed check's name, as the messages begin.
    #[must_use]
    pub fn check(&self) -> &'static str {
        match self {
            AuditFailure::KeyOrigin { .. } => "key",
            AuditFailure::NoCheckpoint { .. } => "checkpoint",
            AuditFailure::CheckpointSignature { .. } => "checkpoint signature",
            AuditFailure::CheckpointRoot { .. } => "checkpoint root",
            AuditFailure::Entries { .. } => "entries",
            AuditFailure::Redaction { .. } => "redaction",
            AuditFailure::TreeHashes { .. } => "tree hashes",
            AuditFailure::SavedCheckpointSignature(_) => "saved checkpoint signature",
            AuditFailure::SavedCheckpointAhead { .. } => "saved checkpoint",
            AuditFailure::Consistency { .. } => "consistency",
            AuditFailure::BundleFormat { .. } => "bundle format",
            AuditFailure::BundleKey => "bundle key",
            AuditFailure::BundleCheckpoint(_) => "bundle checkpoint signature",
            AuditFailure::EntryHash { .. } => "entry hash",
            AuditFailure::InclusionProof { .. } => "inclusion proof",
            AuditFailure::Subject { .. } => "subject",
        }
    }
}

/// What a successful ledger verification established.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerReport {
    /// The log's origin.
    pub origin: String,
    /// Entries recomputed.
    pub size: u64,
    /// The recomputed root.
    pub root: String,
    /// Signed checkpoints checked against the recomputed tree.
    pub checkpoints: usize,
    /// The latest signed checkpoint's size.
    pub signed_size: u64,
    /// Entries whose content was redacted (leaf hash kept).
    pub redacted: u64,
    /// The size of the saved checkpoint the log was proven to extend.
    pub consistent_with_saved: Option<u64>,
}

fn corrupt_or(e: StoreError) -> Result<AuditFailure, StoreError> {
    match e {
        StoreError::Corrupt { check } => Ok(AuditFailure::Entries { check }),
        other => Err(other),
    }
}

/// Recomputes the log's tree from its entries and checks it against the stored node hashes, every
/// signed checkpoint the log handed out, and (when given) a signed checkpoint the auditor saved earlier.
pub fn verify_ledger(
    store: &dyn LedgerStore,
    key: &NoteVerifier,
    saved: Option<&[u8]>,
) -> Result<Result<LedgerReport, AuditFailure>, StoreError> {
    let origin = store.origin()?;
    if key.name() != origin {
        return Ok(Err(AuditFailure::KeyOrigin {
            key: key.name().to_owned(),
            origin,
        }));
    }
    let size = store.size()?;
    let mut tree = MemoryTree::new();
    let mut redacted = 0;
    let mut start = 0;
    while start < size {
        let end = start.saturating_add(CHUNK).min(size);
        let entries = match store.entries(start, end) {
            Ok(e) => e,
            Err(e) => return corrupt_or(e).map(Err),
        };
        if entries.len() as u64 != end - start {
            return Ok(Err(AuditFailure::Entries {
                check: format!("entries {start} to {end} are not all present"),
            }));
        }
        for e in entries {
            if e.content.is_none() {
                if !redaction_is_logged(store, e.index, &e.leaf_hash, e.redacted_by, size)? {
                    return Ok(Err(AuditFailure::Redaction { index: e.index }));
                }
                redacted += 1;
            }
            tree.push_leaf_hash(e.leaf_hash)?;
        }
        start = end;
    }
    if let Err(failure) = check_stored_hashes(store, &tree, size)? {
        return Ok(Err(failure));
    }
    let root = tree.root()?;
    let checkpoints = store.checkpoints()?;
    if size > 0 && checkpoints.is_empty() {
        return Ok(Err(AuditFailure::NoCheckpoint { size }));
    }
    let mut signed_size = 0;
    for (cp_size, note) in &checkpoints {
        let cp = match key.open_checkpoint(note) {
            Ok(cp) if cp.size == *cp_size => cp,
            Ok(_) => {
                return Ok(Err(AuditFailure::CheckpointRoot { size: *cp_size }));
            }
            Err(source) => {
                return Ok(Err(AuditFailure::CheckpointSignature {
                    size: *cp_size,
                    source,
                }));
            }
        };
        if cp.size > size || cp.root().ok() != Some(tree::root(cp.size, &tree)?) {
            return Ok(Err(AuditFailure::CheckpointRoot { size: cp.size }));
        }
        signed_size = signed_size.max(cp.size);
    }
    let consistent_with_saved = match saved {
        None => None,
        Some(saved) => match check_saved(store, key, saved, size, &root)? {
            Ok(s) => Some(s),
            Err(failure) => return Ok(Err(failure)),
        },
    };
    Ok(Ok(LedgerReport {
        origin,
        size,
        root: root.to_base64(),
        checkpoints: checkpoints.len(),
        signed_size,
        redacted,
        consistent_with_saved,
    }))
}

/// Every stored node hash is the one recomputed from the entries.
fn check_stored_hashes(
    store: &dyn LedgerStore,
    tree: &MemoryTree,
    size: u64,
) -> Result<Result<(), AuditFailure>, StoreError> {
    let count = tree::stored_hash_count(size);
    let mut at = 0;
    while at < count {
        let end = at.saturating_add(CHUNK).min(count);
        let ids: Vec<u64> = (at..end).collect();
        let stored = match store.read_hashes(&ids) {
            Ok(h) => h,
            Err(e) => return corrupt_or(e).map(Err),
        };
        let mine = tree::HashSource::read_hashes(tree, &ids)
            .map_err(|e| StoreError::Tree(tree::ProofError::Source(Box::new(e))))?;
        if let Some(i) = stored.iter().zip(&mine).position(|(a, b)| a != b) {
            return Ok(Err(AuditFailure::TreeHashes {
                stored_index: at + i as u64,
            }));
        }
        at = end;
    }
    Ok(Ok(()))
}

/// The auditor's saved checkpoint verifies, is not ahead of the log, and the log extends it.
fn check_saved(
    store: &dyn LedgerStore,
    key: &NoteVerifier,
    saved: &[u8],
    size: u64,
    root: &Hash,
) -> Result<Result<u64, AuditFailure>, StoreError> {
    let cp = match key.open_checkpoint(saved) {
        Ok(cp) => cp,
        Err(e) => return Ok(Err(AuditFailure::SavedCheckpointSignature(e))),
    };
    if cp.size > size {
        return Ok(Err(AuditFailure::SavedCheckpointAhead {
            saved: cp.size,
            ledger: size,
        }));
    }
    let Ok(saved_root) = cp.root() else {
        return Ok(Err(AuditFailure::Consistency {
            from: cp.size,
            to: size,
        }));
    };
    let consistent = if cp.size == 0 {
        saved_root == Hash::EMPTY_ROOT
    } else {
        // The proof the log serves, checked against the root recomputed here: what a remote auditor
        // does with the log's answer.
        let proof = store.prove_consistency(cp.size, size)?;
        tree::verify_consistency(&proof, cp.size, &saved_root, size, root).is_ok()
    };
    if !consistent {
        return Ok(Err(AuditFailure::Consistency {
            from: cp.size,
            to: size,
        }));
    }
    Ok(Ok(cp.size))
}

fn redaction_is_logged(
    store: &dyn LedgerStore,
    index: u64,
    leaf: &Hash,
    by: Option<u64>,
    size: u64,
) -> Result<bool, StoreError> {
    let Some(by) = by.filter(|b| *b > index && *b < size) else {
        return Ok(false);
    };
    let Some(content) = store.entry(by)?.content else {
        return Ok(false);
    };
    Ok(EntryKeys::from_entry(&content)
        .ok()
        .is_some_and(|k| redaction::check(&k.statement, index, leaf).is_ok()))
}

/// `manifest.json` of an audit bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Manifest {
    subject: String,
    origin: String,
    tree_size: u64,
    entries: Vec<u64>,
}

/// `proofs/<index>.json` of an audit bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProofFile {
    index: u64,
    tree_size: u64,
    leaf_hash: String,
    hashes: Vec<String>,
}

/// Why a bundle could not be exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No signed checkpoint covers the entries.
    #[error(
        "entry {index} is not covered by a signed checkpoint (latest covers {signed} entries): run `provenant ledger checkpoint` first"
    )]
    NotSigned {
        /// The entry.
        index: u64,
        /// The latest checkpoint's size.
        signed: u64,
    },
    /// The log has no signed checkpoint.
    #[error("the log has no signed checkpoint: run `provenant ledger checkpoint` first")]
    NoCheckpoint,
    /// The stored checkpoint is unreadable.
    #[error("the log's latest checkpoint is malformed")]
    BadCheckpoint(#[source] NoteError),
    /// Writing the archive failed.
    #[error("cannot write the audit bundle")]
    Write(#[source] std::io::Error),
}

/// What an exported bundle holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleSummary {
    /// The artefact.
    pub subject: String,
    /// The log's origin.
    pub origin: String,
    /// The checkpoint's size.
    pub tree_size: u64,
    /// The entries, with their predicate types.
    pub entries: Vec<BundleEntry>,
}

/// One entry of a bundle.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// Its index.
    pub index: u64,
    /// Its predicate type.
    pub predicate_type: String,
}

fn append_file(builder: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) -> Result<(), ExportError> {
    let mut header = tar::Header::new_ustar();
    header.set_path(name).map_err(ExportError::Write)?;
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    builder.append(&header, data).map_err(ExportError::Write)
}

/// Exports every entry about `subject` (`algorithm:value`) with its inclusion proof in the tree of the
/// latest signed checkpoint, that checkpoint and the verifier key, as a deterministic tar archive.
pub fn export_bundle(
    store: &dyn LedgerStore,
    subject: &str,
) -> Result<(Vec<u8>, BundleSummary), ExportError> {
    let note = store.latest_checkpoint()?.ok_or(ExportError::NoCheckpoint)?;
    let cp = provenant_ledger::note::unverified_checkpoint(&note).map_err(ExportError::BadCheckpoint)?;
    let indexes = store.query(&crate::store::Query {
        subject: Some(subject.to_owned()),
        ..crate::store::Query::default()
    })?;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut entries = Vec::new();
    for &index in &indexes {
        if index >= cp.size {
            return Err(ExportError::NotSigned {
                index,
                signed: cp.size,
            });
        }
        let entry = store.entry(index)?;
        let Some(content) = entry.content else { continue };
        let proof = store.prove_inclusion(index, cp.size)?;
        let predicate_type = EntryKeys::from_entry(&content)
            .map(|k| k.predicate_type)
            .unwrap_or_default();
        let proof = ProofFile {
            index,
            tree_size: cp.size,
            leaf_hash: entry.leaf_hash.to_base64(),
            hashes: proof.iter().map(Hash::to_base64).collect(),
        };
        files.insert(format!("entries/{index}"), content);
        files.insert(
            format!("proofs/{index}.json"),
            serde_json::to_vec_pretty(&proof).unwrap_or_default(),
        );
        entries.push(BundleEntry {
            index,
            predicate_type,
        });
    }
    let manifest = Manifest {
        subject: subject.to_owned(),
        origin: cp.origin.clone(),
        tree_size: cp.size,
        entries: entries.iter().map(|e| e.index).collect(),
    };
    files.insert(
        "manifest.json".into(),
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    );
    files.insert("checkpoint".into(), note);
    files.insert(
        "key.pub".into(),
        format!("{}\n", store.verifier_key()?).into_bytes(),
    );
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in &files {
        append_file(&mut builder, name, data)?;
    }
    let bytes = builder.into_inner().map_err(ExportError::Write)?;
    Ok((
        bytes,
        BundleSummary {
            subject: subject.to_owned(),
            origin: cp.origin,
            tree_size: cp.size,
            entries,
        },
    ))
}

fn format_failure(reason: impl Into<String>) -> AuditFailure {
    AuditFailure::BundleFormat {
        reason: reason.into(),
    }
}

fn read_tar(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, AuditFailure> {
    let mut files = BTreeMap::new();
    let mut archive = tar::Archive::new(bytes);
    let entries = archive
        .entries()
        .map_err(|e| format_failure(format!("not a tar archive: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| format_failure(format!("not a tar archive: {e}")))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(format_failure("it holds something other than regular files"));
        }
        let name = entry
            .path()
            .ok()
            .and_then(|p| p.to_str().map(str::to_owned))
            .ok_or_else(|| format_failure("a file name is not UTF-8"))?;
        let mut data = Vec::new();
        entry
            .take(MAX_BUNDLE_FILE + 1)
            .read_to_end(&mut data)
            .map_err(|e| format_failure(format!("{name} cannot be read: {e}")))?;
        if data.len() as u64 > MAX_BUNDLE_FILE {
            return Err(format_failure(format!(
                "{name} is larger than {MAX_BUNDLE_FILE} bytes"
            )));
        }
        if files.len() >= MAX_BUNDLE_FILES {
            return Err(format_failure("too many files"));
        }
        if files.insert(name.clone(), data).is_some() {
            return Err(format_failure(format!("{name} appears twice")));
        }
    }
    Ok(files)
}

/// Verifies an audit bundle offline under the trusted verifier key: the checkpoint's signature, then for
/// every entry its leaf hash, its inclusion proof to the checkpoint's root and its subject; any file the
/// manifest does not account for is refused.
pub fn verify_bundle(bytes: &[u8], key: &NoteVerifier) -> Result<BundleSummary, AuditFailure> {
    let mut files = read_tar(bytes)?;
    let manifest: Manifest = serde_json::from_slice(
        &files
            .remove("manifest.json")
            .ok_or_else(|| format_failure("no manifest.json"))?,
    )
    .map_err(|e| format_failure(format!("manifest.json: {e}")))?;
    let key_file = files
        .remove("key.pub")
        .ok_or_else(|| format_failure("no key.pub"))?;
    if String::from_utf8_lossy(&key_file).trim() != key.to_text() {
        return Err(AuditFailure::BundleKey);
    }
    let note = files
        .remove("checkpoint")
        .ok_or_else(|| format_failure("no checkpoint"))?;
    let cp = key
        .open_checkpoint(&note)
        .map_err(AuditFailure::BundleCheckpoint)?;
    let root = cp
        .root()
        .map_err(|e| format_failure(format!("checkpoint: {e}")))?;
    if manifest.tree_size != cp.size || manifest.origin != cp.origin {
        return Err(format_failure(
            "manifest.json's treeSize or origin is not the checkpoint's",
        ));
    }
    let mut entries = Vec::new();
    for &index in &manifest.entries {
        let content = files
            .remove(&format!("entries/{index}"))
            .ok_or_else(|| format_failure(format!("entries/{index} is missing")))?;
        let proof: ProofFile = serde_json::from_slice(
            &files
                .remove(&format!("proofs/{index}.json"))
                .ok_or_else(|| format_failure(format!("proofs/{index}.json is missing")))?,
        )
        .map_err(|e| format_failure(format!("proofs/{index}.json: {e}")))?;
        if proof.index != index || proof.tree_size != cp.size {
            return Err(format_failure(format!(
                "proofs/{index}.json is for another entry or tree"
            )));
        }
        let leaf = leaf_hash(&content);
        if Hash::from_base64(&proof.leaf_hash).ok() != Some(leaf) {
            return Err(AuditFailure::EntryHash { index });
        }
        let hashes: Option<Vec<Hash>> = proof.hashes.iter().map(|h| Hash::from_base64(h).ok()).collect();
        let Some(hashes) = hashes else {
            return Err(AuditFailure::InclusionProof { index });
        };
        if tree::verify_inclusion(&hashes, index, cp.size, &leaf, &root).is_err() {
            return Err(AuditFailure::InclusionProof { index });
        }
        let keys = EntryKeys::from_entry(&content).map_err(|_| AuditFailure::Subject {
            index,
            subject: manifest.subject.clone(),
        })?;
        if !keys.subjects.contains(&manifest.subject) {
            return Err(AuditFailure::Subject {
                index,
                subject: manifest.subject.clone(),
            });
        }
        entries.push(BundleEntry {
            index,
            predicate_type: keys.predicate_type,
        });
    }
    if let Some(extra) = files.keys().next() {
        return Err(format_failure(format!("{extra} is not listed in manifest.json")));
    }
    Ok(BundleSummary {
        subject: manifest.subject,
        origin: cp.origin,
        tree_size: cp.size,
        entries,
    })
}
