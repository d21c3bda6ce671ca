//! How evidence is signed: a key file, or keylessly with the services and identity token of one
//! group, turned into the one `provenant_evidence::Signer`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use provenant_evidence::{Signer, SigningMethod, TokenSource};

use crate::shared::{password, read_bounded};

/// Production public-good endpoints, used when neither flags nor a signing config name the services.
const PUBLIC_GOOD_FULCIO: &str = "https://fulcio.sigstore.dev";
const PUBLIC_GOOD_REKOR: &str = "https://rekor.sigstore.dev";
const STAGING_FULCIO: &str = "https://fulcio.sigstage.dev";
const STAGING_REKOR: &str = "https://rekor.sigstage.dev";

/// Keyless signing services and identity.
#[derive(Debug, Args, Clone)]
pub(crate) struct KeylessArgs {
    /// OIDC identity token, or a file holding one (else `SIGSTORE_ID_TOKEN`, else GitHub Actions'
    /// ambient token).
    #[arg(long, value_name = "T", env = "SIGSTORE_ID_TOKEN", hide_env_values = true)]
    pub(crate) identity_token: Option<String>,
    /// Fulcio URL (overrides the signing config).
    #[arg(long, value_name = "U")]
    pub(crate) fulcio_url: Option<String>,
    /// Rekor URL (overrides the signing config).
    #[arg(long, value_name = "U")]
    pub(crate) rekor_url: Option<String>,
    /// Rekor API version of --rekor-url.
    #[arg(long, value_name = "1|2", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub(crate) rekor_version: u8,
    /// RFC 3161 timestamp authority endpoint (overrides the signing config).
    #[arg(long, value_name = "U")]
    pub(crate) timestamp_server_url: Option<String>,
    /// A sigstore signing config (or client trust config) naming the services.
    #[arg(long, value_name = "F")]
    pub(crate) signing_config: Option<PathBuf>,
}

impl KeylessArgs {
    /// The signing services: the signing config, the flags over it, else the public-good (or
    /// staging) instance.
    pub(crate) fn services(&self, staging: bool) -> anyhow::Result<provenant_sigstore_sign::Services> {
        use provenant_sigstore_sign::{RekorVersion, Services};
        let mut s = match &self.signing_config {
            Some(path) => Services::from_signing_config(&read_bounded(
                path,
                provenant_evidence::MAX_DOCUMENT_BYTES,
                "signing config",
            )?)
            .with_context(|| format!("cannot use signing config {}", path.display()))?,
            None if staging => Services::new(STAGING_FULCIO, STAGING_REKOR),
            None => Services::new(PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR),
        };
        if let Some(u) = &self.fulcio_url {
            s = s.with_fulcio(u.clone());
        }
        if let Some(u) = &self.rekor_url {
            let version = if self.rekor_version == 2 {
                RekorVersion::V2
            } else {
                RekorVersion::V1
            };
            s = s.with_rekor(u.clone(), version);
        }
        if let Some(u) = &self.timestamp_server_url {
            s = s.with_tsa(u.clone());
        }
        Ok(s)
    }

    /// The one signer of every command that produces evidence: the key at `key` when given (cosign's
    /// encrypted format asks for its password), else keylessly with these services and token.
    pub(crate) fn signer(&self, key: Option<&Path>) -> anyhow::Result<Signer> {
        self.signer_for(key, false)
    }

    /// Signs an in-toto statement with the one signer (the key at `key` when given) and writes the
    /// bundle (v0.3) to `out` when given; `what` names the statement in errors.
    pub(crate) fn sign_statement(
        &self,
        key: Option<&Path>,
        statement: &[u8],
        out: Option<&Path>,
        what: &str,
    ) -> anyhow::Result<provenant_sigstore::Bundle> {
        let bundle = self
            .signer(key)?
            .sign_statement(statement)
            .with_context(|| format!("cannot sign the {what}"))?
            .bundle;
        if let Some(path) = out {
            crate::shared::write_atomic(path, &bundle.to_json_v0_3()?)?;
        }
        Ok(bundle)
    }

    /// [`KeylessArgs::signer`], against the staging instance when `staging`.
    pub(crate) fn signer_for(&self, key: Option<&Path>, staging: bool) -> anyhow::Result<Signer> {
        if let Some(key) = key {
            let key =
                provenant_evidence::load_signing_key(key, || password(false).map_err(|e| format!("{e:#}")))?;
            return Ok(Signer::new(SigningMethod::Key(key)));
        }
        Ok(Signer::new(SigningMethod::Keyless {
            services: self.services(staging)?,
            token: TokenSource::from_flag(self.identity_token.as_deref()),
        }))
    }
}

/// Packaging provenance for what `oci image` builds or `oci push` pushes: signed with a key or keylessly
/// and attached as a referrer of the manifest.
#[derive(Debug, Args, Clone)]
pub(crate) struct PackagingSignerArgs {
    /// Record packaging provenance (subject the manifest, resolved dependencies every packaged file),
    /// signed with this key, and attach it as a referrer.
    #[arg(long, value_name = "KEY", conflicts_with = "keyless")]
    pub(crate) key: Option<PathBuf>,
    /// Record packaging provenance signed keylessly (identity token, Fulcio, Rekor) and attach it.
    #[arg(long)]
    pub(crate) keyless: bool,
    /// The builder id the packaging provenance records.
    #[arg(long, value_name = "URI", default_value = provenant_slsa::LOCAL_BUILDER_ID)]
    pub(crate) builder_id: String,
    /// Also write the signed packaging provenance (a sigstore bundle) to this file.
    #[arg(long, value_name = "OUT")]
    pub(crate) provenance_bundle: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) signing: KeylessArgs,
}

impl PackagingSignerArgs {
    /// Whether packaging provenance is to be signed; `--provenance-bundle` alone is a usage error.
    pub(crate) fn requested(&self) -> anyhow::Result<bool> {
        let requested = self.key.is_some() || self.keyless;
        anyhow::ensure!(
            requested || self.provenance_bundle.is_none(),
            "--provenance-bundle needs --key or --keyless"
        );
        Ok(requested)
    }
}
