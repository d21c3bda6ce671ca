//! Go binaries built before Go 1.18, whose build information points into the data segment: esbuild's
//! per-platform npm packages of 2020-2021, built by the Go toolchain of the day (1.14 to 1.17) and fetched
//! by `tests/harness/setup.sh`; ground truth from `go version -m` (the installed Go reads both formats).
//! Then hostile variations of a small pointer-format executable written here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::found;
use provenant_catalog::{binary, catalog};

/// (package directory under fixtures/go-legacy, binary inside it, what it is).
const FIXTURES: &[(&str, &str, &str)] = &[
    (
        "esbuild-linux-64-0.14.10",
        "package/bin/esbuild",
        "ELF 64-bit LE, go1.17.5",
    ),
    ("esbuild-linux-32-0.14.10", "package/bin/esbuild", "ELF 32-bit LE"),
    (
        "esbuild-linux-s390x-0.14.10",
        "package/bin/esbuild",
        "ELF 64-bit BE",
    ),
    (
        "esbuild-linux-arm64-0.14.10",
        "package/bin/esbuild",
        "ELF 64-bit LE arm64",
    ),
    (
        "esbuild-darwin-64-0.14.10",
        "package/bin/esbuild",
        "Mach-O 64-bit x86-64",
    ),
    (
        "esbuild-darwin-arm64-0.14.10",
        "package/bin/esbuild",
        "Mach-O 64-bit arm64",
    ),
    ("esbuild-windows-64-0.14.10", "package/esbuild.exe", "PE32+"),
    ("esbuild-windows-32-0.14.10", "package/esbuild.exe", "PE32"),
    (
        "esbuild-linux-64-0.8.57",
        "package/bin/esbuild",
        "ELF 64-bit LE, go1.16",
    ),
    (
        "esbuild-linux-64-0.5.26",
        "package/bin/esbuild",
        "ELF 64-bit LE, go1.14.2",
    ),
];

pub(crate) fn legacy_binary(dir: &str, bin: &str) -> PathBuf {
    provenant_testkit::require_fixture("go-legacy", &format!("{dir}/{bin}"))
}

/// What `go version -m` says a binary holds: `golang name version` lines (the dependencies after their
/// replacements, the main module (`(devel)` too), the standard library from the toolchain version) and
/// each module's `h1:` hash.
pub(crate) fn go_version_m(bin: &Path) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let go = provenant_testkit::require_on_path("go");
    let out = Command::new(go)
        .args(["version", "-m"])
        .arg(bin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let toolchain = lines.next().unwrap().rsplit_once(": ").unwrap().1;
    let release = toolchain.strip_prefix("go").unwrap();
    let mut modules: Vec<(String, String, String)> = Vec::new();
    let mut main = None;
    for line in lines {
        let f: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        let module = || {
            (
                f[1].to_owned(),
                f[2].to_owned(),
                f.get(3).copied().unwrap_or("").to_owned(),
            )
        };
        match f[0] {
            "mod" => main = Some(module()),
            "dep" => modules.push(module()),
            "=>" => *modules.last_mut().unwrap() = module(),
            _ => {}
        }
    }
    modules.extend(main);
    let mut set: BTreeSet<String> = modules
        .iter()
        .filter(|m| !m.1.is_empty())
        .map(|(p, v, _)| format!("golang {p} {v}"))
        .collect();
    set.insert(format!("golang stdlib {release}"));
    let sums = modules.into_iter().map(|(p, _, s)| (p, s)).collect();
    (set, sums)
}

/// The SHA-256 hex of an `h1:` hash.
fn h1_hex(h1: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(h1.strip_prefix("h1:").unwrap())
        .unwrap();
    provenant_sbom::HashValue::from_bytes(provenant_sbom::HashAlg::Sha256, &bytes)
        .unwrap()
        .hex()
        .to_owned()
}

