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

/// How a deployment, rollback or release-health record is signed and kept: the signer (a key, else
/// keyless), the ledger it is appended to, and a copy of its bundle.
#[derive(Debug, Args)]
pub(crate) struct RecordSignerArgs {
    /// Sign with this key instead of keylessly.
    #[arg(long, value_name = "K")]
    pub(crate) key: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) keyless: super::KeylessArgs,
    #[command(flatten)]
    pub(crate) ledger: super::LedgerArg,
    /// Also write the signed record (sigstore bundle) here.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: Option<PathBuf>,
}

/// A governance record signed into a bundle and appended to the ledger.
pub(crate) struct AppendedRecord {
    /// The bundle's bytes, as appended.
    pub(crate) bundle: Vec<u8>,
    /// Its ledger index.
    pub(crate) index: u64,
    /// SHA-256 of the bundle's bytes.
    pub(crate) digest: Digest,
}

impl RecordSignerArgs {
    /// Signs `statement` (the bundle also written to `--bundle` when given) and appends the bundle to
    /// `store` at `time`: the one way the record commands put a signed record in the ledger.
    pub(crate) fn sign_and_append(
        &self,
        statement: &provenant_attest::Statement,
        store: &dyn provenant_ledger_store::LedgerStore,
        time: u64,
        what: &str,
    ) -> anyhow::Result<AppendedRecord> {
        let bundle = self
            .keyless
            .sign_statement(
                self.key.as_deref(),
                &statement.to_json(),
                self.bundle.as_deref(),
                "statement",
            )
            .with_context(|| format!("cannot sign the {what}"))?
            .to_json_v0_3()?;
        let index = store
            .append(std::slice::from_ref(&bundle), time)
            .with_context(|| format!("cannot append the {what} to the ledger"))?
            .first()
            .map(|a| a.index)
            .context("the ledger acknowledged no entry")?;
        let digest = provenant_digest::Algorithm::Sha256.hash_bytes(&bundle);
        Ok(AppendedRecord {
            bundle,
            index,
            digest,
        })
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

/// A time on the command line: an RFC 3339 timestamp or seconds since the epoch (`ledger query --since`,
/// `release baseline --start`).
pub(crate) fn parse_time(text: &str) -> Result<u64, String> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    let ts: jiff::Timestamp = text
        .parse()
        .map_err(|_| format!("{text} is neither an RFC 3339 time nor seconds since the epoch"))?;
    u64::try_from(ts.as_second()).map_err(|_| format!("{text} is before 1970"))
}
