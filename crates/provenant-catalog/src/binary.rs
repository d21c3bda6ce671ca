//! Executables (ELF, Windows PE, and Mach-O, thin or universal): the module list Go embeds in every binary
//! (the `\xff Go buildinf:` blob), and the dependency list `cargo auditable` embeds in Rust binaries (the
//! zlib-compressed JSON of the `.dep-v0` section). Nothing is executed; the bytes are read with every
//! offset checked.
//!
//! Go's blob is looked for where Go's own reader looks: 16-byte aligned in the first 64 KiB of its
//! section (`.go.buildinfo`, `__go_buildinfo`) or of the first writable data segment. Go 1.18 and later
//! write the toolchain version and the module information after its 32-byte header; earlier releases
//! write two pointers there (pointer size and byte order in the header), each the virtual address of a
//! Go string header (data pointer and length) in the data segment. Those addresses are translated into
//! file offsets through the ELF loadable segments (or allocated sections), the PE sections above the
//! image base, or the Mach-O segments; a pointer or length that leads outside the file's mapped bytes,
//! or a string longer than [`MAX_GO_VERSION`] or [`MAX_GO_MODINFO`], is a warning.
//!
//! A Go binary's dependencies (`dep` lines, with their `=>` replacements) are components with their `h1:`
//! hashes; its main module is one too, named as syft names it (see `go_main`), with the version the build
//! records, or the one its build settings state, or `(devel)`. The Go standard library it was built with is a component too, as syft reports
//! it: `pkg:golang/stdlib@1.22.5` from the recorded toolchain version (`go1.22.5`), licensed BSD-3-Clause
//! (the Go project's licence); a development toolchain (`devel go1.23-…`) names no release and gives none. The build information does not say which modules are direct. In a
//! cargo-auditable list, local packages are the target; the dependencies of the local packages are the
//! direct ones and the recorded edges are kept.

use std::collections::BTreeSet;
use std::io::Read as _;

use provenant_archive::{elf, macho, pe};
use provenant_sbom::{Component, Ecosystem, Purl, Scope};

use crate::exemap::AddressMap;
use crate::{Warning, evidence, golang};

/// Evidence method name for Go build information.
pub const METHOD_GO: &str = "go-binary-buildinfo";
/// Evidence method name for cargo-auditable data.
pub const METHOD_AUDITABLE: &str = "cargo-auditable";
/// Evidence method name for an ELF package note.
pub const METHOD_PACKAGE_NOTE: &str = "elf-package-note";

/// Largest `.note.package` section read (the notes distributions write are about 200 bytes).
pub const MAX_PACKAGE_NOTE: usize = 64 << 10;

/// The note type of systemd's ELF package metadata (`FDO_PACKAGING_METADATA`), owner `FDO`.
const FDO_PACKAGING_METADATA: u32 = 0xcafe_1a7e;

/// Upper bound on the decompressed cargo-auditable JSON (its own tools cap it at 8 MiB).
pub const MAX_AUDIT_JSON: u64 = 8 << 20;

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// The executable formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exe {
    Elf,
    Pe,
    MachO,
    /// A universal (fat) Mach-O file: several Mach-O files, one per architecture.
    MachOFat,
}

fn exe_kind(bytes: &[u8]) -> Option<Exe> {
    let magic = bytes.get(..4)?;
    if magic == elf::MAGIC {
        Some(Exe::Elf)
    } else if magic.starts_with(b"MZ") {
        Some(Exe::Pe)
    } else if macho::is_thin(bytes) {
        Some(Exe::MachO)
    } else {
        // A Java class file starts with the same magic number as a universal binary, followed by its
        // version (45 or more) where the universal binary has its architecture count.
        macho::Universal::read(bytes).is_ok().then_some(Exe::MachOFat)
    }
}

/// Whether an executable may record how it was built: it contains Go's build information marker or the
/// name of cargo-auditable's section. A quick scan; [`parse`] decides.
#[must_use]
pub fn may_record_build(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, GO_MAGIC).is_some()
        || memchr::memmem::find(bytes, b".dep-v0").is_some()
        || memchr::memmem::find(bytes, b".note.package").is_some()
}

