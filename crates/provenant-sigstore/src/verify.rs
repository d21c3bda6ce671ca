//! Offline verification of a bundle against a trusted root and a policy.

mod commit;

use std::fmt;

use provenant_digest::{Algorithm, Digest};
use sigstore_types::bundle::VerificationMaterialContent;

use crate::bundle::{Bundle, LogEntry, MaterialKind};
use crate::error::{TimeSource, VerifyError};
use crate::trust_root::TrustedRoot;

/// How the certificate's SAN must match.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SanMatcher {
    /// The SAN (email or URI) equals this string exactly.
    Exact(String),
    /// The whole SAN matches this regular expression (it is anchored at both ends, unlike cosign's
    /// `--certificate-identity-regexp`: `https://github.com/org/` does not match a repository of
    /// another organisation that merely contains it).
    Regex(regex::Regex),
}

impl SanMatcher {
    /// Compiles an identity regular expression, anchored at both ends.
    pub fn regex(pattern: &str) -> Result<SanMatcher, regex::Error> {
        regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
            .size_limit(1 << 20)
            .build()
            .map(SanMatcher::Regex)
    }

    fn matches(&self, san: &str) -> bool {
        match self {
            SanMatcher::Exact(want) => want == san,
            SanMatcher::Regex(re) => re.is_match(san),
        }
    }
}

impl fmt::Display for SanMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanMatcher::Exact(s) => f.write_str(s),
            // Shown without the anchors we added.
            SanMatcher::Regex(re) => {
                let s = re.as_str();
                let inner = s
                    .strip_prefix("^(?:")
                    .and_then(|s| s.strip_suffix(")$"))
                    .unwrap_or(s);
                write!(f, "/{inner}/")
            }
        }
    }
}

/// A Fulcio certificate extension a policy can require (OIDs under `1.3.6.1.4.1.57264.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FulcioExtension {
    /// `.2` GitHub Workflow Trigger (deprecated; superseded by `.20` Build Trigger).
    GithubWorkflowTrigger,
    /// `.3` GitHub Workflow SHA (deprecated; superseded by `.13` Source Repository Digest).
    GithubWorkflowSha,
    /// `.4` GitHub Workflow Name (deprecated; no successor).
    GithubWorkflowName,
    /// `.5` GitHub Workflow Repository, `ORG/REPO` (deprecated; superseded by `.12` Source Repository
    /// URI).
    GithubWorkflowRepository,
    /// `.6` GitHub Workflow Ref (deprecated; superseded by `.14` Source Repository Ref).
    GithubWorkflowRef,
    /// `.9` Build Signer URI (the workflow that signed, with its ref).
    BuildSignerUri,
    /// `.10` Build Signer Digest.
    BuildSignerDigest,
    /// `.11` Runner Environment (`github-hosted`, `self-hosted`).
    RunnerEnvironment,
    /// `.12` Source Repository URI.
    SourceRepositoryUri,
    /// `.13` Source Repository Digest (commit).
    SourceRepositoryDigest,
    /// `.14` Source Repository Ref (`refs/heads/main`).
    SourceRepositoryRef,
    /// `.15` Source Repository Identifier.
    SourceRepositoryIdentifier,
    /// `.16` Source Repository Owner URI.
    SourceRepositoryOwnerUri,
    /// `.17` Source Repository Owner Identifier.
    SourceRepositoryOwnerIdentifier,
    /// `.18` Build Config URI (the workflow file that ran).
    BuildConfigUri,
    /// `.19` Build Config Digest.
    BuildConfigDigest,
    /// `.20` Build Trigger (`push`, `release`, …).
    BuildTrigger,
    /// `.21` Run Invocation URI.
    RunInvocationUri,
    /// `.23` Deployment Environment (the GitHub environment or GitLab environment the job targeted).
    DeploymentEnvironment,
}

impl FulcioExtension {
    /// Every extension, in OID order.
    pub const ALL: [FulcioExtension; 19] = [
        FulcioExtension::GithubWorkflowTrigger,
        FulcioExtension::GithubWorkflowSha,
        FulcioExtension::GithubWorkflowName,
        FulcioExtension::GithubWorkflowRepository,
        FulcioExtension::GithubWorkflowRef,
        FulcioExtension::BuildSignerUri,
        FulcioExtension::BuildSignerDigest,
        FulcioExtension::RunnerEnvironment,
        FulcioExtension::SourceRepositoryUri,
        FulcioExtension::SourceRepositoryDigest,
        FulcioExtension::SourceRepositoryRef,
        FulcioExtension::SourceRepositoryIdentifier,
        FulcioExtension::SourceRepositoryOwnerUri,
        FulcioExtension::SourceRepositoryOwnerIdentifier,
        FulcioExtension::BuildConfigUri,
        FulcioExtension::BuildConfigDigest,
        FulcioExtension::BuildTrigger,
        FulcioExtension::RunInvocationUri,
        FulcioExtension::DeploymentEnvironment,
    ];

