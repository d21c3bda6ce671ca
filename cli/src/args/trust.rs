//! Who must have signed and where the trust comes from: one group for every verifying command,
//! turned into a `provenant_evidence::TrustPolicy`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use provenant_evidence::{Role, SkippedCheck, TrustPolicy};
use provenant_sigstore::{FulcioExtension, IdentityPolicy, Policy, PublicKey, SanMatcher};

use crate::shared::read_bounded;

/// Largest trusted root or key file read.
const MAX_DOCUMENT: u64 = provenant_evidence::MAX_DOCUMENT_BYTES;

/// Where the trusted root comes from, for `after_help` texts and errors.
pub(crate) const TRUSTED_ROOT_HELP: &str = "Provenant embeds no trusted root: give the trusted_root.json of the \
sigstore instance you trust with --trusted-root (or PROVENANT_TRUSTED_ROOT). Verification is always offline.";

/// Who signed: a public key, or a certificate identity (with its issuer and extensions).
#[derive(Debug, Args, Clone)]
pub(crate) struct SignerArgs {
    /// Public key (PEM) a keyed bundle must verify with.
    #[arg(long, value_name = "PUB", group = "signer")]
    pub(crate) key: Option<PathBuf>,
    /// The certificate's SAN (email or URI) must equal this.
    #[arg(long, value_name = "ID", group = "signer")]
    pub(crate) certificate_identity: Option<String>,
    /// The certificate's whole SAN must match this regular expression (anchored at both ends).
    #[arg(long, value_name = "RE", group = "signer")]
    pub(crate) certificate_identity_regexp: Option<String>,
    /// The certificate's OIDC issuer extension must equal this.
    #[arg(long, value_name = "ISS", conflicts_with = "key")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// A Fulcio extension must equal a value: NAME=VALUE, NAME one of source-repository-uri,
    /// source-repository-ref, source-repository-digest, build-signer-uri, build-config-uri,
    /// build-trigger, runner-environment, … (repeatable).
    #[arg(long, value_name = "NAME=VALUE", conflicts_with = "key")]
    pub(crate) certificate_extension: Vec<String>,
}

impl SignerArgs {
    /// The signer the flags name: a public key or a certificate identity.
    pub(crate) fn policy(&self) -> anyhow::Result<Policy> {
        if let Some(key) = &self.key {
            let pem = String::from_utf8(read_bounded(key, MAX_DOCUMENT, "public key")?)
                .with_context(|| format!("public key {} is not PEM text", key.display()))?;
            return Ok(Policy::Key(
                PublicKey::from_pem(&pem)
                    .with_context(|| format!("cannot use public key {}", key.display()))?,
            ));
        }
        let san = match (&self.certificate_identity, &self.certificate_identity_regexp) {
            (Some(id), _) => SanMatcher::Exact(id.clone()),
            (None, Some(re)) => SanMatcher::regex(re)
                .with_context(|| format!("invalid --certificate-identity-regexp {re:?}"))?,
            (None, None) => anyhow::bail!(
                "say who must have signed: --key PUB, --certificate-identity ID or --certificate-identity-regexp RE"
            ),
        };
        let mut policy = IdentityPolicy::new(san);
        if let Some(issuer) = &self.certificate_oidc_issuer {
            policy = policy.with_issuer(issuer.clone());
        }
        for ext in &self.certificate_extension {
            let (name, value) = ext
                .split_once('=')
                .with_context(|| format!("--certificate-extension {ext:?} is not NAME=VALUE"))?;
            let extension: FulcioExtension = name.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            policy = policy.with_extension(extension, value);
        }
        Ok(Policy::Identity(policy))
    }
}

/// Where the trust comes from.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct TrustArgs {
    /// The `trusted_root.json` to verify against (required: none is embedded).
    #[arg(long, value_name = "T", env = "PROVENANT_TRUSTED_ROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// Verify without network access. Provenant always does; accepted for cosign compatibility.
    #[arg(long)]
    pub(crate) offline: bool,
    /// DANGEROUS: accept a bundle without transparency-log evidence (for private instances that run no
    /// log); an RFC 3161 timestamp is then the only proof of the signing time.
    #[arg(long)]
    pub(crate) insecure_ignore_tlog: bool,
    /// DANGEROUS: accept a Fulcio certificate without a verified Signed Certificate Timestamp.
    #[arg(long)]
    pub(crate) insecure_ignore_sct: bool,
}

impl TrustArgs {
    /// The trust policy believing `signer` (the role `signer`).
    pub(crate) fn policy(&self, signer: &SignerArgs) -> anyhow::Result<TrustPolicy> {
        self.policy_for(Role::single("signer", signer.policy()?))
    }

    /// The trust policy of a command whose verification checks the signer's identity itself (npm
    /// packages, GitHub attestations): the role only selects keyless trust material, so a trusted
    /// root is required.
    pub(crate) fn keyless_policy(&self) -> anyhow::Result<TrustPolicy> {
        let keyless = Policy::Identity(IdentityPolicy::new(SanMatcher::Exact(String::new())));
        self.policy_for(Role::single("signer", keyless))
    }

    /// The trust policy believing `role`.
    pub(crate) fn policy_for(&self, role: Role) -> anyhow::Result<TrustPolicy> {
        let root = crate::shared::trusted_root(self.trusted_root.as_deref())?;
        TrustPolicy::new(role, root.as_ref(), self.skipped()).map_err(|e| match e {
            provenant_evidence::TrustError::NoTrustedRoot => {
                anyhow::anyhow!("no trusted root: {TRUSTED_ROOT_HELP}")
            }
            other => other.into(),
        })
    }

    /// The checks the flags skip.
    pub(crate) fn skipped(&self) -> Vec<SkippedCheck> {
        let mut skipped = Vec::new();
        if self.insecure_ignore_tlog {
            skipped.push(SkippedCheck::TransparencyLog);
        }
        if self.insecure_ignore_sct {
            skipped.push(SkippedCheck::Sct);
        }
        skipped
    }
}
