//! The one atomic file writer for evidence and reports written to disk.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    /// The file (or its temporary sibling).
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// Writes `bytes` to `path` atomically: a temporary file with a unique name in the target's
/// directory, written and synced, then renamed over the target. A reader (or a concurrent writer)
/// never sees a torn or mixed file: the target holds one writer's bytes whole.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_with(path, |file| file.write_all(bytes)).map_err(|e| match e {
        StreamWriteError::Write(e) => e,
        StreamWriteError::Fill(source) => WriteError {
            path: path.to_owned(),
            source,
        },
    })
}

/// Why streamed content could not be written: the file system, or the producer of the content.
#[derive(Debug, thiserror::Error)]
pub enum StreamWriteError<E> {
    /// Creating, syncing or renaming the file failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The content's producer failed; the target was left untouched.
    #[error(transparent)]
    Fill(E),
}

/// [`write_atomic`] for content that streams (a blob pulled from a registry): `fill` writes into a
/// uniquely named temporary file in the target's directory, which replaces `path` only when `fill`
/// succeeds. On failure the temporary file is removed and `path` is left as it was.
pub fn write_atomic_with<E>(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> Result<(), E>,
) -> Result<(), StreamWriteError<E>> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let err = |path: &Path| {
        let path = path.to_owned();
        move |source| WriteError { path, source }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err(dir))?;
    // Dropping `tmp` on failure removes the temporary file.
    fill(tmp.as_file_mut()).map_err(StreamWriteError::Fill)?;
    tmp.as_file().sync_all().map_err(err(tmp.path()))?;
    tmp.persist(path).map_err(|e| WriteError {
        path: path.to_owned(),
        source: e.error,
    })?;
    // The rename is durable once the directory is synced; where directories cannot be opened,
    // the file's own bytes are already synced.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
