//! Cataloging an OCI image: its layers are read as streams, in order, into the final filesystem
//! (`provenant_image::rootfs`: whiteouts applied, every blob and diff id verified, nothing unpacked to
//! disk), keeping in memory only the files a cataloger reads — lockfiles and package databases by name,
//! the manifests beside them, Debian copyright files, and executables (ELF, PE, Mach-O) by their magic number. Each
//! component's evidence names the layer (its diff id) that put its file in the image.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;

use provenant_digest::Progress;
use provenant_image::rootfs::{self, Filesystem, Keep, LayerError, Node, Placed};
use provenant_oci::ImageManifest;
use provenant_registry::Store;

use crate::exclude::Exclude;
use crate::formats::Format;
use crate::walk::{Kind, Located, Source, catalog_bytes, kind_of, too_large};
use crate::{Catalog, MAX_FILE_BYTES, binary};

/// Files read only as a cataloged file's neighbours.
const NEIGHBOURS: [&str; 6] = [
    "package.json",
    "pyproject.toml",
    "Pipfile",
    "composer.json",
    "go.sum",
    "copyright",
];

/// The smallest executable worth reading (a header and one section).
const MIN_EXE_BYTES: u64 = 64;

fn kind_for(path: &str, head: &[u8], size: u64) -> Option<Kind> {
    kind_of(Path::new(path)).or_else(|| {
        ((MIN_EXE_BYTES..=MAX_FILE_BYTES).contains(&size) && binary::is_executable(head))
            .then_some(Kind::Other(Format::Executable))
    })
}

struct CatalogKeep<'a> {
    exclude: &'a Exclude,
    /// The files a cataloger would read but that are larger than [`MAX_FILE_BYTES`], as the layers put
    /// them (a later layer may replace or delete them).
    oversize: RefCell<BTreeSet<String>>,
}

impl Keep for CatalogKeep<'_> {
    fn keep(&self, path: &str, size: u64, head: &[u8]) -> bool {
        if self.exclude.excludes(path) {
            return false;
        }
        let mut oversize = self.oversize.borrow_mut();
        oversize.remove(path);
        if size > MAX_FILE_BYTES {
            // As in a directory: a warning, not silence.
            if kind_of(Path::new(path)).is_some() || binary::is_executable(head) {
                oversize.insert(path.to_owned());
            }
            return false;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        kind_for(path, head, size).is_some() || NEIGHBOURS.contains(&name)
    }

    // Catalogers read kept content only; the layers are still verified.
    fn digest_files(&self) -> bool {
        false
    }

    // An executable is worth keeping only when it records its build (most do not: C programs).
    fn keep_content(&self, path: &str, content: &[u8]) -> bool {
        !matches!(
            kind_for(path, content, content.len() as u64),
            Some(Kind::Other(Format::Executable))
        ) || binary::may_record_build(content)
    }
}

/// The kept files of the final filesystem.
struct Kept<'a>(&'a Filesystem);

impl Source for Kept<'_> {
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        self.0.kept.get(rel).cloned()
    }
}

/// Catalogs the image whose manifest is `manifest`, reading its layers from `store`. `progress` hears of
/// the compressed bytes read.
// `LayerError` carries a `StoreError` by value (the cold path, where callers want both digests of a
// mismatch); boxing it would only add an allocation to every error.
#[allow(clippy::result_large_err)]
pub fn catalog_image(
    store: &dyn Store,
    manifest: &ImageManifest,
    progress: &dyn Progress,
) -> Result<Catalog, LayerError> {
    catalog_image_excluding(store, manifest, progress, &Exclude::default())
}

/// [`catalog_image`], leaving out the paths of the image's final filesystem that `exclude` names (the
/// layers are still read and verified, but an excluded file is neither kept nor cataloged).
#[allow(clippy::result_large_err)] // as catalog_image
pub fn catalog_image_excluding(
    store: &dyn Store,
    manifest: &ImageManifest,
    progress: &dyn Progress,
    exclude: &Exclude,
) -> Result<Catalog, LayerError> {
    let keep = CatalogKeep {
        exclude,
        oversize: RefCell::default(),
    };
    let fs = rootfs::read(store, manifest, &keep, progress)?;
    let mut out = Catalog::default();
    // Those still in the final filesystem, as the same file in a directory would be.
    for path in keep.oversize.into_inner() {
        if let Some(Placed {
            node: Node::File { size, .. },
            ..
        }) = fs.entries.get(&path)
            && *size > MAX_FILE_BYTES
        {
            out.warnings.push(too_large(&path));
        }
    }
    for (path, bytes) in &fs.kept {
        let head = bytes.get(..rootfs::HEAD_BYTES).unwrap_or(bytes);
        let Some(kind) = kind_for(path, head, bytes.len() as u64) else {
            continue;
        };
        let first = out.components.len();
        catalog_bytes(&mut out, Located { rel: path, at: path }, bytes, kind, &Kept(&fs));
        let layer = fs
            .entries
            .get(path)
            .and_then(|p| fs.diff_ids.get(p.layer))
            .copied();
        for c in out.components.iter_mut().skip(first) {
            c.evidence = std::mem::take(&mut c.evidence)
                .into_iter()
                .map(|mut e| {
                    if e.file == *path {
                        e.layer = layer;
                    }
                    e
                })
                .collect();
        }
    }
    Ok(out)
}
