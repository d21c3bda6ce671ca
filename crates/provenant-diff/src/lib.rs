//! Explains how two artefacts differ.
//!
//! Digests say *that* two builds differ; this crate says *where* and *why*. It reads both inputs natively
//! — gzip, xz, zstd, tar, zip/jar, ar/.deb, ELF (including Rust binaries), OCI image layouts, JSON and text —
//! descends into nested archives, and reports each [`Difference`] with a [`Kind`] (timestamp,
//! permissions, owner, entry order, embedded path, host name, content, ...), its location inside the
//! artefact, and evidence: both values, the first differing offset with a short hexdump, or a short
//! unified text diff.
//!
//! The inputs are hostile: every parser checks its bounds, nesting is limited by [`Limits::max_depth`],
//! decompression by a shared [`Limits::max_unpacked`] budget, entry counts by [`Limits::max_entries`].
//! A [`Hint`] tells the comparison what the caller varied on purpose (the build directory, the host
//! name), so that such a value found at the first difference names the cause.
//!
//! The crate reads only the two inputs it is given and writes nothing.
//!
//! ```
//! use provenant_diff::{Kind, Options, compare_bytes};
//!
//! let c = compare_bytes(b"built 2024-01-01 10:00:00\n", b"built 2025-02-03 11:22:33\n", &Options::default());
//! assert!(!c.identical);
//! assert_eq!(c.differences[0].kind, Kind::Timestamp);
//! ```
#![forbid(unsafe_code)]

mod archive;
mod elf;
mod leaf;
mod tree;

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Bounds on the work a comparison may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input file read, in bytes.
    pub max_input: u64,
    /// Bytes that may be decompressed in total, across all nested members.
    pub max_unpacked: u64,
    /// Most entries read from one archive or directory.
    pub max_entries: usize,
    /// Deepest nesting of archives descended into.
    pub max_depth: u32,
    /// Most differences reported.
    pub max_differences: usize,
    /// Largest text (per side) given a line diff.
    pub max_text: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input: 1 << 30,
            max_unpacked: 1 << 30,
            max_entries: 200_000,
            max_depth: 6,
            max_differences: 200,
            max_text: 4 << 20,
        }
    }
}

/// A value the caller varied on purpose, as it appears in the first and the second input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// What a difference at this value is called.
    pub kind: Kind,
    /// The value in the first input (for example the control build directory).
    pub first: Vec<u8>,
    /// The value in the second input.
    pub second: Vec<u8>,
}

/// How to compare.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Work bounds.
    pub limits: Limits,
    /// Values known to differ on purpose.
    pub hints: Vec<Hint>,
}

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Kind {
    /// A time stamp (an entry's modification time, a date written into the content, a gzip header time).
    Timestamp,
    /// Permission bits.
    Permissions,
    /// Owner or group (ids or names).
    Owner,
    /// The same archive entries in another order.
    EntryOrder,
    /// The same lines in another order (locale-dependent sorting, hash order).
    Order,
    /// A file-system path, such as the build directory, embedded in the content.
    EmbeddedPath,
    /// The host name embedded in the content.
    Hostname,
    /// The user name embedded in the content.
    User,
    /// A value computed from other content (a build id, a digest in a manifest): it follows them.
    Derived,
    /// An entry present in only one input.
    Missing,
    /// An entry of another type (file, directory, link) or link target.
    FileType,
    /// Content differs for no reason recognised.
    Content,
}

