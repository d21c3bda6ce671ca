//! Argument groups of the deployment commands (`deploy`, `rollback`, `release`): the ledger, who may
//! sign which record, an image by digest, and event sinks.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use provenant_digest::Digest;

/// Who may sign the records read back: the roles file, and the roles of deployment records and of
/// promotions.
#[derive(Debug, Args, Clone)]
pub(crate) struct RecordTrustArgs {
    /// The roles file (who holds which role).
    #[arg(
        long,
        value_name = "FILE",
        env = "PROVENANT_ROLES",
        default_value = ".provenant/roles.yaml"
    )]
    pub(crate) roles: PathBuf,
    /// The role whose holders sign deployment, rollback and release-health records. Repeatable.
    #[arg(long = "deployer-role", value_name = "ROLE", default_value = "deployer")]
    pub(crate) deployer_roles: Vec<String>,
    /// The role whose holders sign promotion records. Repeatable.
    #[arg(long = "promoter-role", value_name = "ROLE", default_value = "promoter")]
    pub(crate) promoter_roles: Vec<String>,
    /// Trusted root for keyless signatures (key-signed records need none).
    #[arg(long, value_name = "T", env = "PROVENANT_TRUSTED_ROOT")]
    pub(crate) trusted_root: Option<PathBuf>,
}

impl RecordTrustArgs {
    /// Loads the roles file and the trusted root.
    pub(crate) fn load(&self) -> anyhow::Result<LoadedRecordTrust<'_>> {
        let roles = super::load_roles(&self.roles)
            .with_context(|| format!("cannot load the roles file {}", self.roles.display()))?;
        let root = crate::shared::trusted_root(self.trusted_root.as_deref())?;
        Ok(LoadedRecordTrust {
            args: self,
            roles,
            root,
        })
    }
}

/// The roles file and trusted root of [`RecordTrustArgs`], loaded.
pub(crate) struct LoadedRecordTrust<'a> {
    args: &'a RecordTrustArgs,
    roles: provenant_evidence::roles::Roles,
    root: Option<provenant_sigstore::TrustedRoot>,
}

impl LoadedRecordTrust<'_> {
    /// Who may sign which record, as the deployment engine reads it.
    pub(crate) fn trust(&self) -> provenant_deploy::plan::Trust<'_> {
        provenant_deploy::plan::Trust {
            roles: &self.roles,
            deployer_roles: &self.args.deployer_roles,
            promoter_roles: &self.args.promoter_roles,
            trusted_root: self.root.as_ref(),
        }
    }
}

/// An image named by digest (`IMAGE@sha256:HEX`): its repository and digest.
#[derive(Debug, Clone)]
pub(crate) struct ImageByDigest {
    /// The repository, without tag or digest.
    pub(crate) repository: String,
    /// The digest.
    pub(crate) digest: Digest,
    /// The reference as given.
    pub(crate) reference: provenant_oci::Reference,
}

/// Parses `IMAGE@DIGEST`; a tag alone is refused (a deployment is recorded by digest).
pub(crate) fn parse_image_by_digest(text: &str) -> Result<ImageByDigest, String> {
    let reference: provenant_oci::Reference = text
        .parse()
        .map_err(|e| format!("{text} is not an image reference: {e}"))?;
    let digest = *reference
        .digest()
        .ok_or_else(|| format!("{text} names no digest: give the image by digest (IMAGE@sha256:HEX)"))?;
    Ok(ImageByDigest {
        repository: reference.location(),
        digest,
        reference,
    })
}

/// Parses a digest (`sha256:HEX`).
pub(crate) fn parse_digest(text: &str) -> Result<Digest, String> {
    text.parse()
        .map_err(|e| format!("{text} is not a digest (sha256:HEX): {e}"))
}

/// Where `CDEvents` go.
#[derive(Debug, Args, Clone)]
pub(crate) struct CdeventsArgs {
    /// POST a `CDEvents` 0.5.1 event (binary content mode: `ce-*` headers) to this URL once the record is
    /// in the ledger.
    #[arg(long, value_name = "URL")]
    pub(crate) cdevents_sink: Option<String>,
    /// The events' `source` (a URI reference).
    #[arg(
        long,
        value_name = "URI",
        default_value = "/provenant",
        requires = "cdevents_sink"
    )]
    pub(crate) cdevents_source: String,
}

/// The record's time: `SOURCE_DATE_EPOCH` when set, else the clock; as seconds and RFC 3339.
pub(crate) fn record_time() -> anyhow::Result<(u64, String)> {
    let secs = crate::shared::now_unix()?;
    Ok((secs, provenant_sbom::rfc3339(secs)))
}