    /// The extension's kebab-case name, as in cosign's `--certificate-github-workflow-*` family and
    /// Fulcio's OID documentation.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FulcioExtension::GithubWorkflowTrigger => "github-workflow-trigger",
            FulcioExtension::GithubWorkflowSha => "github-workflow-sha",
            FulcioExtension::GithubWorkflowName => "github-workflow-name",
            FulcioExtension::GithubWorkflowRepository => "github-workflow-repository",
            FulcioExtension::GithubWorkflowRef => "github-workflow-ref",
            FulcioExtension::BuildSignerUri => "build-signer-uri",
            FulcioExtension::BuildSignerDigest => "build-signer-digest",
            FulcioExtension::RunnerEnvironment => "runner-environment",
            FulcioExtension::SourceRepositoryUri => "source-repository-uri",
            FulcioExtension::SourceRepositoryDigest => "source-repository-digest",
            FulcioExtension::SourceRepositoryRef => "source-repository-ref",
            FulcioExtension::SourceRepositoryIdentifier => "source-repository-identifier",
            FulcioExtension::SourceRepositoryOwnerUri => "source-repository-owner-uri",
            FulcioExtension::SourceRepositoryOwnerIdentifier => "source-repository-owner-identifier",
            FulcioExtension::BuildConfigUri => "build-config-uri",
            FulcioExtension::BuildConfigDigest => "build-config-digest",
            FulcioExtension::BuildTrigger => "build-trigger",
            FulcioExtension::RunInvocationUri => "run-invocation-uri",
            FulcioExtension::DeploymentEnvironment => "deployment-environment",
        }
    }

    fn value(self, claims: &sigstore_crypto::FulcioCiClaims) -> Option<&str> {
        let legacy = &claims.deprecated_github;
        match self {
            FulcioExtension::GithubWorkflowTrigger => legacy.workflow_trigger.as_deref(),
            FulcioExtension::GithubWorkflowSha => legacy.workflow_sha.as_deref(),
            FulcioExtension::GithubWorkflowName => legacy.workflow_name.as_deref(),
            FulcioExtension::GithubWorkflowRepository => legacy.workflow_repository.as_deref(),
            FulcioExtension::GithubWorkflowRef => legacy.workflow_ref.as_deref(),
            FulcioExtension::BuildSignerUri => claims.build_signer_uri.as_deref(),
            FulcioExtension::BuildSignerDigest => claims.build_signer_digest.as_deref(),
            FulcioExtension::RunnerEnvironment => claims.runner_environment.as_deref(),
            FulcioExtension::SourceRepositoryUri => claims.source_repository_uri.as_deref(),
            FulcioExtension::SourceRepositoryDigest => claims.source_repository_digest.as_deref(),
            FulcioExtension::SourceRepositoryRef => claims.source_repository_ref.as_deref(),
            FulcioExtension::SourceRepositoryIdentifier => claims.source_repository_identifier.as_deref(),
            FulcioExtension::SourceRepositoryOwnerUri => claims.source_repository_owner_uri.as_deref(),
            FulcioExtension::SourceRepositoryOwnerIdentifier => {
                claims.source_repository_owner_identifier.as_deref()
            }
            FulcioExtension::BuildConfigUri => claims.build_config_uri.as_deref(),
            FulcioExtension::BuildConfigDigest => claims.build_config_digest.as_deref(),
            FulcioExtension::BuildTrigger => claims.build_trigger.as_deref(),
            FulcioExtension::RunInvocationUri => claims.run_invocation_uri.as_deref(),
            FulcioExtension::DeploymentEnvironment => claims.deployment_environment.as_deref(),
        }
    }
}

impl FulcioExtension {
    /// The older GitHub extension (`.2`–`.6`) that says the same thing as this one, for certificates
    /// issued before Fulcio added the provider-neutral extensions (early 2023): Source Repository URI,
    /// Digest and Ref, and Build Trigger have one.
    #[must_use]
    pub fn older_github_equivalent(self) -> Option<FulcioExtension> {
        match self {
            FulcioExtension::SourceRepositoryUri => Some(FulcioExtension::GithubWorkflowRepository),
            FulcioExtension::SourceRepositoryDigest => Some(FulcioExtension::GithubWorkflowSha),
            FulcioExtension::SourceRepositoryRef => Some(FulcioExtension::GithubWorkflowRef),
            FulcioExtension::BuildTrigger => Some(FulcioExtension::GithubWorkflowTrigger),
            _ => None,
        }
    }
}

/// The value of `wanted` among a certificate's `extensions`, or, when the certificate lacks it (and
/// only then), the value its older GitHub equivalent gives, in the newer extension's form (the
/// repository `ORG/REPO` becomes `https://github.com/ORG/REPO`). The second element names the extension
/// the value came from.
#[must_use]
pub fn extension_or_older(
    extensions: &[(FulcioExtension, String)],
    wanted: FulcioExtension,
) -> Option<(String, FulcioExtension)> {
    let find = |e: FulcioExtension| {
        extensions
            .iter()
            .find(|(x, v)| *x == e && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    if let Some(v) = find(wanted) {
        return Some((v, wanted));
    }
    let older = wanted.older_github_equivalent()?;
    let value = find(older)?;
    let value = if older == FulcioExtension::GithubWorkflowRepository {
        format!("https://github.com/{value}")
    } else {
        value
    };
    Some((value, older))
}

impl std::str::FromStr for FulcioExtension {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FulcioExtension::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = FulcioExtension::ALL.iter().map(|e| e.name()).collect();
                format!("unknown Fulcio extension {s:?} (known: {})", names.join(", "))
            })
    }
}

/// Who must have signed a keyless bundle.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    san: SanMatcher,
    issuer: Option<String>,
    extensions: Vec<(FulcioExtension, String)>,
}

impl IdentityPolicy {
    /// Requires the certificate SAN to match `san`.
    #[must_use]
    pub fn new(san: SanMatcher) -> IdentityPolicy {
        IdentityPolicy {
            san,
            issuer: None,
            extensions: Vec::new(),
        }
    }

    /// Also requires the OIDC issuer extension to equal `issuer`.
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> IdentityPolicy {
        self.issuer = Some(issuer.into());
        self
    }

