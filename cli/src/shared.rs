//! What several commands share that is not an argument group: the one reader of `SOURCE_DATE_EPOCH`,
//! the bounded file reader, the password prompt and the atomic file writer.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::Context as _;
use zeroize::Zeroizing;

/// `SOURCE_DATE_EPOCH`, when set and not empty, as seconds since the Unix epoch. A value that is not a
/// whole number of seconds is an error, never silently the clock.
pub(crate) fn source_date_epoch() -> anyhow::Result<Option<u64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds")),
        _ => Ok(None),
    }
}

/// The time a record is made or a judgement is given: `SOURCE_DATE_EPOCH` when set, else the clock, in
/// seconds since the Unix epoch. Every command that needs "now" reads it here.
pub(crate) fn now_unix() -> anyhow::Result<u64> {
    match source_date_epoch()? {
        Some(secs) => Ok(secs),
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs()),
    }
}

/// [`now_unix`] as a signed number of seconds, as the environment and ledger crates count time.
pub(crate) fn now_unix_i64() -> anyhow::Result<i64> {
    let secs = now_unix()?;
    i64::try_from(secs)
        .with_context(|| format!("the time {secs} (SOURCE_DATE_EPOCH or the clock) is out of range"))
}

/// Reads the file at `path` (what it is, for messages: `what`) when it holds at most `max` bytes; a larger
/// file is an error, and no more than `max + 1` bytes are ever read.
pub(crate) fn read_bounded(path: &std::path::Path, max: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    // Sized from the file's length up front (a `Take` gives `read_to_end` no hint: a large evidence
    // file would otherwise be copied as its buffer doubles).
    let hint = file.metadata().map_or(0, |m| m.len()).min(max.saturating_add(1));
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
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

/// `SOURCE_DATE_EPOCH` as a timestamp, when set.
pub(crate) fn source_date_epoch_timestamp() -> anyhow::Result<Option<provenant_slsa::Timestamp>> {
    match source_date_epoch()? {
        Some(secs) => i64::try_from(secs)
            .ok()
            .and_then(provenant_slsa::Timestamp::from_unix)
            .map(Some)
            .with_context(|| format!("SOURCE_DATE_EPOCH={secs} is out of range")),
        None => Ok(None),
    }
}

/// Writes an output file atomically (a uniquely named temporary file in the target's directory,
/// synced, then renamed): every command that writes a file writes it through this.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    Ok(provenant_evidence::fs::write_atomic(path, bytes)?)
}

/// The trusted root (sigstore's `trusted_root.json`) at `path`, when one is given: the one reader of
/// `--trusted-root` for every command.
pub(crate) fn trusted_root(path: Option<&Path>) -> anyhow::Result<Option<provenant_sigstore::TrustedRoot>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let bytes = read_bounded(path, provenant_evidence::MAX_DOCUMENT_BYTES, "trusted root")?;
    Ok(Some(
        provenant_sigstore::TrustedRoot::from_json(&bytes)
            .with_context(|| format!("cannot use trusted root {}", path.display()))?,
    ))
}

/// The files of a key pair named by `--output-key-prefix`: `PREFIX.key` and `PREFIX.pub`, refused when
/// either exists unless `force`.
pub(crate) fn key_pair_paths(
    prefix: &Path,
    force: bool,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let with_suffix = |suffix: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let (key_path, pub_path) = (with_suffix(".key"), with_suffix(".pub"));
    if !force {
        for p in [&key_path, &pub_path] {
            anyhow::ensure!(
                !p.exists(),
                "{} exists: refusing to overwrite it (use --force)",
                p.display()
            );
        }
    }
    Ok((key_path, pub_path))
}

/// Writes a private key (or any secret) readable by its owner only: atomically, as [`write_atomic`], into
/// a new file made `0600` before the first byte goes in. Overwriting an existing file (`--force`) never
/// keeps that file's looser permissions, as truncating it in place would.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    provenant_evidence::fs::write_atomic_with(path, |file| {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)
    })
    .map_err(|e| match e {
        provenant_evidence::fs::StreamWriteError::Write(e) => anyhow::Error::new(e),
        provenant_evidence::fs::StreamWriteError::Fill(e) => {
            anyhow::Error::new(e).context(format!("cannot write {}", path.display()))
        }
    })
}

/// The password for a key file: `COSIGN_PASSWORD` when set (even empty, as cosign), else a prompt on
/// the terminal; without either, an error rather than a hang.
pub(crate) fn password(confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var("COSIGN_PASSWORD") {
        return Ok(Zeroizing::new(p));
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "no password: set COSIGN_PASSWORD (it may be empty) or run on a terminal to be asked"
    );
    let first = Zeroizing::new(rpassword::prompt_password("Enter password for private key: ")?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password(
            "Enter password for private key again: ",
        )?);
        anyhow::ensure!(*first == *again, "passwords do not match");
    }
    Ok(first)
}

/// `annotations` with the creation time from `SOURCE_DATE_EPOCH` when it is set (and none is given).
pub(crate) fn with_created(
    mut annotations: std::collections::BTreeMap<String, String>,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    if let Some(epoch) = source_date_epoch()? {
        annotations
            .entry(provenant_oci::manifest::ANNOTATION_CREATED.to_owned())
            .or_insert_with(|| provenant_oci::config::rfc3339(epoch));
    }
    Ok(annotations)
}

/// What `provenant_provenance::verify` reads of each `(bundle, digest of its bytes, name)`: by reference,
/// in the same order, so that a verified index names its bundle.
pub(crate) fn verification_inputs(
    bundles: &[(provenant_sigstore::Bundle, provenant_digest::Digest, String)],
) -> Vec<provenant_provenance::Input<'_>> {
    bundles
        .iter()
        .map(|(bundle, digest, name)| provenant_provenance::Input {
            bundle,
            digest: *digest,
            name: name.clone(),
        })
        .collect()
}