#[test]
fn every_fixture_equals_go_version_m() {
    for (dir, bin, what) in FIXTURES {
        let path = legacy_binary(dir, bin);
        let bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(14).position(|w| w == b"\xff Go buildinf:").unwrap();
        assert_eq!(bytes[at + 15] & 2, 0, "{dir} is in the pointer format");
        let (expected, sums) = go_version_m(&path);
        let comps = binary::parse(bin, &bytes).unwrap_or_else(|w| panic!("{dir} ({what}): {w}"));
        assert_eq!(found(&comps), expected, "{dir} ({what})");
        assert!(comps.iter().any(|c| c.name == "stdlib"), "{dir}");
        for c in &comps {
            assert_eq!(c.evidence.iter().next().unwrap().method, binary::METHOD_GO);
            if c.name == "stdlib" {
                assert_eq!(c.license.as_deref(), Some("BSD-3-Clause"));
                assert!(c.hashes.is_empty());
            } else if c.version == binary::GO_DEVEL {
                // A main module built in a work tree has no sum.
                assert!(c.hashes.is_empty(), "{dir}: {}", c.name);
            } else {
                assert_eq!(
                    c.hashes.iter().next().unwrap().hex(),
                    h1_hex(&sums[&c.name]),
                    "{dir}: {}",
                    c.name
                );
            }
        }
    }
}

#[test]
fn the_windows_and_linux_builds_differ_as_go_says() {
    // golang.org/x/sys is linked into the Unix builds only: a module list really read, not assumed.
    let linux = go_version_m(&legacy_binary("esbuild-linux-64-0.14.10", "package/bin/esbuild")).0;
    let windows = go_version_m(&legacy_binary(
        "esbuild-windows-64-0.14.10",
        "package/esbuild.exe",
    ))
    .0;
    assert_eq!(
        linux.difference(&windows).collect::<Vec<_>>(),
        ["golang golang.org/x/sys v0.0.0-20210908233432-aa78b53d3365"]
    );
    let exe = legacy_binary("esbuild-windows-64-0.14.10", "package/esbuild.exe");
    let comps = binary::parse("esbuild.exe", &std::fs::read(exe).unwrap()).unwrap();
    assert_eq!(found(&comps), windows);
}

#[test]
fn a_directory_walk_finds_them_and_a_universal_binary_is_read() {
    // The unpacked npm packages, as a directory target (the Windows packages' `bin/esbuild` is a script).
    let tmp = tempfile::tempdir().unwrap();
    for (dir, bin) in [
        ("esbuild-linux-s390x-0.14.10", "package/bin/esbuild"),
        ("esbuild-windows-32-0.14.10", "package/esbuild.exe"),
    ] {
        let to = tmp.path().join(dir);
        std::fs::create_dir_all(&to).unwrap();
        std::fs::copy(
            legacy_binary(dir, bin),
            to.join(Path::new(bin).file_name().unwrap()),
        )
        .unwrap();
    }
    let c = catalog(tmp.path()).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(
        c.files,
        [
            "esbuild-linux-s390x-0.14.10/esbuild",
            "esbuild-windows-32-0.14.10/esbuild.exe"
        ]
    );
    let (s390x, _) = go_version_m(&legacy_binary(
        "esbuild-linux-s390x-0.14.10",
        "package/bin/esbuild",
    ));
    let (win32, _) = go_version_m(&legacy_binary(
        "esbuild-windows-32-0.14.10",
        "package/esbuild.exe",
    ));
    assert_eq!(found(&c.components), &s390x | &win32);

    // `lipo -create` of the two macOS builds: a universal header, each slice at a 16 KiB boundary.
    let slices = ["esbuild-darwin-64-0.14.10", "esbuild-darwin-arm64-0.14.10"]
        .map(|d| std::fs::read(legacy_binary(d, "package/bin/esbuild")).unwrap());
    let mut fat = Vec::new();
    fat.extend_from_slice(&0xcafe_babe_u32.to_be_bytes());
    fat.extend_from_slice(&2u32.to_be_bytes());
    let mut offset = 0x4000usize;
    let mut layout = Vec::new();
    for (slice, cpu) in slices.iter().zip([0x0100_0007u32, 0x0100_000c]) {
        fat.extend_from_slice(&cpu.to_be_bytes());
        fat.extend_from_slice(&3u32.to_be_bytes());
        fat.extend_from_slice(&u32::try_from(offset).unwrap().to_be_bytes());
        fat.extend_from_slice(&u32::try_from(slice.len()).unwrap().to_be_bytes());
        fat.extend_from_slice(&14u32.to_be_bytes());
        layout.push(offset);
        offset = (offset + slice.len()).next_multiple_of(0x4000);
    }
    for (slice, at) in slices.iter().zip(layout) {
        fat.resize(at, 0);
        fat.extend_from_slice(slice);
    }
    let comps = binary::parse("esbuild", &fat).unwrap();
    let (darwin, _) = go_version_m(&legacy_binary("esbuild-darwin-64-0.14.10", "package/bin/esbuild"));
    assert_eq!(found(&comps), darwin);
}