    /// Also requires a Fulcio extension to equal `value`.
    #[must_use]
    pub fn with_extension(mut self, extension: FulcioExtension, value: impl Into<String>) -> IdentityPolicy {
        self.extensions.push((extension, value.into()));
        self
    }
}

/// A public key a keyed bundle must verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    der: sigstore_types::DerPublicKey,
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (`SubjectPublicKeyInfo`) block.
    pub fn from_pem(pem: &str) -> Result<PublicKey, VerifyError> {
        let der = sigstore_types::DerPublicKey::from_pem(pem).map_err(|e| VerifyError::PublicKey {
            detail: e.to_string(),
        })?;
        PublicKey::from_spki_der(der.as_bytes())
    }

    /// Takes a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, VerifyError> {
        let der = sigstore_types::DerPublicKey::new(der.to_vec());
        sigstore_crypto::KeyAlgorithm::from_spki(&der).map_err(|e| VerifyError::PublicKey {
            detail: format!("unsupported or malformed key: {e}"),
        })?;
        Ok(PublicKey { der })
    }

    /// The DER `SubjectPublicKeyInfo`.
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        self.der.as_bytes()
    }
}

/// What a bundle must prove.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Policy {
    /// A keyless bundle whose Fulcio certificate names this identity.
    Identity(IdentityPolicy),
    /// A keyed bundle signed with this key.
    Key(PublicKey),
}

/// The artefact a bundle is checked against.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Artifact<'a> {
    /// The artefact's bytes.
    Bytes(&'a [u8]),
    /// The artefact's digest (sha256 or sha512), when the bytes are elsewhere. For a DSSE bundle this
    /// is matched against the statement's subjects.
    Digest(Digest),
    /// A git commit id (hex): a DSSE in-toto statement one of whose subjects has exactly this
    /// `gitCommit` digest. Keyless or key-signed, with Rekor v1 `dsse` entries or (with the log
    /// waived) none, or an intoto v0.0.1 entry; every check runs as for any other bundle.
    GitCommit(&'a str),
}

/// What a successful verification established.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The certificate SAN (keyless bundles).
    pub identity: Option<String>,
    /// The certificate's OIDC issuer (keyless bundles).
    pub issuer: Option<String>,
    /// The Fulcio extensions present in the certificate, by name, in OID order.
    pub extensions: Vec<(FulcioExtension, String)>,
    /// The earliest SET-authenticated integrated time, if any.
    pub integrated_time: Option<jiff::Timestamp>,
    /// Every authenticated time the certificate was checked against (integrated times and RFC 3161
    /// timestamps).
    pub verified_times: Vec<jiff::Timestamp>,
    /// The transparency-log entries, all of whose inclusion was verified.
    pub log_entries: Vec<LogEntry>,
    /// The DSSE payload type and payload (verified), for DSSE bundles.
    pub dsse: Option<(String, Vec<u8>)>,
    /// The older GitHub extensions the identity policy's extensions were checked against, because the
    /// certificate predates their successors (empty for today's certificates).
    pub older_extensions_used: Vec<FulcioExtension>,
}

/// A verifier for one trusted root. Build it once: it parses and checks every key and certificate of
/// the root, then verifies any number of bundles.
pub struct Verifier {
    inner: sigstore_verify::Verifier,
    legacy: crate::intoto_v001::LegacyTrust,
    skip_tlog: bool,
    skip_sct: bool,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

impl Verifier {
    /// Prepares a verifier; rejects a trusted root with malformed keys or certificates, duplicate log
    /// ids or reversed validity windows.
    pub fn new(root: &TrustedRoot) -> Result<Verifier, VerifyError> {
        let legacy = crate::intoto_v001::LegacyTrust::new(&root.inner)?;
        sigstore_verify::Verifier::new(&root.inner)
            .map(|inner| Verifier {
                inner,
                legacy,
                skip_tlog: false,
                skip_sct: false,
            })
            .map_err(|e| match map_error(e, None) {
                VerifyError::InvalidTrustedRoot { detail } => VerifyError::InvalidTrustedRoot { detail },
                other => VerifyError::InvalidTrustedRoot {
                    detail: other.to_string(),
                },
            })
    }

    /// DANGEROUS: accepts bundles without transparency-log evidence (no inclusion proof, checkpoint or
    /// SET is required or checked), for private instances that run no log, such as GitHub's artefact
    /// attestations for private repositories. A verified RFC 3161 timestamp is then the only proof of
    /// the signing time, and nothing proves the signature was ever published.
    #[must_use]
    pub fn dangerously_skip_transparency_log(mut self) -> Verifier {
        self.skip_tlog = true;
        self
    }

    /// DANGEROUS: accepts Fulcio certificates without a verified Signed Certificate Timestamp, for
    /// private instances whose CA logs to no certificate-transparency log.
    #[must_use]
    pub fn dangerously_skip_sct(mut self) -> Verifier {
        self.skip_sct = true;
        self
    }

    fn keyless_policy(&self) -> sigstore_verify::VerificationPolicy {
        let mut p = sigstore_verify::VerificationPolicy::any_identity();
        if self.skip_tlog {
            p = p.skip_tlog_unsafe();
        }
        if self.skip_sct {
            p = p.skip_sct();
        }
        p
    }

    fn key_policy(&self, key: &PublicKey) -> sigstore_verify::PublicKeyVerificationPolicy {
        let p = sigstore_verify::PublicKeyVerificationPolicy::new(key.der.clone());
        if self.skip_tlog { p.skip_tlog_unsafe() } else { p }
    }

