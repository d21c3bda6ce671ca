//! Roles: named sets of signers read from a roles file, and the one check that a piece of governance
//! evidence (an exception, a gate decision, an approval, a promotion or deployment record) was signed by
//! a holder of a role.
//!
//! The roles file:
//!
//! ```yaml
//! roles:
//!   ci:
//!     keys: [keys/ci.pub]              # PEM public keys, relative to the roles file
//!   release-manager:
//!     identities:
//!       - san: alice@example.com
//!         issuer: https://accounts.example.com
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use provenant_attest::Statement;
use provenant_digest::Digest;
use provenant_sigstore::{IdentityPolicy, Policy, PublicKey, SanMatcher, TrustedRoot};
use serde::{Deserialize, Serialize};

use crate::{EvidenceBundle, EvidenceError, Role, SkippedCheck, TrustError, TrustPolicy};

/// Largest roles file or key file read.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// The roles file as written (key paths not yet read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesFile {
    /// Role name to holders.
    pub roles: BTreeMap<String, RoleSpec>,
}

/// One role's holders as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// Public key files (relative to the roles file, or absolute).
    #[serde(default)]
    pub keys: Vec<String>,
    /// Keyless identities.
    #[serde(default)]
    pub identities: Vec<IdentitySpec>,
}

/// A keyless identity as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySpec {
    /// The SAN (email or URI), matched exactly.
    pub san: String,
    /// The OIDC issuer, matched exactly.
    pub issuer: String,
}

/// Why a roles file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RolesError {
    /// The file is not a roles file.
    #[error("{file}:{line}:{column}: {reason}")]
    Syntax {
        /// The file, as named by the caller.
        file: String,
        /// Line (1-based; 0 when unknown).
        line: usize,
        /// Column (1-based; 0 when unknown).
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// What the file is.
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than a roles or key file may be.
    #[error("{what} {} is larger than {MAX_FILE_BYTES} bytes", path.display())]
    TooLarge {
        /// What the file is.
        what: &'static str,
        /// Its path.
        path: PathBuf,
    },
    /// A key file is not a usable public key.
    #[error("roles file {}: role {role}: cannot use the key {key}: {reason}", file.display())]
    Key {
        /// The roles file.
        file: PathBuf,
        /// The role.
        role: String,
        /// The key as named in the file.
        key: String,
        /// Why.
        reason: String,
    },
}

impl RolesFile {
    /// Parses a roles file; `file` names it in errors.
    pub fn from_yaml(file: &str, bytes: &[u8]) -> Result<RolesFile, RolesError> {
        yaml_serde::from_slice(bytes).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            RolesError::Syntax {
                file: file.to_owned(),
                line,
                column,
                reason: e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            }
        })
    }
}

/// Who may sign for a role.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Holder {
    /// A public key.
    Key {
        /// How the key is named in the roles file (its path as written).
        label: String,
        /// The key.
        key: PublicKey,
    },
    /// A keyless identity.
    Identity {
        /// The certificate SAN.
        san: String,
        /// The OIDC issuer.
        issuer: String,
    },
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Key { label, .. } => f.write_str(label),
            Holder::Identity { san, issuer } => write!(f, "{san} ({issuer})"),
        }
    }
}

/// The roles with their holders resolved.
#[derive(Debug, Clone, Default)]
pub struct Roles(BTreeMap<String, Vec<Holder>>);

impl<const N: usize> From<[(String, Vec<Holder>); N]> for Roles {
    fn from(roles: [(String, Vec<Holder>); N]) -> Roles {
        Roles(BTreeMap::from(roles))
    }
}

impl From<BTreeMap<String, Vec<Holder>>> for Roles {
    fn from(roles: BTreeMap<String, Vec<Holder>>) -> Roles {
        Roles(roles)
    }
}