/// A small executable carrying pointer-format build information, laid out as Go's linker does: one
/// writable loadable segment whose first bytes are the 32-byte header, then the two string headers,
/// then the strings. Every field is a parameter a test can spoil.
struct Legacy {
    wide: bool,
    big: bool,
    ptr_size: u8,
    version: Vec<u8>,
    modinfo: Vec<u8>,
    /// Overrides of (version header address, modinfo header address, modinfo length).
    version_at: Option<u64>,
    modinfo_at: Option<u64>,
    modinfo_len: Option<u64>,
}

const BASE: u64 = 0x0040_0000;
const BLOB: usize = 0x100;

impl Legacy {
    fn new(wide: bool, big: bool) -> Legacy {
        let mut modinfo = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6".to_vec();
        modinfo.extend_from_slice(
            b"path\texample.com/tool\nmod\texample.com/tool\tv0.4.1\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\
              dep\texample.com/lib\tv1.0.0\th1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\
              =>\texample.com/fork\tv1.0.1\th1:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n\
              dep\texample.com/local\tv0.0.0\n=>\t../local\t\t\n",
        );
        modinfo.extend_from_slice(b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2");
        Legacy {
            wide,
            big,
            ptr_size: if wide { 8 } else { 4 },
            version: b"go1.16.15".to_vec(),
            modinfo,
            version_at: None,
            modinfo_at: None,
            modinfo_len: None,
        }
    }

    fn int(&self, out: &mut Vec<u8>, v: u64, len: usize) {
        let b = v.to_be_bytes();
        let mut field = b[8 - len..].to_vec();
        if !self.big {
            field.reverse();
        }
        out.extend_from_slice(&field);
    }

    /// The build information blob and the strings it points at, starting at file offset `BLOB`.
    fn blob(&self) -> Vec<u8> {
        // String headers at +32 and +48, version at +64, modinfo at +96.
        let p = usize::from(self.ptr_size).clamp(4, 8);
        let addr = |off: usize| BASE + off as u64;
        let mut blob = b"\xff Go buildinf:".to_vec();
        blob.push(self.ptr_size);
        blob.push(u8::from(self.big));
        self.int(&mut blob, self.version_at.unwrap_or(addr(BLOB + 32)), p);
        self.int(&mut blob, self.modinfo_at.unwrap_or(addr(BLOB + 48)), p);
        blob.resize(32, 0);
        self.int(&mut blob, addr(BLOB + 64), p);
        self.int(&mut blob, self.version.len() as u64, p);
        blob.resize(48, 0);
        self.int(&mut blob, addr(BLOB + 96), p);
        let modinfo_len = self.modinfo_len.unwrap_or(self.modinfo.len() as u64);
        self.int(&mut blob, modinfo_len, p);
        blob.resize(64, 0);
        blob.extend_from_slice(&self.version);
        blob.resize(96, 0);
        blob.extend_from_slice(&self.modinfo);
        blob
    }

    /// An ELF file with one read-write `PT_LOAD` segment mapping the whole file at `BASE`.
    fn bytes(&self) -> Vec<u8> {
        let blob = self.blob();
        let size = (BLOB + blob.len()) as u64;
        let (w, ph): (usize, u64) = if self.wide { (8, 56) } else { (4, 32) };
        let mut out = b"\x7fELF".to_vec();
        out.extend_from_slice(&[if self.wide { 2 } else { 1 }, if self.big { 2 } else { 1 }, 1]);
        out.resize(16, 0);
        self.int(&mut out, 2, 2); // ET_EXEC
        self.int(&mut out, 0, 2);
        self.int(&mut out, 1, 4);
        self.int(&mut out, 0, w); // entry
        let header = if self.wide { 64 } else { 52 };
        self.int(&mut out, header as u64, w); // e_phoff
        self.int(&mut out, 0, w); // e_shoff
        self.int(&mut out, 0, 4);
        self.int(&mut out, header as u64, 2);
        self.int(&mut out, ph, 2);
        self.int(&mut out, 1, 2); // one program header
        self.int(&mut out, 0, 2);
        self.int(&mut out, 0, 2);
        self.int(&mut out, 0, 2);
        assert_eq!(out.len(), header);
        if self.wide {
            for (v, len) in [
                (1, 4),
                (6, 4),
                (0, 8),
                (BASE, 8),
                (BASE, 8),
                (size, 8),
                (size, 8),
                (0x1000, 8),
            ] {
                self.int(&mut out, v, len);
            }
        } else {
            for v in [1, 0, BASE, BASE, size, size, 6, 0x1000] {
                self.int(&mut out, v, 4);
            }
        }
        out.resize(BLOB, 0);
        out.extend_from_slice(&blob);
        out
    }

    /// A Mach-O file with one read-write `__DATA` segment mapping the whole file at `BASE`, after an
    /// empty `__PAGEZERO` at address 0.
    fn macho(&self) -> Vec<u8> {
        let blob = self.blob();
        let size = (BLOB + blob.len()) as u64;
        let (w, cmd, cmdsize): (usize, u64, u64) = if self.wide { (8, 0x19, 72) } else { (4, 0x1, 56) };
        let mut out = Vec::new();
        self.int(&mut out, if self.wide { 0xfeed_facf } else { 0xfeed_face }, 4);
        for v in [7, 3, 2, 2, 2 * cmdsize, 0] {
            self.int(&mut out, v, 4); // cputype, subtype, MH_EXECUTE, two commands, their size, flags
        }
        if self.wide {
            self.int(&mut out, 0, 4);
        }
        for (name, addr, filesize, prot) in [(&b"__PAGEZERO"[..], 0, 0, 0), (b"__DATA", BASE, size, 3)] {
            self.int(&mut out, cmd, 4);
            self.int(&mut out, cmdsize, 4);
            let mut segname = name.to_vec();
            segname.resize(16, 0);
            out.extend_from_slice(&segname);
            for v in [addr, size.next_multiple_of(0x1000), 0, filesize] {
                self.int(&mut out, v, w);
            }
            for v in [prot, prot, 0, 0] {
                self.int(&mut out, v, 4); // maxprot, initprot, no sections, flags
            }
        }
        out.resize(BLOB, 0);
        out.extend_from_slice(&blob);
        out
    }
}

fn purls(bytes: &[u8]) -> BTreeSet<String> {
    binary::parse("tool", bytes)
        .unwrap()
        .iter()
        .map(|c| c.purl.as_str().to_owned())
        .collect()
}

#[test]
fn the_synthetic_executable_reads_in_every_word_size_and_byte_order() {
    let want = BTreeSet::from(
        [
            "pkg:golang/example.com/fork@v1.0.1",
            "pkg:golang/example.com/tool@v0.4.1",
            "pkg:golang/stdlib@1.16.15",
        ]
        .map(str::to_owned),
    );
    for (wide, big) in [(true, false), (true, true), (false, false), (false, true)] {
        let legacy = Legacy::new(wide, big);
        assert_eq!(purls(&legacy.bytes()), want, "ELF wide {wide} big {big}");
        assert_eq!(purls(&legacy.macho()), want, "Mach-O wide {wide} big {big}");
    }
    // Module information without its sentinels is no module information (as Go reads it).
    let mut bare = Legacy::new(true, false);
    bare.modinfo = b"dep\texample.com/lib\tv1.0.0\n".to_vec();
    assert_eq!(
        purls(&bare.bytes()),
        BTreeSet::from(["pkg:golang/stdlib@1.16.15".to_owned()])
    );
    // A build outside module mode records an empty string: the standard library only.
    bare.modinfo.clear();
    assert_eq!(
        purls(&bare.bytes()),
        BTreeSet::from(["pkg:golang/stdlib@1.16.15".to_owned()])
    );
}

fn warning(bytes: &[u8]) -> String {
    binary::parse("tool", bytes).unwrap_err().to_string()
}

#[test]
fn hostile_pointer_format_gives_a_warning_never_a_panic() {
    for (wide, big) in [(true, false), (false, true)] {
        let good = Legacy::new(wide, big);
        let len = good.bytes().len() as u64;

        let mut beyond = Legacy::new(wide, big);
        beyond.modinfo_at = Some(BASE + len + 0x1000);
        for bytes in [beyond.bytes(), beyond.macho()] {
            let w = warning(&bytes);
            assert!(
                w.contains("module information has its string header at") && w.contains("outside"),
                "{w}"
            );
        }

        let mut unmapped = Legacy::new(wide, big);
        unmapped.version_at = Some(8);
        assert!(
            warning(&unmapped.bytes()).contains("toolchain version"),
            "an address below the segment"
        );

        let mut huge = Legacy::new(wide, big);
        huge.modinfo_len = Some(if wide { u64::MAX } else { u64::from(u32::MAX) });
        let w = warning(&huge.bytes());
        assert!(w.contains("claims") && w.contains("more than the"), "{w}");

        let mut past_end = Legacy::new(wide, big);
        past_end.modinfo_len = Some(good.modinfo.len() as u64 + 1);
        assert!(warning(&past_end.bytes()).contains("is outside the file's mapped data"));

        for size in [0u8, 2, 5, 16, 255] {
            let mut odd = Legacy::new(wide, big);
            odd.ptr_size = size;
            let w = warning(&odd.bytes());
            assert!(w.contains(&format!("pointer size of {size} bytes")), "{w}");
        }

        let bytes = good.bytes();
        let w = warning(&bytes[..BLOB + 20]);
        assert!(w.contains("header has 20 of 32 bytes"), "{w}");
        for bytes in [bytes, good.macho()] {
            // Every truncation: components or a warning, never a panic.
            for cut in 0..bytes.len() {
                let _ = binary::parse("tool", &bytes[..cut]);
            }
            // Every single-byte corruption of the container's headers, the build information's header
            // and its string headers.
            for at in (0..BLOB).step_by(3).chain(BLOB..BLOB + 64) {
                for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                    let mut b = bytes.clone();
                    b[at] = v;
                    let _ = binary::parse("tool", &b);
                }
            }
        }
    }
}