    /// Verifies `bundle` for `artifact` under `policy`. All checks run (see docs/signing.md for the
    /// order); the first that fails is returned.
    pub fn verify(
        &self,
        artifact: Artifact<'_>,
        bundle: &Bundle,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        check_policy_kind(bundle, policy)?;
        if let Some(entry) = bundle.intoto_v001.as_deref() {
            return self.verify_intoto_v001(artifact, bundle, entry, policy);
        }
        if let Policy::Key(key) = policy
            && self.skip_tlog
            && bundle.inner.verification_material.tlog_entries.is_empty()
            && bundle.rfc3161_timestamp_count() == 0
        {
            return verify_keyed_without_evidence(artifact, bundle, key);
        }
        let result = match artifact {
            // The log verifier binds sha256 and sha512 subjects only: every other check, and the
            // subject, run in `commit`.
            Artifact::GitCommit(commit) => return commit::verify(self, commit, bundle, policy),
            Artifact::Bytes(bytes) => self.run(bytes, bundle, policy),
            Artifact::Digest(digest) => {
                let algorithm = match digest.algorithm() {
                    Algorithm::Sha256 => sigstore_types::HashAlgorithm::Sha2256,
                    _ => sigstore_types::HashAlgorithm::Sha2512,
                };
                let digest = sigstore_types::ArtifactDigest::new(algorithm, digest.as_bytes().to_vec())
                    .map_err(|e| VerifyError::UnsupportedArtifact {
                        detail: e.to_string(),
                    })?;
                self.run(digest, bundle, policy)
            }
        }?;
        finish(&result, bundle, policy, self)
    }

    /// Verifies `bundle` for an artefact read to its end from `reader` in constant memory.
    pub fn verify_reader(
        &self,
        reader: impl std::io::Read,
        bundle: &Bundle,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        check_policy_kind(bundle, policy)?;
        if bundle.intoto_v001.is_some() {
            let digest = sigstore_crypto::sha256_reader(reader).map_err(|e| VerifyError::ArtifactRead {
                detail: e.to_string(),
            })?;
            let digest = Digest::from_bytes(Algorithm::Sha256, digest.as_bytes()).map_err(|e| {
                VerifyError::UnsupportedArtifact {
                    detail: e.to_string(),
                }
            })?;
            return self.verify(Artifact::Digest(digest), bundle, policy);
        }
        check_inclusion_roots(bundle)?;
        let inner = self.structural_view(bundle);
        let result = match policy {
            Policy::Identity(_) => self.inner.verify_reader(reader, &inner, &self.keyless_policy()),
            Policy::Key(key) => self.inner.verify_reader(reader, &inner, &self.key_policy(key)),
        }
        .map_err(|e| map_error(e, Some(bundle)))?;
        finish(&result, bundle, policy, self)
    }

    /// An `intoto/0.0.1` attestation (see `intoto_v001`): the log, certificate and signature checks,
    /// then the identity and the artefact, as for any other bundle. The SET is the only evidence of
    /// the signing time, so it is checked even when the log is waived.
    fn verify_intoto_v001(
        &self,
        artifact: Artifact<'_>,
        bundle: &Bundle,
        entry: &crate::intoto_v001::IntotoV001,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        let Policy::Identity(p) = policy else {
            return Err(VerifyError::PolicyKind {
                bundle: "a certificate",
                policy: "a public key",
            });
        };
        let done = crate::intoto_v001::verify(&self.legacy, entry, self.skip_sct)?;
        let identity = done.certificate.identity.as_ref().map(|s| s.as_str().to_owned());
        let issuer = done.certificate.issuer.clone();
        let extensions: Vec<(FulcioExtension, String)> = FulcioExtension::ALL
            .into_iter()
            .filter_map(|e| e.value(&done.certificate.ci_claims).map(|v| (e, v.to_owned())))
            .collect();
        let older_extensions_used = check_identity(p, identity.as_ref(), issuer.as_ref(), &extensions)?;
        check_statement_subjects(artifact, &entry.payload_type, &entry.payload)?;
        Ok(Verified {
            older_extensions_used,
            identity,
            issuer,
            extensions,
            integrated_time: Some(done.integrated_time),
            verified_times: vec![done.integrated_time],
            log_entries: bundle.log_entries(),
            dsse: Some((entry.payload_type.clone(), entry.payload.clone())),
        })
    }

    fn run<'a>(
        &self,
        artifact: impl Into<sigstore_types::Artifact<'a>>,
        bundle: &Bundle,
        policy: &Policy,
    ) -> Result<sigstore_verify::VerificationResult, VerifyError> {
        check_inclusion_roots(bundle)?;
        let inner = self.structural_view(bundle);
        match policy {
            Policy::Identity(_) => self.inner.verify(artifact, &inner, &self.keyless_policy()),
            Policy::Key(key) => self.inner.verify(artifact, &inner, &self.key_policy(key)),
        }
        .map_err(|e| map_error(e, Some(bundle)))
    }

    /// The bundle as the dependency should see it. A v0.1 bundle must carry an inclusion promise on
    /// its log entries; the dependency also demands one when there are no entries at all, which only
    /// a log-less private instance produces. When the log is deliberately skipped and the bundle has
    /// no entries, v0.1 and v0.2 impose the same structure, so the bundle is checked as v0.2.
    fn structural_view<'b>(&self, bundle: &'b Bundle) -> std::borrow::Cow<'b, sigstore_types::Bundle> {
        if self.skip_tlog
            && bundle.inner.media_type == sigstore_types::MediaType::Bundle0_1
            && bundle.inner.verification_material.tlog_entries.is_empty()
        {
            let mut b = bundle.inner.clone();
            b.media_type = sigstore_types::MediaType::Bundle0_2;
            std::borrow::Cow::Owned(b)
        } else {
            std::borrow::Cow::Borrowed(&bundle.inner)
        }
    }
}