impl Kind {
    /// The name used in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Timestamp => "timestamp",
            Kind::Permissions => "permissions",
            Kind::Owner => "owner",
            Kind::EntryOrder => "entry-order",
            Kind::Order => "order",
            Kind::EmbeddedPath => "embedded-path",
            Kind::Hostname => "hostname",
            Kind::User => "user",
            Kind::Derived => "derived",
            Kind::Missing => "missing",
            Kind::FileType => "file-type",
            Kind::Content => "content",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Evidence for a difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Detail {
    /// Two values of a field.
    Values {
        /// In the first input.
        first: String,
        /// In the second input.
        second: String,
    },
    /// The first differing byte and the bytes around it.
    Hexdump {
        /// Offset of the first differing byte.
        offset: u64,
        /// Hexdump of the first input around it.
        first: String,
        /// Hexdump of the second input around it.
        second: String,
    },
    /// A unified diff of text lines (shortened).
    Text {
        /// Line number (1-based) of the first differing line.
        line: usize,
        /// The diff.
        diff: String,
    },
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// Where: nested names from the outside in (archive member, section, field).
    pub location: Vec<String>,
    /// What kind.
    pub kind: Kind,
    /// One sentence.
    pub message: String,
    /// Evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

/// What an input was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// gzip.
    Gzip,
    /// xz.
    Xz,
    /// Zstandard.
    Zstd,
    /// tar (ustar, GNU or pax).
    Tar,
    /// zip, jar, wheel.
    Zip,
    /// ar, including Debian packages.
    Ar,
    /// ELF object or executable.
    Elf,
    /// An OCI image layout directory.
    OciLayout,
    /// A directory.
    Directory,
    /// JSON.
    Json,
    /// UTF-8 text.
    Text,
    /// Anything else.
    Binary,
}

/// The result of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// The format of the first input.
    pub format: Format,
    /// True when the inputs are byte-identical (or, for directories, identical trees).
    pub identical: bool,
    /// The differences, outside in, in input order.
    pub differences: Vec<Difference>,
    /// True when a limit stopped the comparison before it was complete.
    pub truncated: bool,
    /// Remarks such as a member that could not be decompressed.
    pub notes: Vec<String>,
}

impl Comparison {
    /// The distinct kinds found, sorted.
    #[must_use]
    pub fn kinds(&self) -> Vec<Kind> {
        let mut k: Vec<Kind> = self.differences.iter().map(|d| d.kind).collect();
        k.sort_unstable();
        k.dedup();
        k
    }
}

/// Reading an input failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The input.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`Limits::max_input`].
    #[error("{path} is {size} bytes, more than the {limit} bytes a comparison reads")]
    TooLarge {
        /// The input.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// Shared state of one comparison.
pub(crate) struct Ctx<'o> {
    pub(crate) options: &'o Options,
    pub(crate) differences: Vec<Difference>,
    pub(crate) notes: Vec<String>,
    pub(crate) truncated: bool,
    pub(crate) unpack_budget: u64,
}

impl Ctx<'_> {
    pub(crate) fn full(&self) -> bool {
        self.differences.len() >= self.options.limits.max_differences
    }

    pub(crate) fn push(&mut self, location: &[String], kind: Kind, message: String, detail: Option<Detail>) {
        if self.full() {
            self.truncated = true;
            return;
        }
        self.differences.push(Difference {
            location: location.to_vec(),
            kind,
            message,
            detail,
        });
    }

    pub(crate) fn note(&mut self, location: &[String], note: &str) {
        if self.notes.len() < 100 {
            self.notes.push(format!("{}: {note}", show_location(location)));
        }
    }

    /// Decompresses at most the remaining budget; `None` (and a note) when the budget runs out.
    pub(crate) fn inflate<R: std::io::Read>(&mut self, location: &[String], reader: R) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        match reader
            .take(self.unpack_budget.saturating_add(1))
            .read_to_end(&mut out)
        {
            Ok(n) if (n as u64) <= self.unpack_budget => {
                self.unpack_budget -= n as u64;
                Some(out)
            }
            Ok(_) => {
                self.truncated = true;
                self.unpack_budget = 0;
                self.note(location, "decompression budget exhausted; not descended into");
                None
            }
            Err(e) => {
                self.note(location, &format!("cannot decompress: {e}"));
                None
            }
        }
    }
}

/// `a!b!c` for messages.
pub(crate) fn show_location(location: &[String]) -> String {
    if location.is_empty() {
        "(top)".to_owned()
    } else {
        location.join(" › ")
    }
}

pub(crate) fn child(location: &[String], name: impl Into<String>) -> Vec<String> {
    let mut l = location.to_vec();
    l.push(name.into());
    l
}