/// Whether `head` (at least the first 8 bytes of a file) begins like an ELF, PE or Mach-O executable.
#[must_use]
pub fn is_executable(head: &[u8]) -> bool {
    exe_kind(head).is_some()
}

/// The components an executable (ELF, PE or Mach-O) records about its own build. A binary that records
/// nothing (most C programs) gives none, without a warning.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Component>, Warning> {
    let Some(kind) = exe_kind(bytes) else {
        return Err(Warning::new(file, None, "not an ELF, PE or Mach-O executable"));
    };
    let mut out = go_buildinfo(file, kind, bytes)?;
    let section = match kind {
        Exe::Elf => elf_section(bytes, ".dep-v0"),
        Exe::Pe => pe_section(bytes, ".dep-v0"),
        Exe::MachO => macho_section(bytes, ".dep-v0"),
        Exe::MachOFat => macho::Universal::read(bytes)
            .ok()
            .and_then(|u| u.images().find_map(|image| macho_section(image, ".dep-v0"))),
    };
    if let Some(data) = section {
        out.extend(auditable(file, data)?);
    }
    if kind == Exe::Elf
        && let Some(notes) = elf_section(bytes, ".note.package")
    {
        out.extend(package_note(file, bytes, notes)?);
    }
    Ok(out)
}

/// The package an ELF package note names (systemd's "ELF package metadata" specification: a note of owner
/// `FDO` and type `0xcafe1a7e` in `.note.package` whose descriptor is a JSON object with `type`, `name`,
/// `version`, `architecture`, `os`, `osCpe`, ...). A binary copied out of its package (into a distroless
/// image) keeps this identity. `deb` and `rpm` packages become `pkg:deb`/`pkg:rpm` components named as the
/// package database names them (namespace the `os`, lower-cased; `arch` qualifier); other types are
/// components of that package URL type. A note that is not valid is a warning.
fn package_note(file: &str, image: &[u8], notes: &[u8]) -> Result<Vec<Component>, Warning> {
    #[derive(serde::Deserialize)]
    struct Note {
        #[serde(rename = "type")]
        ty: String,
        name: String,
        version: Option<String>,
        architecture: Option<String>,
        os: Option<String>,
    }
    let bad = |why: &str| Warning::new(file, None, format!("unreadable ELF package note: {why}"));
    if notes.len() > MAX_PACKAGE_NOTE {
        return Err(bad(&format!("larger than {MAX_PACKAGE_NOTE} bytes")));
    }
    let mut out = Vec::new();
    for raw in elf::notes(notes, image.get(5) == Some(&1)) {
        let raw = raw.map_err(|e| bad(&e.to_string()))?;
        if raw.name != b"FDO\0" || raw.kind != FDO_PACKAGING_METADATA {
            continue;
        }
        let json = raw.desc.split(|b| *b == 0).next().unwrap_or_default();
        let note: Note = serde_json::from_slice(json).map_err(|e| bad(&format!("not its JSON: {e}")))?;
        let version = note.version.unwrap_or_default();
        let qualifiers: Vec<(&str, &str)> = note
            .architecture
            .as_deref()
            .map(|a| ("arch", a))
            .into_iter()
            .collect();
        let ecosystem = match note.ty.as_str() {
            "deb" => Ecosystem::Deb,
            "rpm" => Ecosystem::Rpm,
            _ => Ecosystem::Other,
        };
        let ty = note.ty.to_ascii_lowercase();
        let namespace = note.os.map(|o| o.to_ascii_lowercase());
        let purl = Purl::build(&ty, namespace.as_deref(), &note.name, Some(&version), &qualifiers)
            .map_err(|e| bad(&e.to_string()))?;
        let mut c = Component::with_purl(ecosystem, &note.name, &version, purl);
        c.evidence.insert(evidence(file, METHOD_PACKAGE_NOTE));
        out.push(c);
    }
    Ok(out)
}