/// Every inclusion proof's `rootHash` must equal both the root computed from the entry and the proof's
/// hashes and the root of its checkpoint, as sigstore-python and sigstore-go require. The dependency
/// ignores the field for Rekor v2 entries (it proves inclusion against the checkpoint alone), so a
/// bundle with a `rootHash` that no log ever signed would otherwise verify. A checkpoint that does not
/// parse is left to the checkpoint check.
fn check_inclusion_roots(bundle: &Bundle) -> Result<(), VerifyError> {
    for (i, entry) in bundle.inner.verification_material.tlog_entries.iter().enumerate() {
        let Some(proof) = entry.inclusion_proof.as_ref() else {
            continue;
        };
        let Some(checkpoint) = proof.checkpoint.checkpoint() else {
            continue;
        };
        if checkpoint.root_hash() != &proof.root_hash {
            return Err(VerifyError::InclusionProof {
                detail: format!(
                    "entry {i}: the proof's rootHash {} is not the signed checkpoint's root {}",
                    proof.root_hash.to_hex(),
                    checkpoint.root_hash().to_hex()
                ),
            });
        }
        let (leaf_index, tree_size) = if entry.kind_version == sigstore_types::KindVersion::HashedRekordV002 {
            (entry.log_index.get(), checkpoint.tree_size())
        } else {
            (proof.log_index.get(), proof.tree_size)
        };
        let leaf = sigstore_merkle::hash_leaf(entry.canonicalized_body.as_bytes());
        sigstore_merkle::verify_inclusion_proof(&leaf, leaf_index, tree_size, &proof.hashes, &proof.root_hash)
            .map_err(|e| VerifyError::InclusionProof {
                detail: format!(
                    "entry {i}: the root computed from the entry and the proof's hashes is not the proof's rootHash {}: {e}",
                    proof.root_hash.to_hex()
                ),
            })?;
    }
    Ok(())
}

/// A keyed bundle with neither a log entry nor a timestamp (as model-signing writes them), verified with
/// the log waived: there is nothing to check but the signature with the caller's key and the binding to
/// the artefact. (The dependency's structural rules require a time source, which such a bundle lacks by
/// design.)
fn verify_keyed_without_evidence(
    artifact: Artifact<'_>,
    bundle: &Bundle,
    key: &PublicKey,
) -> Result<Verified, VerifyError> {
    use sigstore_types::SignatureContent;
    let algorithm =
        sigstore_crypto::KeyAlgorithm::from_spki(&key.der).map_err(|e| VerifyError::PublicKey {
            detail: e.to_string(),
        })?;
    match &bundle.inner.content {
        SignatureContent::MessageSignature(m) => {
            keyed_message_signature(artifact, bundle, key, algorithm, m)?;
        }
        SignatureContent::DsseEnvelope(e) => keyed_dsse(artifact, key, algorithm, e)?,
        _ => {
            return Err(VerifyError::UnsupportedBundle {
                detail: "unknown bundle content".into(),
            });
        }
    }
    Ok(Verified {
        identity: None,
        issuer: None,
        extensions: Vec::new(),
        integrated_time: None,
        verified_times: Vec::new(),
        log_entries: Vec::new(),
        dsse: bundle.dsse_payload().map(|(t, p)| (t.to_owned(), p.to_vec())),
        older_extensions_used: Vec::new(),
    })
}

/// The artefact's digest under `alg`, computed from its bytes or checked against the given digest.
fn artifact_digest(artifact: Artifact<'_>, alg: Algorithm) -> Result<Digest, VerifyError> {
    match artifact {
        Artifact::Bytes(b) => Ok(alg.hash_bytes(b)),
        Artifact::Digest(d) if d.algorithm() == alg => Ok(d),
        Artifact::Digest(d) => Err(VerifyError::UnsupportedArtifact {
            detail: format!(
                "the bundle needs a {alg} digest of the artefact, got {}",
                d.algorithm()
            ),
        }),
        Artifact::GitCommit(commit) => Err(VerifyError::UnsupportedArtifact {
            detail: format!("the bundle needs a {alg} digest of the artefact, got git commit {commit}"),
        }),
    }
}

fn keyed_message_signature(
    artifact: Artifact<'_>,
    bundle: &Bundle,
    key: &PublicKey,
    algorithm: sigstore_crypto::KeyAlgorithm,
    m: &sigstore_types::MessageSignature,
) -> Result<(), VerifyError> {
    let scheme = match &m.message_digest {
        Some(d) => algorithm.resolve_signing_scheme(d.algorithm),
        None => Ok(algorithm.default_signing_scheme()),
    }
    .map_err(|e| VerifyError::UnsupportedBundle {
        detail: e.to_string(),
    })?;
    let result = match (scheme.hash_algorithm(), artifact) {
        (Some(sigstore_types::HashAlgorithm::Sha2256), _) => {
            let digest = artifact_digest(artifact, Algorithm::Sha256)?;
            if let Some(claimed) = bundle.message_digest()
                && claimed != digest
            {
                return Err(VerifyError::ArtifactMismatch {
                    detail: format!("the bundle's message digest is {claimed}, the artefact's {digest}"),
                });
            }
            sigstore_crypto::verify_signature_prehashed(&key.der, digest.as_bytes(), &m.signature, scheme)
        }
        // Other hashes (SHA-384 for P-384, SHA-512 or none for Ed25519): the signature is over the
        // artefact's bytes, which the scheme hashes itself; the signature check covers the content.
        (_, Artifact::Bytes(bytes)) => {
            sigstore_crypto::verify_signature(&key.der, bytes, &m.signature, scheme)
        }
        _ => {
            return Err(VerifyError::UnsupportedArtifact {
                detail: format!("cannot verify a {} signature from a digest", scheme.name()),
            });
        }
    };
    result.map_err(|e| VerifyError::Signature {
        detail: format!("signature verification failed: {e}"),
    })?;
    Ok(())
}

