//! Evidence attached to the image as OCI referrers, read beside the ledger: a governed promotion is
//! evaluated "from the ledger and the referrers". Each sigstore bundle attached to the image is
//! verified for a holder of a role of the roles file before anything is done with it; what verifies
//! and is not in the ledger yet (packaging and build provenance, SBOMs, gate decisions with their
//! findings, vulnerability scans, approvals) is handed back to be appended, so that the evaluation, the
//! promotion record's evidence digests and later questions (`lineage where`) all read one ledger.
//!
//! What is about the image counts when it verifies for a role; build provenance counts when its
//! subject is a file the image's verified packaging provenance packages. An approval attached to the
//! image but made for another digest is reported as such, never appended; nothing unverified is
//! appended.

use provenant_attest::Statement;
use provenant_attest::predicate::{PROVENANT_APPROVAL_V1, SLSA_PROVENANCE_V1};
use provenant_digest::{Algorithm, Digest};
use provenant_evidence::roles::Roles;
use provenant_ledger_store::{LedgerStore, Query, contents};
use provenant_registry::{Store, StoreError as RegistryError};
use provenant_sigstore::TrustedRoot;
use serde::Serialize;

use crate::gather::{GatherError, approval_evidence, verify_any};
use crate::requirements::ApprovalEvidence;

/// The referrers could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachedError {
    /// The registry or layout failed.
    #[error("cannot read the image's referrers: {0}")]
    Registry(#[from] Box<RegistryError>),
}

/// One sigstore bundle attached to the image.
#[derive(Debug, Clone)]
pub struct Attached {
    /// The referrer manifest holding it.
    pub referrer: Digest,
    /// The bundle's bytes.
    pub bundle: Vec<u8>,
    /// SHA-256 of those bytes.
    pub bundle_digest: Digest,
    /// The statement it carries, if it carries one.
    pub statement: Option<Statement>,
}

/// Every sigstore bundle attached to `image` in `store`, under every referrers scheme, in the order
/// discovered. A referrer without a bundle layer is left out; one whose bundle carries no statement
/// is kept (and reported as not used).
pub fn discover(store: &dyn Store, image: &Digest) -> Result<Vec<Attached>, AttachedError> {
    let found = provenant_evidence::attached::discover_bundles(store, image).map_err(Box::new)?;
    let mut out = Vec::new();
    for referrer in found {
        let digest = referrer.descriptor.digest;
        let Some(layer) = provenant_registry::referrers::read_layer(
            store,
            &digest,
            provenant_registry::referrers::is_sigstore_bundle,
        )
        .map_err(Box::new)?
        else {
            continue;
        };
        let statement = provenant_ledger::entry::EntryKeys::from_entry(&layer.bytes)
            .ok()
            .map(|k| k.statement);
        out.push(Attached {
            referrer: digest,
            bundle_digest: Algorithm::Sha256.hash_bytes(&layer.bytes),
            bundle: layer.bytes,
            statement,
        });
    }
    Ok(out)
}

/// What was done with one attached bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Use {
    /// Verified and not in the ledger: to be appended.
    Appended,
    /// Verified and already in the ledger.
    InLedger,
    /// Not used, with why.
    NotUsed,
}

/// One attached bundle with what was done with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The referrer manifest.
    pub referrer: String,
    /// The bundle's SHA-256.
    pub bundle_digest: String,
    /// The predicate type of its statement (empty when it carries none).
    pub predicate_type: String,
    /// The subject it was verified for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Who signed it, and the role they hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// What was done with it.
    #[serde(rename = "use")]
    pub used: Use,
    /// Why it was not used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The attached evidence sorted out: what to append, approvals for another digest, and a verdict for
/// every bundle.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Verified bundles not in the ledger yet, in the order found (packaging provenance first).
    pub to_append: Vec<Vec<u8>>,
    /// Approvals attached to the image that are not about it (or do not verify): reported, never
    /// counted.
    pub other_approvals: Vec<ApprovalEvidence>,
    /// One verdict per attached bundle.
    pub verdicts: Vec<Verdict>,
}

