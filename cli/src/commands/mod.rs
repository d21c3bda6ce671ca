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
pub(crate) mod scan;
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

/// Reads the file at `path` (what it is, for messages: `what`) when it holds at most `max` bytes; a larger
/// file is an error, and no more than `max + 1` bytes are ever read.
pub(crate) fn read_bounded(path: &std::path::Path, max: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context as _;
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= max,
        "{what} {} is larger than {max} bytes",
        path.display()
    );
    Ok(bytes)
}