/// Recognises a format from the first bytes.
#[must_use]
pub fn detect(data: &[u8]) -> Format {
    if data.starts_with(&[0x1f, 0x8b]) {
        Format::Gzip
    } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Format::Xz
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Format::Zstd
    } else if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Format::Zip
    } else if data.starts_with(b"!<arch>\n") {
        Format::Ar
    } else if data.starts_with(b"\x7fELF") {
        Format::Elf
    } else if data.get(257..262) == Some(b"ustar") {
        Format::Tar
    } else if !data.contains(&0) && std::str::from_utf8(data).is_ok() {
        let t = data.trim_ascii_start();
        if (t.starts_with(b"{") || t.starts_with(b"["))
            && serde_json::from_slice::<serde_json::Value>(data).is_ok()
        {
            Format::Json
        } else {
            Format::Text
        }
    } else {
        Format::Binary
    }
}

/// Compares two byte strings, descending into the formats both share.
#[must_use]
pub fn compare_bytes(first: &[u8], second: &[u8], options: &Options) -> Comparison {
    let mut ctx = Ctx {
        options,
        differences: Vec::new(),
        notes: Vec::new(),
        truncated: false,
        unpack_budget: options.limits.max_unpacked,
    };
    compare_content(&mut ctx, &[], first, second, 0);
    Comparison {
        format: detect(first),
        identical: first == second,
        differences: ctx.differences,
        truncated: ctx.truncated,
        notes: ctx.notes,
    }
}

/// Compares two files or two directories (an OCI image layout when both are one).
pub fn compare_paths(first: &Path, second: &Path, options: &Options) -> Result<Comparison, DiffError> {
    let read = |p: &Path| -> Result<std::fs::Metadata, DiffError> {
        std::fs::metadata(p).map_err(|source| DiffError::Read {
            path: p.to_path_buf(),
            source,
        })
    };
    let (ma, mb) = (read(first)?, read(second)?);
    if ma.is_dir() && mb.is_dir() {
        let mut ctx = Ctx {
            options,
            differences: Vec::new(),
            notes: Vec::new(),
            truncated: false,
            unpack_budget: options.limits.max_unpacked,
        };
        let format = tree::compare_dirs(&mut ctx, first, second)?;
        return Ok(Comparison {
            format,
            identical: ctx.differences.is_empty(),
            differences: ctx.differences,
            truncated: ctx.truncated,
            notes: ctx.notes,
        });
    }
    let a = read_bounded(first, options.limits.max_input)?;
    let b = read_bounded(second, options.limits.max_input)?;
    Ok(compare_bytes(&a, &b, options))
}

pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, DiffError> {
    let file = std::fs::File::open(path).map_err(|source| DiffError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut data = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|source| DiffError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if data.len() as u64 > limit {
        return Err(DiffError::TooLarge {
            path: path.to_path_buf(),
            size: data.len() as u64,
            limit,
        });
    }
    Ok(data)
}

/// Compares two members' content at `location`, descending into a shared format.
pub(crate) fn compare_content(ctx: &mut Ctx<'_>, location: &[String], a: &[u8], b: &[u8], depth: u32) {
    if a == b || ctx.full() {
        return;
    }
    let (fa, fb) = (detect(a), detect(b));
    if fa == fb && depth < ctx.options.limits.max_depth {
        let before = ctx.differences.len();
        let handled = match fa {
            Format::Gzip => archive::gzip(ctx, location, a, b, depth),
            Format::Xz | Format::Zstd => archive::stream(ctx, location, a, b, depth, fa),
            Format::Tar => archive::tar(ctx, location, a, b, depth),
            Format::Zip => archive::zip(ctx, location, a, b, depth),
            Format::Ar => archive::ar(ctx, location, a, b, depth),
            Format::Elf => elf::compare(ctx, location, a, b, depth),
            Format::Json => tree::json(ctx, location, a, b),
            _ => false,
        };
        if handled && ctx.differences.len() > before {
            return;
        }
    } else if depth >= ctx.options.limits.max_depth {
        ctx.truncated = true;
        ctx.note(location, "nesting limit reached; compared as bytes");
    }
    leaf::bytes(ctx, location, a, b, None, true);
}