fn keyed_dsse(
    artifact: Artifact<'_>,
    key: &PublicKey,
    algorithm: sigstore_crypto::KeyAlgorithm,
    envelope: &sigstore_types::DsseEnvelope,
) -> Result<(), VerifyError> {
    sigstore_crypto::verify_signature(
        &key.der,
        &envelope.pae(),
        &envelope.signature.sig,
        algorithm.default_signing_scheme(),
    )
    .map_err(|e| VerifyError::Signature {
        detail: format!("DSSE signature verification failed: {e}"),
    })?;
    check_statement_subjects(artifact, &envelope.payload_type, envelope.payload.as_bytes())
}

/// The DSSE payload is an in-toto statement one of whose subjects is the artefact.
fn check_statement_subjects(
    artifact: Artifact<'_>,
    payload_type: &str,
    payload: &[u8],
) -> Result<(), VerifyError> {
    if payload_type != crate::bundle::IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::UnsupportedBundle {
            detail: format!("DSSE payloadType {payload_type:?} is not an in-toto statement"),
        });
    }
    let statement: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| VerifyError::UnsupportedBundle {
            detail: format!("the statement is not JSON: {e}"),
        })?;
    let subjects = statement.get("subject").and_then(serde_json::Value::as_array);
    if let Artifact::GitCommit(commit) = artifact {
        let bound = subjects.is_some_and(|subjects| {
            subjects.iter().any(|s| {
                s.get("digest")
                    .and_then(|d| d.get("gitCommit"))
                    .and_then(serde_json::Value::as_str)
                    == Some(commit)
            })
        });
        if !bound {
            return Err(VerifyError::ArtifactMismatch {
                detail: format!("commit {commit} is not a gitCommit subject of the statement"),
            });
        }
        return Ok(());
    }
    let matches = |alg: Algorithm| -> Result<bool, VerifyError> {
        let want = artifact_digest(artifact, alg)?;
        Ok(subjects.is_some_and(|subjects| {
            subjects.iter().any(|s| {
                s.get("digest")
                    .and_then(|d| d.get(alg.name()))
                    .and_then(serde_json::Value::as_str)
                    .and_then(|hex| Digest::from_hex(alg, hex).ok())
                    .is_some_and(|d| d == want)
            })
        }))
    };
    let algorithms: &[Algorithm] = match artifact {
        Artifact::Bytes(_) => &[Algorithm::Sha256, Algorithm::Sha512],
        Artifact::Digest(d) if d.algorithm() == Algorithm::Sha256 => &[Algorithm::Sha256],
        Artifact::Digest(_) => &[Algorithm::Sha512],
        Artifact::GitCommit(_) => &[],
    };
    let mut found = false;
    for alg in algorithms {
        found = found || matches(*alg)?;
    }
    if !found {
        return Err(VerifyError::ArtifactMismatch {
            detail: "the artefact's digest is not a subject of the statement".into(),
        });
    }
    Ok(())
}

fn check_policy_kind(bundle: &Bundle, policy: &Policy) -> Result<(), VerifyError> {
    match (bundle.material_kind(), policy) {
        (MaterialKind::PublicKey, Policy::Identity(_)) => Err(VerifyError::PolicyKind {
            bundle: "a public key",
            policy: "a certificate identity",
        }),
        (MaterialKind::Certificate, Policy::Key(_)) => Err(VerifyError::PolicyKind {
            bundle: "a certificate",
            policy: "a public key",
        }),
        _ => Ok(()),
    }
}