/// Whether the ledger holds exactly these bytes about `subject` with this predicate type.
fn in_ledger(
    ledger: &dyn LedgerStore,
    subject: &Digest,
    predicate_type: &str,
    bundle_digest: &Digest,
) -> Result<bool, GatherError> {
    let query = Query {
        subject: Some(subject.to_string()),
        predicate_type: Some(predicate_type.to_owned()),
        ..Query::default()
    };
    for item in contents(ledger, &query)? {
        if Algorithm::Sha256.hash_bytes(&item?.1) == *bundle_digest {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The SHA-256 digests of the files a SLSA v1 provenance's resolved dependencies name.
#[must_use]
pub fn materials(statement: &Statement) -> Vec<Digest> {
    statement
        .predicate
        .get("buildDefinition")
        .and_then(|b| b.get("resolvedDependencies"))
        .and_then(serde_json::Value::as_array)
        .map(|deps| {
            deps.iter()
                .filter_map(|d| d.get("digest")?.get("sha256")?.as_str())
                .filter_map(|hex| format!("sha256:{hex}").parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The source commit a SLSA v1 build provenance names: its first resolved dependency's `gitCommit`.
#[must_use]
pub fn source_commit(statement: &Statement) -> Option<String> {
    statement
        .predicate
        .get("buildDefinition")
        .and_then(|b| b.get("resolvedDependencies"))
        .and_then(serde_json::Value::as_array)?
        .iter()
        .find_map(|d| d.get("digest")?.get("gitCommit")?.as_str())
        .filter(|c| !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

/// The SHA-256 subjects of a statement.
fn sha256_subjects(statement: &Statement) -> Vec<Digest> {
    statement
        .subject
        .iter()
        .filter_map(|s| s.digest.get("sha256"))
        .filter_map(|hex| format!("sha256:{hex}").parse().ok())
        .collect()
}

/// The files the verified packaging provenance of `image` in the ledger packages.
fn packaged_in_ledger(
    ledger: &dyn LedgerStore,
    image: &Digest,
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<Vec<Digest>, GatherError> {
    let mut packaged = Vec::new();
    let query = Query {
        subject: Some(image.to_string()),
        predicate_type: Some(SLSA_PROVENANCE_V1.to_owned()),
        ..Query::default()
    };
    for item in contents(ledger, &query)? {
        if let Ok(signed) = verify_any(&item?.1, image, roles, trusted_root) {
            packaged.extend(materials(&signed.statement));
        }
    }
    Ok(packaged)
}

/// Sorts `attached` out for promoting `image`: each bundle is verified for a holder of a role of
/// `roles`; what verifies and is missing from `ledger` is to be appended.
pub fn select(
    ledger: &dyn LedgerStore,
    image: &Digest,
    attached: &[Attached],
    roles: &Roles,
    trusted_root: Option<&TrustedRoot>,
) -> Result<Selection, GatherError> {
    let mut selection = Selection::default();
    // Packaging provenance first: the files it packages are the subjects build provenance may have.
    let mut order: Vec<&Attached> = attached.iter().collect();
    order.sort_by_key(|a| {
        let about_image = a
            .statement
            .as_ref()
            .is_some_and(|s| s.predicate_type == SLSA_PROVENANCE_V1 && sha256_subjects(s).contains(image));
        !about_image
    });
    let mut packaged = packaged_in_ledger(ledger, image, roles, trusted_root)?;
    for a in order {
        let mut verdict = Verdict {
            referrer: a.referrer.to_string(),
            bundle_digest: a.bundle_digest.to_string(),
            predicate_type: String::new(),
            subject: None,
            signer: None,
            used: Use::NotUsed,
            reason: None,
        };
        let Some(statement) = &a.statement else {
            verdict.reason = Some("the bundle carries no in-toto statement".to_owned());
            selection.verdicts.push(verdict);
            continue;
        };
        verdict.predicate_type.clone_from(&statement.predicate_type);
        let subjects = sha256_subjects(statement);
        let subject = if subjects.contains(image) {
            Some(*image)
        } else if statement.predicate_type == SLSA_PROVENANCE_V1 {
            subjects.iter().find(|s| packaged.contains(s)).copied()
        } else {
            None
        };
        let Some(subject) = subject else {
            if statement.predicate_type == PROVENANT_APPROVAL_V1 {
                // An approval of another digest, attached to this image: reported, never counted.
                let own = subjects.first().copied().unwrap_or(*image);
                selection.other_approvals.push(approval_evidence(
                    &a.bundle,
                    &own,
                    roles,
                    trusted_root,
                    false,
                ));
                verdict.reason = Some("it approves another digest".to_owned());
            } else {
                verdict.reason = Some(
                    "it is about neither the image nor a file its verified packaging provenance packages"
                        .to_owned(),
                );
            }
            selection.verdicts.push(verdict);
            continue;
        };
        verdict.subject = Some(subject.to_string());
        match verify_any(&a.bundle, &subject, roles, trusted_root) {
            Err(why) => {
                if statement.predicate_type == PROVENANT_APPROVAL_V1
                    && !in_ledger(ledger, &subject, &statement.predicate_type, &a.bundle_digest)?
                {
                    selection.other_approvals.push(ApprovalEvidence {
                        bundle_digest: a.bundle_digest,
                        content: Err(why.clone().into()),
                    });
                }
                verdict.reason = Some(why.to_string());
            }
            Ok(signed) => {
                verdict.signer = Some(format!("{} ({})", signed.signer, signed.role));
                if subject == *image && statement.predicate_type == SLSA_PROVENANCE_V1 {
                    packaged.extend(materials(&signed.statement));
                }
                if a.bundle.len() > provenant_ledger::entry::MAX_ENTRY_BYTES {
                    verdict.reason = Some(format!(
                        "it has {} bytes, more than a ledger entry may have ({})",
                        a.bundle.len(),
                        provenant_ledger::entry::MAX_ENTRY_BYTES
                    ));
                } else if in_ledger(ledger, &subject, &statement.predicate_type, &a.bundle_digest)?
                    || selection.to_append.contains(&a.bundle)
                {
                    verdict.used = Use::InLedger;
                } else {
                    verdict.used = Use::Appended;
                    selection.to_append.push(a.bundle.clone());
                }
            }
        }
        selection.verdicts.push(verdict);
    }
    Ok(selection)
}