fn read_small(what: &'static str, path: &Path) -> Result<Vec<u8>, RolesError> {
    let read = |source| RolesError::Read {
        what,
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(RolesError::TooLarge {
            what,
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

impl Roles {
    /// No roles.
    #[must_use]
    pub fn new() -> Roles {
        Roles::default()
    }

    /// Reads a roles file and the key files it names (relative to the roles file's directory).
    pub fn load(path: &Path) -> Result<Roles, RolesError> {
        let text = read_small("roles file", path)?;
        let file = RolesFile::from_yaml(&path.display().to_string(), &text)?;
        Roles::resolve(&file, path)
    }

    /// Resolves a parsed roles file read from `path`: reads its key files.
    pub fn resolve(file: &RolesFile, path: &Path) -> Result<Roles, RolesError> {
        let base = path.parent().unwrap_or(Path::new("."));
        let mut roles = Roles::new();
        for (name, spec) in &file.roles {
            let mut holders = Vec::new();
            for key in &spec.keys {
                let pem = read_small("public key", &base.join(key))?;
                let bad = |reason: String| RolesError::Key {
                    file: path.to_owned(),
                    role: name.clone(),
                    key: key.clone(),
                    reason,
                };
                let pem = String::from_utf8(pem).map_err(|_| bad("not PEM text".to_owned()))?;
                let public = PublicKey::from_pem(&pem).map_err(|e| bad(e.to_string()))?;
                holders.push(Holder::Key {
                    label: key.clone(),
                    key: public,
                });
            }
            holders.extend(spec.identities.iter().map(|id| Holder::Identity {
                san: id.san.clone(),
                issuer: id.issuer.clone(),
            }));
            roles.insert(name.clone(), holders);
        }
        Ok(roles)
    }

    /// Adds or replaces a role.
    pub fn insert(&mut self, role: String, holders: Vec<Holder>) {
        self.0.insert(role, holders);
    }

    /// The holders of `role`, if the file names it.
    #[must_use]
    pub fn holders(&self, role: &str) -> Option<&[Holder]> {
        self.0.get(role).map(Vec::as_slice)
    }

    /// The role names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// Evidence verified as signed by a holder of a role.
#[derive(Debug, Clone)]
pub struct RoleSigned {
    /// The statement, strictly parsed.
    pub statement: Statement,
    /// The role it was verified for.
    pub role: String,
    /// Who signed: the key's label, or `SAN (issuer)`.
    pub signer: String,
    /// SHA-256 of the bundle's bytes.
    pub bundle_digest: Digest,
    /// The checks skipped (a key-signed bundle needs no transparency log: the key is the whole trust).
    pub skipped: Vec<SkippedCheck>,
}

/// Why evidence does not count as signed by a role.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoleError {
    /// The roles file names no such role.
    #[error("the roles file has no role {role}")]
    UnknownRole {
        /// The role.
        role: String,
    },
    /// The role has no holders.
    #[error("the role {role} has no holders in the roles file")]
    NoHolders {
        /// The role.
        role: String,
    },
    /// The bytes are not a sigstore bundle of a DSSE statement.
    #[error("not a signed statement: {0}")]
    Bundle(#[source] EvidenceError),
    /// No holder's signature verified.
    #[error("not signed by a holder of the role {role}: {}", display_refusals(refusals))]
    NotSigned {
        /// The role.
        role: String,
        /// Each holder and why its check failed.
        refusals: Vec<HolderRefusal>,
    },
}

/// Why one holder of a role did not verify a bundle.
#[derive(Debug)]
pub struct HolderRefusal {
    /// The holder (key label or `SAN (issuer)`).
    pub holder: String,
    /// What failed.
    pub reason: HolderReason,
}

/// What failed for one holder.
#[derive(Debug)]
#[non_exhaustive]
pub enum HolderReason {
    /// The holder's trust policy could not be built (a keyless identity without a trusted root).
    Trust(TrustError),
    /// The signature or statement did not verify.
    Evidence(EvidenceError),
}

impl fmt::Display for HolderRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            HolderReason::Trust(e) => write!(f, "{}: {e}", self.holder),
            HolderReason::Evidence(e) => write!(f, "{}: {} check failed: {e}", self.holder, e.check()),
        }
    }
}

fn display_refusals(refusals: &[HolderRefusal]) -> String {
    refusals
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn holder_policy(holder: &Holder, trusted_root: Option<&TrustedRoot>) -> Result<TrustPolicy, TrustError> {
    match holder {
        Holder::Key { label, key } => TrustPolicy::new(
            Role::single(label.clone(), Policy::Key(key.clone())),
            None,
            // A key-signed bundle carries no log entry: the key is the whole trust.
            [SkippedCheck::TransparencyLog],
        ),
        Holder::Identity { san, issuer } => TrustPolicy::new(
            Role::single(
                format!("{san} ({issuer})"),
                Policy::Identity(
                    IdentityPolicy::new(SanMatcher::Exact(san.clone())).with_issuer(issuer.clone()),
                ),
            ),
            trusted_root,
            [],
        ),
    }
}

/// Verifies that `bundle_json` (a sigstore bundle of a DSSE in-toto statement about `subject`) was
/// signed by a holder of `role`: a key holder offline (no log needed), an identity holder against
/// `trusted_root` with its transparency-log evidence. The first holder that verifies is named.
pub fn verify_for_role(
    bundle_json: &[u8],
    subject: &Digest,
    roles: &Roles,
    role: &str,
    trusted_root: Option<&TrustedRoot>,
) -> Result<RoleSigned, RoleError> {
    verify_with(bundle_json, roles, role, trusted_root, |policy, bundle| {
        policy.verify_statement(subject, bundle, None)
    })
}

/// [`verify_for_role`] for a statement whose subject is the git commit `commit` (a `gitCommit`
/// digest, matched exactly), such as the source stage's attestation.
pub fn verify_commit_for_role(
    bundle_json: &[u8],
    commit: &str,
    roles: &Roles,
    role: &str,
    trusted_root: Option<&TrustedRoot>,
) -> Result<RoleSigned, RoleError> {
    verify_with(bundle_json, roles, role, trusted_root, |policy, bundle| {
        policy.verify_commit_statement(commit, bundle, None)
    })
}

fn verify_with(
    bundle_json: &[u8],
    roles: &Roles,
    role: &str,
    trusted_root: Option<&TrustedRoot>,
    verify: impl Fn(&TrustPolicy, &EvidenceBundle) -> Result<crate::VerifiedStatement, EvidenceError>,
) -> Result<RoleSigned, RoleError> {
    let holders = roles.holders(role).ok_or_else(|| RoleError::UnknownRole {
        role: role.to_owned(),
    })?;
    if holders.is_empty() {
        return Err(RoleError::NoHolders {
            role: role.to_owned(),
        });
    }
    let bundle = EvidenceBundle::from_json(bundle_json).map_err(RoleError::Bundle)?;
    if bundle.bundle.dsse_payload().is_none() {
        return Err(RoleError::Bundle(EvidenceError::NotAttestation));
    }
    let mut refusals = Vec::new();
    for holder in holders {
        let refused = |reason| HolderRefusal {
            holder: holder.to_string(),
            reason,
        };
        let policy = match holder_policy(holder, trusted_root) {
            Ok(p) => p,
            Err(e) => {
                refusals.push(refused(HolderReason::Trust(e)));
                continue;
            }
        };
        match verify(&policy, &bundle) {
            Ok(verified) => {
                return Ok(RoleSigned {
                    statement: verified.statement,
                    role: role.to_owned(),
                    signer: holder.to_string(),
                    bundle_digest: bundle.digest,
                    skipped: verified.signature.skipped,
                });
            }
            Err(e) => refusals.push(refused(HolderReason::Evidence(e))),
        }
    }
    Err(RoleError::NotSigned {
        role: role.to_owned(),
        refusals,
    })
}