/// The contents of the PE section called `name` (names of up to 8 bytes, as `.dep-v0` is).
fn pe_section<'a>(bytes: &'a [u8], name: &str) -> Option<&'a [u8]> {
    pe::Image::read(bytes).ok()?.find(name)
}

/// The data of the Mach-O section called `name` (in any segment), in a thin little-endian Mach-O file.
fn macho_section<'a>(bytes: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let image = macho::Image::read(bytes).ok()?;
    // Big-endian Mach-O (old PowerPC builds) carries neither Go 1.18+ nor cargo-auditable data.
    if image.is_big_endian() {
        return None;
    }
    image.find(name)
}

/// The contents of the ELF section called `name`, if the file has one and its bounds are inside the file.
fn elf_section<'a>(bytes: &'a [u8], name: &str) -> Option<&'a [u8]> {
    elf::Table::read(bytes).ok()?.find(name)
}

/// A Go `uvarint`-prefixed string at the start of `b`, and the rest.
fn varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut used = 0;
    for (i, byte) in b.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            used = i + 1;
            break;
        }
    }
    if used == 0 {
        return None;
    }
    let len = usize::try_from(len).ok()?;
    let rest = b.get(used..)?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

/// The size of Go's build information header (magic, pointer size, flags, two pointers or padding).
const GO_HEADER: usize = 32;
/// The alignment of that header in the data.
const GO_ALIGN: usize = 16;
/// How far from the start of the data the build information is looked for, as Go's own reader does.
const GO_SEARCH: u64 = 64 << 10;
/// Most bytes of a toolchain version string read (`go1.17.5`, `devel go1.23-abc +0000`).
pub const MAX_GO_VERSION: u64 = 4 << 10;
/// Most bytes of module information read (a few hundred dependencies take tens of kilobytes).
pub const MAX_GO_MODINFO: u64 = 8 << 20;

/// The components recorded by Go's build information, in a thin executable or in the first architecture
/// of a universal binary that has it.
fn go_buildinfo(file: &str, kind: Exe, bytes: &[u8]) -> Result<Vec<Component>, Warning> {
    let images: Vec<&[u8]> = if kind == Exe::MachOFat {
        macho::Universal::read(bytes)
            .map(|u| u.images().collect())
            .unwrap_or_default()
    } else {
        vec![bytes]
    };
    for image in images {
        let map = match kind {
            Exe::Elf => AddressMap::elf(image),
            Exe::Pe => AddressMap::pe(image),
            Exe::MachO | Exe::MachOFat => AddressMap::macho(image),
        };
        if let Some(blob) = locate_go(map.as_ref(), image) {
            let (version, modinfo) = decode_go(file, blob, map.as_ref())?;
            return go_components(file, version, modinfo);
        }
    }
    Ok(Vec::new())
}

/// The first copy of the magic at a 16-byte boundary of `data`.
fn aligned_magic(data: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(data, GO_MAGIC).find(|at| at % GO_ALIGN == 0)
}

/// The build information blob (its header and what follows it in the file): looked for in the first
/// 64 KiB of the data where Go's linker puts it (its own section, else the first writable data), as
/// Go's reader does; when the headers do not say where that is, or it is not there, the first copy of
/// the magic at a 16-byte boundary of the file (the blob is 16-byte aligned, and so is its file offset
/// in every format read).
fn locate_go<'a>(map: Option<&AddressMap<'a>>, bytes: &'a [u8]) -> Option<&'a [u8]> {
    let structured = map.and_then(|m| {
        let start = m.data_start()?;
        let at = aligned_magic(m.read_up_to(start, GO_SEARCH)?)?;
        m.read_up_to(start.checked_add(u64::try_from(at).ok()?)?, u64::MAX)
    });
    structured.or_else(|| bytes.get(aligned_magic(bytes)?..))
}

