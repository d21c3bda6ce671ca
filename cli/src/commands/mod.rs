//! One module per command: each turns validated arguments into library calls and renders the result.

pub(crate) mod attached;
pub(crate) mod attest;
pub(crate) mod digest;
pub(crate) mod github_attestation;
pub(crate) mod keys;
pub(crate) mod lineage;
pub(crate) mod meta;
pub(crate) mod npm;
pub(crate) mod oci;
pub(crate) mod provenance;
pub(crate) mod repro;
pub(crate) mod sbom;
pub(crate) mod sigstore;
pub(crate) mod verify_image;
pub(crate) mod vsa;

/// `SOURCE_DATE_EPOCH`, when set and not empty, as seconds since the Unix epoch. A value that is not a
/// whole number of seconds is an error, never silently the clock.
pub(crate) fn source_date_epoch() -> anyhow::Result<Option<u64>> {
    use anyhow::Context as _;
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds")),
        _ => Ok(None),
    }
}