#[test]
fn hostile_real_binaries_never_panic() {
    let (dir, bin, _) = FIXTURES[0];
    let bytes = std::fs::read(legacy_binary(dir, bin)).unwrap();
    let at = bytes.windows(14).position(|w| w == b"\xff Go buildinf:").unwrap();
    // Pointers spoilt one byte at a time, and the program headers wiped: a warning or nothing.
    for i in 16..32 {
        let mut b = bytes.clone();
        b[at + i] ^= 0xa5;
        let _ = binary::parse(bin, &b);
    }
    // Without program headers, the sections map the addresses.
    let mut no_segments = bytes.clone();
    no_segments[0x38..0x3a].copy_from_slice(&[0, 0]);
    let (expected, _) = go_version_m(&legacy_binary(dir, bin));
    assert_eq!(found(&binary::parse(bin, &no_segments).unwrap()), expected);
    // Without sections either, the blob is still found (at a 16-byte boundary of the file) but no
    // address is mapped: a warning that says so.
    no_segments[0x28..0x30].copy_from_slice(&[0; 8]);
    let w = binary::parse(bin, &no_segments).unwrap_err();
    assert!(w.message.contains("outside the file's mapped data"), "{w}");
    // The Go 1.18+ format needs no address map: the same damage to such a binary loses nothing.
    let hello = std::fs::read(crate::support::fixture("go-bin").join("hello")).unwrap();
    let mut bare = hello.clone();
    bare[0x38..0x3a].copy_from_slice(&[0, 0]);
    bare[0x28..0x30].copy_from_slice(&[0; 8]);
    assert_eq!(
        found(&binary::parse("hello", &bare).unwrap()),
        found(&binary::parse("hello", &hello).unwrap())
    );
    // Cut just after the header: the strings are not there.
    assert!(binary::parse(bin, &bytes[..at + 32]).is_err());
}