/// The toolchain version and the module information (without its sentinels) of a build information
/// blob, in either format: Go 1.18 and later write both strings after the header; earlier releases
/// write two pointers to the runtime's string variables, read through the executable's address map.
fn decode_go<'a>(
    file: &str,
    blob: &'a [u8],
    map: Option<&AddressMap<'a>>,
) -> Result<(&'a [u8], &'a [u8]), Warning> {
    let warn = |m: String| Warning::new(file, None, m);
    let header = blob.get(..GO_HEADER).ok_or_else(|| {
        warn(format!(
            "truncated Go build information: its header has {} of {GO_HEADER} bytes",
            blob.len()
        ))
    })?;
    let (ptr_size, flags) = (header.get(14).copied(), header.get(15).copied());
    let (Some(ptr_size), Some(flags)) = (ptr_size, flags) else {
        return Err(warn("truncated Go build information".into()));
    };
    let (version, modinfo) = if flags & 2 != 0 {
        let bad = || warn("truncated Go build information".into());
        let data = blob.get(GO_HEADER..).ok_or_else(bad)?;
        let (version, rest) = varint_string(data).ok_or_else(bad)?;
        let (modinfo, _) = varint_string(rest).ok_or_else(bad)?;
        (version, modinfo)
    } else {
        let map = map.ok_or_else(|| {
            warn("Go build information in the pre-Go 1.18 pointer format, but the executable's segments cannot be read".into())
        })?;
        let width = match ptr_size {
            4 => 4,
            8 => 8,
            n => {
                return Err(warn(format!(
                    "Go build information (pre-Go 1.18 pointer format) has a pointer size of {n} bytes, not 4 or 8"
                )));
            }
        };
        let ptr = Pointers {
            map,
            width,
            big: flags != 0,
        };
        let version_at = ptr
            .word(header, 16)
            .ok_or_else(|| warn("truncated Go build information".into()))?;
        let modinfo_at = ptr
            .word(header, 16 + width)
            .ok_or_else(|| warn("truncated Go build information".into()))?;
        let version = ptr
            .string(version_at, MAX_GO_VERSION)
            .map_err(|e| warn(format!("the Go toolchain version {e}")))?;
        let modinfo = ptr
            .string(modinfo_at, MAX_GO_MODINFO)
            .map_err(|e| warn(format!("the Go module information {e}")))?;
        (version, modinfo)
    };
    // The module information is framed by two 16-byte sentinels, the first ending in a newline.
    let n = modinfo.len();
    let framed = n >= 33 && modinfo.get(n - 17) == Some(&b'\n');
    let modinfo = if framed {
        modinfo.get(16..n - 16).unwrap_or(&[])
    } else {
        &[]
    };
    Ok((version, modinfo))
}

/// Why a Go string could not be read; the text completes a sentence naming the string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum GoStringError {
    /// The header's address is not in the file.
    #[error("has its string header at {at:#x}, outside the file's mapped data")]
    HeaderUnmapped {
        /// The header's virtual address.
        at: u64,
    },
    /// The header is cut short.
    #[error("has a truncated string header at {at:#x}")]
    HeaderTruncated {
        /// The header's virtual address.
        at: u64,
    },
    /// The length is over the bound read.
    #[error("claims {len} bytes, more than the {max} read")]
    TooLong {
        /// The length claimed.
        len: u64,
        /// The bound.
        max: u64,
    },
    /// The bytes are not in the file.
    #[error("({len} bytes at {data:#x}) is outside the file's mapped data")]
    DataUnmapped {
        /// The length.
        len: u64,
        /// The data's virtual address.
        data: u64,
    },
}

/// Reads Go string headers (a data pointer and a length, each a pointer wide, in the binary's byte
/// order) and their bytes through an executable's address map.
struct Pointers<'m, 'a> {
    map: &'m AddressMap<'a>,
    width: usize,
    big: bool,
}

