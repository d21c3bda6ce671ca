//! How to reach registries: one group for every command that talks to one.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use provenant_registry::auth::{CredentialSource, Credentials};
use provenant_registry::remote::{Client, ClientOptions};

/// How to reach registries.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct RegistryArgs {
    /// Allow plain HTTP to this registry host[:port] (loopback registries always may). Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    insecure_registries: Vec<String>,
    /// Credentials for every registry, USER:PASSWORD (else docker's config.json is used).
    #[arg(
        long,
        env = "PROVENANT_REGISTRY_CREDS",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    creds: Option<String>,
    /// Docker config file to read credentials from (default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`).
    #[arg(long, value_name = "PATH")]
    authfile: Option<PathBuf>,
    /// Seconds to wait for a connection to a registry (name resolution, TCP, TLS) [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    connect_timeout: Option<std::time::Duration>,
    /// Seconds a registry may stay silent on an open connection before the request fails [default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    read_timeout: Option<std::time::Duration>,
    /// Seconds one registry request may take in all (blob transfers get one more second per 128 KiB)
    /// [default: 60].
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    registry_timeout: Option<std::time::Duration>,
}

/// A timeout in seconds: a positive number, fractions allowed (`30`, `0.5`).
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("{text:?} is not a positive number of seconds"))
}

/// An image reference as a command-line value: `registry/repo[:tag][@digest]` or
/// `oci:PATH[:tag][@digest]`. Whether a tag is accepted where a digest is expected is the command's
/// rule (`provenant_registry::resolve_digest`), not the parser's.
pub(crate) fn parse_reference(text: &str) -> Result<provenant_oci::Reference, String> {
    text.parse()
        .map_err(|e| format!("{text:?} is not an image reference (registry/repo[:tag][@digest] or oci:PATH[:tag][@digest]): {e}"))
}

impl RegistryArgs {
    fn source(&self, creds: Option<&str>) -> anyhow::Result<CredentialSource> {
        let mut source = CredentialSource::from_environment();
        if let Some(path) = &self.authfile {
            source = source.with_docker_config(path);
        }
        if let Some(c) = creds.or(self.creds.as_deref()) {
            let c = Credentials::parse(c).context("credentials must be USER:PASSWORD")?;
            source = source.with_default(Some(c));
        }
        Ok(source)
    }

    /// A registry client with these options (`creds` overrides `--creds`).
    pub(crate) fn client(&self, creds: Option<&str>) -> anyhow::Result<Arc<Client>> {
        let defaults = ClientOptions::default();
        Ok(Arc::new(Client::new(ClientOptions {
            insecure_registries: self.insecure_registries.clone(),
            credentials: self.source(creds)?,
            connect_timeout: self.connect_timeout.unwrap_or(defaults.connect_timeout),
            read_timeout: self.read_timeout.unwrap_or(defaults.read_timeout),
            request_timeout: self.registry_timeout.unwrap_or(defaults.request_timeout),
            ..defaults
        })))
    }
}