fn finish(
    result: &sigstore_verify::VerificationResult,
    bundle: &Bundle,
    policy: &Policy,
    verifier: &Verifier,
) -> Result<Verified, VerifyError> {
    let identity = result.identity().map(|s| s.as_str().to_owned());
    let issuer = result.issuer().map(str::to_owned);
    let extensions: Vec<(FulcioExtension, String)> = result
        .certificate()
        .map(|c| {
            FulcioExtension::ALL
                .into_iter()
                .filter_map(|e| e.value(&c.ci_claims).map(|v| (e, v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut older_extensions_used = Vec::new();
    if let Policy::Identity(p) = policy {
        // Fail closed: the dependency reports what it checked; a keyless verification without the
        // certificate chain, the SCT and the log is not one Provenant accepts.
        // The dependency's keyless policy runs every cryptographic check (chain, SCT, log, SET,
        // timestamps); the identity checks below are ours, so that regexps and extensions are possible.
        if !(result.certificate_verified()
            && (result.sct_verified() || verifier.skip_sct)
            && (result.tlog_verified() || verifier.skip_tlog))
        {
            return Err(VerifyError::InvalidBundle {
                detail: "not every check ran (certificate chain, SCT, transparency log)".into(),
            });
        }
        older_extensions_used = check_identity(p, identity.as_ref(), issuer.as_ref(), &extensions)?;
    } else if !(result.tlog_verified() || verifier.skip_tlog) {
        return Err(VerifyError::InvalidBundle {
            detail: "the transparency log was not verified".into(),
        });
    }
    Ok(Verified {
        older_extensions_used,
        identity,
        issuer,
        extensions,
        integrated_time: result.integrated_time(),
        verified_times: result.verified_timestamps().to_vec(),
        log_entries: bundle.log_entries(),
        dsse: bundle.dsse_payload().map(|(t, p)| (t.to_owned(), p.to_vec())),
    })
}

/// The certificate's SAN, issuer and extensions against the identity policy.
fn check_identity(
    p: &IdentityPolicy,
    identity: Option<&String>,
    issuer: Option<&String>,
    extensions: &[(FulcioExtension, String)],
) -> Result<Vec<FulcioExtension>, VerifyError> {
    if !identity.is_some_and(|san| p.san.matches(san)) {
        return Err(VerifyError::SanMismatch {
            got: identity.cloned(),
            want: p.san.to_string(),
        });
    }
    if let Some(want) = &p.issuer
        && issuer.map(String::as_str) != Some(want.as_str())
    {
        return Err(VerifyError::IssuerMismatch {
            got: issuer.cloned(),
            want: want.clone(),
        });
    }
    let mut older = Vec::new();
    for (extension, want) in &p.extensions {
        let got = extension_or_older(extensions, *extension);
        if got.as_ref().map(|(v, _)| v.as_str()) != Some(want.as_str()) {
            return Err(VerifyError::ExtensionMismatch {
                extension: extension.name(),
                got: got.map(|(v, _)| v),
                want: want.clone(),
            });
        }
        if let Some((_, from)) = got
            && from != *extension
            && !older.contains(&from)
        {
            older.push(from);
        }
    }
    Ok(older)
}

/// Where a verified time came from: an integrated time of one of the bundle's entries, or else an
/// RFC 3161 timestamp.
fn time_source(bundle: Option<&Bundle>, time: jiff::Timestamp) -> TimeSource {
    let from_log = bundle.is_some_and(|b| {
        b.inner
            .verification_material
            .tlog_entries
            .iter()
            .any(|e| e.integrated_time == Some(time))
    });
    if from_log {
        TimeSource::IntegratedTime
    } else {
        TimeSource::Rfc3161
    }
}

fn certificate_window(bundle: Option<&Bundle>) -> Option<(jiff::Timestamp, jiff::Timestamp)> {
    let bundle = bundle?;
    let der = match &bundle.inner.verification_material.content {
        VerificationMaterialContent::PublicKey(_) => return None,
        _ => bundle.inner.signing_certificate()?,
    };
    let info = sigstore_crypto::parse_certificate_info(der).ok()?;
    Some((info.not_before, info.not_after))
}

/// Maps the dependency's error onto ours. `bundle` (when known) says where a time came from.
fn map_error(e: sigstore_verify::Error, bundle: Option<&Bundle>) -> VerifyError {
    use sigstore_verify::{
        CertificateError as C, Error as E, TimestampError as T, TransparencyLogError as L,
    };
    match e {
        E::IdentityMismatch { expected, actual } => VerifyError::SanMismatch {
            got: actual.map(|a| a.as_str().to_owned()),
            want: expected.to_string(),
        },
        E::IssuerMismatch { expected, actual } => VerifyError::IssuerMismatch {
            got: actual,
            want: expected,
        },
        E::SignatureInvalid(detail) => VerifyError::Signature { detail },
        E::ArtifactMismatch(detail) => VerifyError::ArtifactMismatch { detail },
        E::UnsupportedArtifact(detail) => VerifyError::UnsupportedArtifact { detail },
        E::Certificate(c) => match c {
            C::Malformed(detail) => VerifyError::MalformedCertificate { detail },
            C::ChainInvalid(detail) => chain_error(detail, bundle),
            C::NoValidAuthority { time } => VerifyError::NoValidCertificateAuthority {
                time,
                time_source: time_source(bundle, time),
            },
            C::NotYetValid { time, not_before } => {
                let not_after = certificate_window(bundle).map_or(not_before, |(_, a)| a);
                VerifyError::CertificateNotValidAt {
                    time,
                    time_source: time_source(bundle, time),
                    not_before,
                    not_after,
                }
            }
            C::Expired { time, not_after } => {
                let not_before = certificate_window(bundle).map_or(not_after, |(b, _)| b);
                VerifyError::CertificateNotValidAt {
                    time,
                    time_source: time_source(bundle, time),
                    not_before,
                    not_after,
                }
            }
            C::Sct(detail) => VerifyError::Sct { detail },
            other => VerifyError::CertificateChain {
                detail: other.to_string(),
            },
        },
        E::TransparencyLog(l) => match l {
            L::UnknownLog { log_id } => VerifyError::UnknownLog { log_id },
            L::InclusionProof(detail) => VerifyError::InclusionProof { detail },
            L::Checkpoint(detail) => VerifyError::Checkpoint { detail },
            L::InclusionPromise(detail) => VerifyError::SignedEntryTimestamp { detail },
            L::EntryMismatch(detail) => VerifyError::EntryMismatch { detail },
            L::IntegratedTime(detail) => VerifyError::IntegratedTime { detail },
            L::MalformedEntry(detail) => VerifyError::MalformedEntry { detail },
            other => VerifyError::EntryMismatch {
                detail: other.to_string(),
            },
        },
        E::Timestamp(t) => match t {
            T::Invalid(detail) => VerifyError::Timestamp { detail },
            T::OutsideAuthorityValidity { time } => VerifyError::TimestampOutsideAuthority { time },
            T::NoVerifiedTimestamp(detail) => VerifyError::NoVerifiedTime { detail },
            other => VerifyError::Timestamp {
                detail: other.to_string(),
            },
        },
        E::InvalidBundle(detail) => VerifyError::InvalidBundle { detail },
        E::Bundle(b) => map_structure_error(&b),
        E::Types(t) => VerifyError::InvalidBundle {
            detail: t.to_string(),
        },
        E::UnsupportedBundle(detail) => VerifyError::UnsupportedBundle { detail },
        E::InvalidTrustRoot(detail) => VerifyError::InvalidTrustedRoot { detail },
        E::TrustRoot(t) => VerifyError::InvalidTrustedRoot {
            detail: t.to_string(),
        },
        E::TrustedCertificate(t) => VerifyError::InvalidTrustedRoot {
            detail: t.to_string(),
        },
        E::Crypto(c) => VerifyError::Signature {
            detail: c.to_string(),
        },
        E::ArtifactRead(io) => VerifyError::ArtifactRead {
            detail: io.to_string(),
        },
        other => VerifyError::InvalidBundle {
            detail: other.to_string(),
        },
    }
}

/// Structural problems that are really failed log checks get the check's name.
fn map_structure_error(e: &sigstore_bundle::Error) -> VerifyError {
    use sigstore_bundle::Error as B;
    match e {
        B::CheckpointRootMismatch | B::LogIndexOutOfRange { .. } | B::MissingInclusionProof(_) => {
            VerifyError::InclusionProof {
                detail: e.to_string(),
            }
        }
        B::MissingCheckpoint => VerifyError::Checkpoint {
            detail: e.to_string(),
        },
        B::MissingInclusionPromise(_) => VerifyError::SignedEntryTimestamp {
            detail: e.to_string(),
        },
        B::MissingSigningTimeEvidence | B::MissingTimestamp => VerifyError::NoVerifiedTime {
            detail: e.to_string(),
        },
        _ => VerifyError::InvalidBundle {
            detail: e.to_string(),
        },
    }
}

/// The chain check (webpki) reports an expired or not-yet-valid certificate as `CertExpired { time:
/// UnixTime(N), .. }`. When it is the signing certificate that was not valid at that (verified) time,
/// say so; an expired intermediate stays a chain error.
fn chain_error(detail: String, bundle: Option<&Bundle>) -> VerifyError {
    let time = detail
        .split_once("time: UnixTime(")
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(n, _)| n.parse::<i64>().ok())
        .and_then(|n| jiff::Timestamp::from_second(n).ok());
    if let (Some(time), Some((not_before, not_after))) = (time, certificate_window(bundle))
        && (time < not_before || time > not_after)
    {
        return VerifyError::CertificateNotValidAt {
            time,
            time_source: time_source(bundle, time),
            not_before,
            not_after,
        };
    }
    VerifyError::CertificateChain { detail }
}

/// The sha256 digest of `bytes`, as Provenant spells it.
#[must_use]
pub fn sha256(bytes: &[u8]) -> Digest {
    Algorithm::Sha256.hash_bytes(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use super::*;

    /// Issue 15, item 1: a certificate issued before Fulcio's provider-neutral extensions (early 2023)
    /// carries only the older GitHub ones (`.2`–`.6`); an identity policy on the source repository,
    /// commit, ref or trigger is checked against them, says which were used, and still fails on a
    /// different value. A certificate with the newer extensions never falls back.
    #[test]
    fn older_github_extensions_stand_in_for_their_successors() {
        let older = vec![
            (FulcioExtension::GithubWorkflowTrigger, "push".to_owned()),
            (FulcioExtension::GithubWorkflowSha, "a".repeat(40)),
            (FulcioExtension::GithubWorkflowName, "release".to_owned()),
            (FulcioExtension::GithubWorkflowRepository, "org/repo".to_owned()),
            (FulcioExtension::GithubWorkflowRef, "refs/heads/main".to_owned()),
        ];
        let san = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main".to_owned();
        let policy = |ext: &[(FulcioExtension, &str)]| {
            ext.iter().fold(
                IdentityPolicy::new(SanMatcher::Exact(san.clone())),
                |p, (e, v)| p.with_extension(*e, *v),
            )
        };
        let p = policy(&[
            (
                FulcioExtension::SourceRepositoryUri,
                "https://github.com/org/repo",
            ),
            (FulcioExtension::SourceRepositoryRef, "refs/heads/main"),
            (FulcioExtension::SourceRepositoryDigest, &"a".repeat(40)),
            (FulcioExtension::BuildTrigger, "push"),
        ]);
        let used = check_identity(&p, Some(&san), None, &older).unwrap();
        assert_eq!(
            used,
            [
                FulcioExtension::GithubWorkflowRepository,
                FulcioExtension::GithubWorkflowRef,
                FulcioExtension::GithubWorkflowSha,
                FulcioExtension::GithubWorkflowTrigger,
            ]
        );
        let wrong = policy(&[(
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/org/other",
        )]);
        let err = check_identity(&wrong, Some(&san), None, &older).unwrap_err();
        assert!(
            matches!(&err, VerifyError::ExtensionMismatch { extension: "source-repository-uri", got: Some(g), .. } if g == "https://github.com/org/repo"),
            "{err}"
        );
        // Both present (today's certificates): the newer one decides, and no fallback is reported.
        let mut both = older.clone();
        both.push((
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/org/renamed".to_owned(),
        ));
        let p = policy(&[(
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/org/renamed",
        )]);
        assert!(check_identity(&p, Some(&san), None, &both).unwrap().is_empty());
        let p = policy(&[(
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/org/repo",
        )]);
        assert!(check_identity(&p, Some(&san), None, &both).is_err());
        // Extensions without an older equivalent do not fall back.
        let p = policy(&[(FulcioExtension::BuildConfigUri, "release")]);
        assert!(check_identity(&p, Some(&san), None, &older).is_err());
        assert_eq!(
            "github-workflow-repository".parse::<FulcioExtension>().unwrap(),
            FulcioExtension::GithubWorkflowRepository
        );
    }
}