impl<'a> Pointers<'_, 'a> {
    fn word(&self, b: &[u8], at: usize) -> Option<u64> {
        let b = b.get(at..at.checked_add(self.width)?)?;
        let fold = |v: u64, byte: &u8| (v << 8) | u64::from(*byte);
        Some(if self.big {
            b.iter().fold(0, fold)
        } else {
            b.iter().rev().fold(0, fold)
        })
    }

    /// The Go string whose header is at virtual address `at`; the error completes a sentence.
    fn string(&self, at: u64, max: u64) -> Result<&'a [u8], GoStringError> {
        let width = self.width as u64;
        let header = self
            .map
            .read(at, 2 * width)
            .ok_or(GoStringError::HeaderUnmapped { at })?;
        let (Some(data), Some(len)) = (self.word(header, 0), self.word(header, self.width)) else {
            return Err(GoStringError::HeaderTruncated { at });
        };
        if len > max {
            return Err(GoStringError::TooLong { len, max });
        }
        if len == 0 {
            return Ok(&[]);
        }
        self.map
            .read(data, len)
            .ok_or(GoStringError::DataUnmapped { len, data })
    }
}

/// Components from a toolchain version and module information (`path`, `mod`, `dep`, `=>` and `build`
/// lines).
fn go_components(file: &str, go_version: &[u8], modinfo: &[u8]) -> Result<Vec<Component>, Warning> {
    let text = String::from_utf8_lossy(modinfo);
    // (path, version, sum, local replacement)
    let mut deps: Vec<(String, String, String, bool)> = Vec::new();
    let mut main: Option<(String, String, String)> = None;
    let mut package: Option<String> = None;
    let mut settings: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["path", path, ..] => package = Some((*path).to_owned()),
            ["build", setting, ..] => {
                if let Some((k, v)) = setting.split_once('=') {
                    settings.push((k.to_owned(), v.to_owned()));
                }
            }
            ["mod", path, version, rest @ ..] => {
                main = Some((
                    (*path).to_owned(),
                    (*version).to_owned(),
                    rest.first().copied().unwrap_or("").to_owned(),
                ));
            }
            ["dep", path, version, rest @ ..] => deps.push((
                (*path).to_owned(),
                (*version).to_owned(),
                rest.first().copied().unwrap_or("").to_owned(),
                false,
            )),
            ["=>", path, version, rest @ ..] => {
                if let Some(last) = deps.last_mut() {
                    if version.is_empty() {
                        last.3 = true; // replaced by a local directory
                    } else {
                        *last = (
                            (*path).to_owned(),
                            (*version).to_owned(),
                            rest.first().copied().unwrap_or("").to_owned(),
                            false,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (path, version, sum, local) in deps {
        if local {
            continue;
        }
        let mut c = Component::new(Ecosystem::Golang, &path, &version)
            .map_err(|e| Warning::new(file, None, e.to_string()))?;
        c.hashes.extend(golang::h1(&sum));
        c.evidence.insert(evidence(file, METHOD_GO));
        out.push(c);
    }
    if let Some(c) = go_main(file, main, package.as_deref(), &settings)? {
        out.push(c);
    }
    if let Some(version) = stdlib_version(&String::from_utf8_lossy(go_version)) {
        let mut c = Component::new(Ecosystem::Golang, "stdlib", &version)
            .map_err(|e| Warning::new(file, None, e.to_string()))?;
        c.license = provenant_sbom::parse_license("BSD-3-Clause").ok();
        c.evidence.insert(evidence(file, METHOD_GO));
        out.push(c);
    }
    Ok(out)
}

/// What Go records for a main module built from a work tree rather than a module version.
pub const GO_DEVEL: &str = "(devel)";

/// The main module of a Go binary, as syft names it: the `mod` line's module (a `go install m@v1.2.3`
/// build records its version, a build in a work tree `(devel)`); or, for a build outside module mode
/// (GOPATH, as Debian's packages are built), the main package's path, whose module part (the first three
/// segments) is the package URL's name and the rest its subpath. A `(devel)` version is replaced by what
/// the build settings state: a version the linker set (`-ldflags=-X <pkg>.version=v1.2.3`, any variable
/// named `version`), else the pseudo-version of `vcs.revision` at `vcs.time`.
fn go_main(
    file: &str,
    main: Option<(String, String, String)>,
    package: Option<&str>,
    settings: &[(String, String)],
) -> Result<Option<Component>, Warning> {
    let (path, version, sum, subpath) = match (main, package) {
        (Some((path, version, sum)), _) if !path.is_empty() => (path, version, sum, None),
        (_, Some(package)) if package.contains('.') && package.split('/').count() > 3 => {
            let mut parts = package.splitn(4, '/');
            let module = [parts.next(), parts.next(), parts.next()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/");
            (
                package.to_owned(),
                String::new(),
                String::new(),
                Some((module, parts.next().unwrap_or("").to_owned())),
            )
        }
        (_, Some(package)) if !package.is_empty() && package != "command-line-arguments" => {
            (package.to_owned(), String::new(), String::new(), None)
        }
        _ => return Ok(None),
    };
    let version = if version.is_empty() || version == GO_DEVEL {
        ldflags_version(settings)
            .or_else(|| pseudo_version(settings))
            .unwrap_or_else(|| GO_DEVEL.to_owned())
    } else {
        version
    };
    let invalid = |e: provenant_sbom::InvalidPurl| Warning::new(file, None, e.to_string());
    let mut c = match subpath {
        Some((module, sub)) => {
            let base =
                provenant_sbom::purl_for(Ecosystem::Golang, &module, &version, &[]).map_err(invalid)?;
            let purl: Purl = format!("{base}#{sub}").parse().map_err(invalid)?;
            Component::with_purl(Ecosystem::Golang, &path, &version, purl)
        }
        None => Component::new(Ecosystem::Golang, &path, &version).map_err(invalid)?,
    };
    c.hashes.extend(golang::h1(&sum));
    c.evidence.insert(evidence(file, METHOD_GO));
    Ok(Some(c))
}

/// The version a `-X` linker flag sets in a variable named `version` (any case, any package), when it
/// looks like one (`v1.2.3`, `2.42.0+ds`).
fn ldflags_version(settings: &[(String, String)]) -> Option<String> {
    let flags = &settings.iter().find(|(k, _)| k == "-ldflags")?.1;
    let mut words = flags.split_whitespace().map(|w| w.trim_matches(['\'', '"']));
    while let Some(w) = words.next() {
        let assignment = match w.strip_prefix("-X") {
            Some("") => words.next()?,
            Some(rest) => rest.trim_start_matches('='),
            None => continue,
        };
        let Some((var, value)) = assignment.split_once('=') else {
            continue;
        };
        let name = var.rsplit('.').next().unwrap_or(var);
        let digits = value.strip_prefix('v').unwrap_or(value);
        if name.eq_ignore_ascii_case("version")
            && digits.starts_with(|c: char| c.is_ascii_digit())
            && digits.contains('.')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~'))
        {
            return Some(value.to_owned());
        }
    }
    None
}

/// Go's pseudo-version of a commit (`v0.0.0-20240102030405-abcdef012345`) from `vcs.revision` and a UTC
/// `vcs.time`.
fn pseudo_version(settings: &[(String, String)]) -> Option<String> {
    let get = |k: &str| settings.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let revision = get("vcs.revision")?;
    let time = get("vcs.time")?;
    let stamp: String = time
        .strip_suffix('Z')?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let short = revision.get(..12)?;
    (stamp.len() == 14 && short.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("v0.0.0-{stamp}-{short}"))
}

/// The release of a Go toolchain version string (`go1.22.5`, `go1.21.0 X:loopvar`): `1.22.5`.
fn stdlib_version(go_version: &str) -> Option<String> {
    let release = go_version.split_whitespace().next()?.strip_prefix("go")?;
    let ok = release.starts_with(|c: char| c.is_ascii_digit())
        && release
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    ok.then(|| release.to_owned())
}

#[derive(serde::Deserialize)]
struct Audit {
    packages: Vec<AuditPackage>,
}

#[derive(serde::Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    dependencies: Vec<usize>,
}

fn auditable(file: &str, compressed: &[u8]) -> Result<Vec<Component>, Warning> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_AUDIT_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| Warning::new(file, None, format!("cargo-auditable data does not inflate: {e}")))?;
    if json.len() as u64 > MAX_AUDIT_JSON {
        return Err(Warning::new(
            file,
            None,
            format!("cargo-auditable data inflates beyond {MAX_AUDIT_JSON} bytes"),
        ));
    }
    let audit: Audit = serde_json::from_slice(&json)
        .map_err(|e| Warning::new(file, None, format!("cargo-auditable data is not its JSON: {e}")))?;
    let purls: Vec<Option<Purl>> = audit
        .packages
        .iter()
        .map(|p| {
            (p.source != "local")
                .then(|| provenant_sbom::purl_for(Ecosystem::Cargo, &p.name, &p.version, &[]).ok())
                .flatten()
        })
        .collect();
    let direct: BTreeSet<&Purl> = audit
        .packages
        .iter()
        .filter(|p| p.source == "local")
        .flat_map(|p| p.dependencies.iter().filter_map(|d| purls.get(*d)?.as_ref()))
        .collect();
    let mut out = Vec::new();
    for (p, purl) in audit.packages.iter().zip(&purls) {
        let Some(purl) = purl else { continue };
        let mut c = Component::with_purl(Ecosystem::Cargo, &p.name, &p.version, purl.clone());
        c.depends_on = p
            .dependencies
            .iter()
            .filter_map(|d| purls.get(*d)?.clone())
            .collect();
        c.scope = if direct.contains(purl) {
            Scope::Direct
        } else {
            Scope::Transitive
        };
        let how = if p.source == "git" {
            "cargo-auditable (git source)"
        } else {
            METHOD_AUDITABLE
        };
        c.evidence.insert(evidence(file, how));
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each Go string failure completes the warning's sentence, as the string messages did.
    #[test]
    fn go_string_errors_complete_a_sentence() {
        let cases = [
            (
                GoStringError::HeaderUnmapped { at: 0x10 },
                "has its string header at 0x10, outside the file's mapped data",
            ),
            (
                GoStringError::HeaderTruncated { at: 0x20 },
                "has a truncated string header at 0x20",
            ),
            (
                GoStringError::TooLong { len: 9, max: 8 },
                "claims 9 bytes, more than the 8 read",
            ),
            (
                GoStringError::DataUnmapped { len: 4, data: 0xff },
                "(4 bytes at 0xff) is outside the file's mapped data",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn go_binaries_lose_their_main_module_versions_from_build_settings() {
        let ld = settings(&[(
            "-ldflags",
            "-s -w -X github.com/prometheus/common/version.Revision=abc -X github.com/prometheus/common/version.Version=2.42.0+ds",
        )]);
        assert_eq!(ldflags_version(&ld).as_deref(), Some("2.42.0+ds"));
        let ld = settings(&[("-ldflags", "\"-X main.version=v1.5.0\"")]);
        assert_eq!(ldflags_version(&ld).as_deref(), Some("v1.5.0"));
        let not = settings(&[("-ldflags", "-X main.version=dev -X main.Commit=1.2.3")]);
        assert_eq!(ldflags_version(&not), None);
        let vcs = settings(&[
            ("vcs.revision", "0123456789abcdef0123456789abcdef01234567"),
            ("vcs.time", "2024-01-02T03:04:05Z"),
        ]);
        assert_eq!(
            pseudo_version(&vcs).as_deref(),
            Some("v0.0.0-20240102030405-0123456789ab")
        );
        let main = go_main(
            "f",
            Some(("example.com/m".into(), GO_DEVEL.into(), String::new())),
            Some("example.com/m/cmd/x"),
            &vcs,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            main.purl.as_str(),
            "pkg:golang/example.com/m@v0.0.0-20240102030405-0123456789ab"
        );
        let gopath = go_main("f", None, Some("github.com/o/r/cmd/x"), &ld)
            .unwrap()
            .unwrap();
        assert_eq!(gopath.name, "github.com/o/r/cmd/x");
        assert_eq!(gopath.purl.as_str(), "pkg:golang/github.com/o/r@v1.5.0#cmd/x");
        assert!(
            go_main("f", None, Some("command-line-arguments"), &ld)
                .unwrap()
                .is_none()
        );
    }
}
