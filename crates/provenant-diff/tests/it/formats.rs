//! Each format, with archives made by the real tools, and hostile inputs.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use provenant_diff::{Comparison, Detail, Format, Hint, Kind, Options, compare_bytes, compare_paths, detect};

/// Runs `script` in `dir`. `SOURCE_DATE_EPOCH` is cleared: tools such as dpkg-deb clamp timestamps to it,
/// and these fixtures differ by their timestamps on purpose.
fn sh(dir: &Path, script: &str) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env_remove("SOURCE_DATE_EPOCH")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn compare_files(dir: &Path, a: &str, b: &str) -> Comparison {
    compare_paths(&dir.join(a), &dir.join(b), &Options::default()).unwrap()
}

fn has(c: &Comparison, kind: Kind, location_part: &str) -> bool {
    c.differences
        .iter()
        .any(|d| d.kind == kind && d.location.iter().any(|l| l.contains(location_part)))
}

const TAR: &str = "tar --format=gnu --owner=0 --group=0 --numeric-owner";

#[test]
fn tar_metadata_differences_are_named() {
    let d = tempfile::tempdir().unwrap();
    sh(
        d.path(),
        &format!(
            "mkdir s && echo hi > s/a && echo there > s/b && chmod 644 s/a s/b && touch -d @1000 s/a s/b && \
         {TAR} -cf one.tar -C s a b && \
         chmod 664 s/a && touch -d @2000 s/b && {TAR} -cf two.tar -C s a b && \
         {TAR} --mtime=@1000 -cf three.tar -C s b a && \
         tar --format=gnu --owner=7 --group=0 --numeric-owner --mtime=@1000 --mode=644 -cf four.tar -C s a b"
        ),
    );
    let c = compare_files(d.path(), "one.tar", "two.tar");
    assert_eq!(c.format, Format::Tar);
    assert!(has(&c, Kind::Permissions, "a"), "{c:#?}");
    assert!(has(&c, Kind::Timestamp, "b"), "{c:#?}");
    assert!(!has(&c, Kind::Content, "a"));
    let c = compare_files(d.path(), "one.tar", "three.tar");
    assert!(c.kinds().contains(&Kind::EntryOrder), "{c:#?}");
    let c = compare_files(d.path(), "one.tar", "four.tar");
    assert!(has(&c, Kind::Owner, "a"), "{c:#?}");
}

#[test]
fn gzip_header_time_and_nested_tar_content() {
    let d = tempfile::tempdir().unwrap();
    sh(
        d.path(),
        &format!(
            "mkdir s && printf 'line one\\nline two\\n' > s/f && {TAR} --mtime=@0 -cf x.tar -C s f && \
         gzip -c x.tar > one.tgz && touch -d @5000 x.tar && gzip -c x.tar > two.tgz && \
         printf 'line one\\nline 2\\n' > s/f && {TAR} --mtime=@0 -cf y.tar -C s f && gzip -n -c y.tar > three.tgz && gzip -n -c x.tar > four.tgz"
        ),
    );
    let c = compare_files(d.path(), "one.tgz", "two.tgz");
    assert_eq!(c.format, Format::Gzip);
    assert!(has(&c, Kind::Timestamp, "gzip header"), "{c:#?}");
    let c = compare_files(d.path(), "four.tgz", "three.tgz");
    let content = c
        .differences
        .iter()
        .find(|d| d.location.last().is_some_and(|l| l == "f"))
        .expect("member f differs");
    assert_eq!(content.kind, Kind::Content);
    match &content.detail {
        Some(Detail::Text { line, diff }) => {
            assert_eq!(*line, 2);
            assert!(diff.contains("-line two") && diff.contains("+line 2"), "{diff}");
        }
        other => panic!("expected a text diff, got {other:?}"),
    }
}

#[test]
fn zip_entries_times_and_order() {
    let d = tempfile::tempdir().unwrap();
    sh(
        d.path(),
        "echo a > a.txt && echo b > b.txt && touch -d '2020-01-01 00:00:00' a.txt b.txt && \
        zip -q -X one.zip a.txt b.txt && zip -q -X order.zip b.txt a.txt && \
        touch -d '2021-06-01 00:00:00' b.txt && zip -q -X two.zip a.txt b.txt",
    );
    let c = compare_files(d.path(), "one.zip", "two.zip");
    assert_eq!(c.format, Format::Zip);
    assert!(has(&c, Kind::Timestamp, "b.txt"), "{c:#?}");
    assert!(!has(&c, Kind::Timestamp, "a.txt"), "{c:#?}");
    let c = compare_files(d.path(), "one.zip", "order.zip");
    assert!(c.kinds().contains(&Kind::EntryOrder), "{c:#?}");
}

#[test]
fn ar_members_and_deb_like_nesting() {
    let d = tempfile::tempdir().unwrap();
    sh(
        d.path(),
        &format!(
            "echo 2.0 > debian-binary && mkdir s && echo payload > s/p && {TAR} --mtime=@0 -cf data.tar -C s p && gzip -n data.tar && \
         ar qcD one.deb debian-binary data.tar.gz && rm data.tar.gz && echo payl0ad > s/p && \
         {TAR} --mtime=@0 -cf data.tar -C s p && gzip -n data.tar && ar qcD two.deb debian-binary data.tar.gz"
        ),
    );
    let c = compare_files(d.path(), "one.deb", "two.deb");
    assert_eq!(c.format, Format::Ar);
    let deep = c
        .differences
        .iter()
        .find(|d| d.location.last().is_some_and(|l| l == "p"))
        .expect("p differs");
    assert_eq!(deep.location, ["data.tar.gz", "(decompressed)", "p"]);
}

#[test]
fn elf_sections_and_embedded_build_path() {
    let d = tempfile::tempdir().unwrap();
    sh(
        d.path(),
        "mkdir -p first/src second-longer/src && \
        printf '#include <stdio.h>\\nint main(void){puts(__FILE__);return 0;}\\n' > first/src/m.c && cp first/src/m.c second-longer/src/m.c && \
        cc -O2 -o one \"$PWD/first/src/m.c\" && cc -O2 -o two \"$PWD/second-longer/src/m.c\"",
    );
    let root = d.path().to_string_lossy().into_owned();
    let mut options = Options::default();
    options.hints.push(Hint {
        kind: Kind::EmbeddedPath,
        first: format!("{root}/first").into_bytes(),
        second: format!("{root}/second-longer").into_bytes(),
    });
    let c = compare_paths(&d.path().join("one"), &d.path().join("two"), &options).unwrap();
    assert_eq!(c.format, Format::Elf);
    assert!(has(&c, Kind::EmbeddedPath, ".rodata"), "{c:#?}");
    assert!(has(&c, Kind::Derived, ".note.gnu.build-id"), "{c:#?}");
    // Without the hint the same difference is plain content, at the same offset.
    let c = compare_files(d.path(), "one", "two");
    assert!(has(&c, Kind::Content, ".rodata"), "{c:#?}");
    let Some(Detail::Hexdump { first, second, .. }) = &c
        .differences
        .iter()
        .find(|d| has_loc(d, ".rodata"))
        .unwrap()
        .detail
    else {
        panic!("hexdump expected")
    };
    assert_ne!(first, second);
}

fn has_loc(d: &provenant_diff::Difference, part: &str) -> bool {
    d.location.iter().any(|l| l.contains(part))
}

#[test]
fn text_kinds() {
    let o = Options::default();
    let c = compare_bytes(b"a\nb\nc\n", b"c\na\nb\n", &o);
    assert_eq!(c.kinds(), [Kind::Order]);
    let c = compare_bytes(
        b"built at Sat Nov 28 18:00:01 UTC 2026\n",
        b"built at Sun Dec  5 10:11:12 UTC 2027\n",
        &o,
    );
    assert_eq!(c.kinds(), [Kind::Timestamp]);
    let c = compare_bytes(b"version 1\n", b"version 2\n", &o);
    assert_eq!(c.kinds(), [Kind::Content]);
    let mut o = Options::default();
    o.hints.push(Hint {
        kind: Kind::Hostname,
        first: b"alpha".to_vec(),
        second: b"beta-host".to_vec(),
    });
    let c = compare_bytes(b"built on alpha\n", b"built on beta-host\n", &o);
    assert_eq!(c.kinds(), [Kind::Hostname]);
}

#[test]
fn binary_timestamp_and_hexdump() {
    let mut a = vec![0u8; 64];
    let mut b = a.clone();
    a[20..24].copy_from_slice(&1_700_000_000u32.to_le_bytes());
    b[20..24].copy_from_slice(&1_750_000_000u32.to_le_bytes());
    let c = compare_bytes(&a, &b, &Options::default());
    assert_eq!(c.format, Format::Binary);
    assert_eq!(c.kinds(), [Kind::Timestamp]);
    match &c.differences[0].detail {
        Some(Detail::Hexdump { offset, first, .. }) => {
            assert_eq!(*offset, 20);
            assert!(first.starts_with("00000010: "), "{first}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn oci_layouts_are_followed_to_config_and_layers() {
    let d = tempfile::tempdir().unwrap();
    for (name, created, content) in [
        ("one", "2024-01-01T00:00:00Z", "v1"),
        ("two", "2025-01-01T00:00:00Z", "v2"),
    ] {
        let root = d.path().join(name);
        std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
        std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        sh(
            d.path(),
            &format!(
                "mkdir -p l-{name} && echo {content} > l-{name}/app && {TAR} --mtime=@0 -cf - -C l-{name} app | gzip -n > layer-{name}"
            ),
        );
        let layer = std::fs::read(d.path().join(format!("layer-{name}"))).unwrap();
        let put = |bytes: &[u8]| -> String {
            let out = Command::new("sha256sum")
                .arg("-")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            out.stdin.as_ref().unwrap().write_all(bytes).unwrap();
            let hex = String::from_utf8(out.wait_with_output().unwrap().stdout).unwrap()[..64].to_owned();
            std::fs::write(root.join("blobs/sha256").join(&hex), bytes).unwrap();
            format!("sha256:{hex}")
        };
        let layer_digest = put(&layer);
        let config = format!(
            r#"{{"created":"{created}","architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let config_digest = put(config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_digest}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        );
        let manifest_digest = put(manifest.as_bytes());
        std::fs::write(root.join("index.json"), format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{}}}]}}"#, manifest.len())).unwrap();
    }
    let c = compare_files(d.path(), "one", "two");
    assert_eq!(c.format, Format::OciLayout);
    assert!(has(&c, Kind::Timestamp, "config"), "{c:#?}");
    let app = c
        .differences
        .iter()
        .find(|d| d.location.last().is_some_and(|l| l == "app"))
        .expect("layer member app differs");
    assert_eq!(app.location[..2], ["manifest 0".to_owned(), "layer 0".to_owned()]);
    assert!(
        c.differences
            .iter()
            .filter(|d| d.location.last().is_some_and(|l| l.ends_with("/digest")))
            .all(|d| d.kind == Kind::Derived)
    );
}

#[test]
fn hostile_inputs_never_panic() {
    let d = tempfile::tempdir().unwrap();
    sh(
        d.path(),
        &format!(
            "echo x > f && {TAR} -cf t.tar f && gzip -c t.tar > t.tgz && zip -q z.zip f t.tar && ar qc a.ar f t.tar && cp /bin/true elf && xz -c t.tar > t.txz && zstd -q -c t.tar > t.tzst"
        ),
    );
    for name in ["t.tar", "t.tgz", "t.txz", "t.tzst", "z.zip", "a.ar", "elf"] {
        let good = std::fs::read(d.path().join(name)).unwrap();
        let fmt = detect(&good);
        assert_ne!(fmt, Format::Binary, "{name}");
        let step = (good.len() / 300).max(1);
        for cut in (0..good.len()).step_by(step) {
            let _ = compare_bytes(&good, &good[..cut], &Options::default());
            let mut flipped = good.clone();
            flipped[cut] ^= 0xff;
            let _ = compare_bytes(&good, &flipped, &Options::default());
            let mut big = good.clone();
            for b in big.iter_mut().skip(cut).take(8) {
                *b = 0xff;
            }
            let _ = compare_bytes(&big, &good, &Options::default());
        }
    }
}

#[test]
fn decompression_bomb_is_bounded() {
    let d = tempfile::tempdir().unwrap();
    sh(
        d.path(),
        "head -c 50000000 /dev/zero | gzip -c > a.gz && (head -c 50000000 /dev/zero; echo x) | gzip -c > b.gz",
    );
    let mut options = Options::default();
    options.limits.max_unpacked = 10_000_000;
    let c = compare_paths(&d.path().join("a.gz"), &d.path().join("b.gz"), &options).unwrap();
    assert!(c.truncated);
    assert!(c.notes.iter().any(|n| n.contains("budget")), "{:?}", c.notes);
}

#[test]
fn rust_binary_with_embedded_source_path() {
    let d = tempfile::tempdir().unwrap();
    let rustc = provenant_testkit_rustc();
    sh(
        d.path(),
        &format!(
            "mkdir -p a/src bb/src && \
         printf 'fn main() {{ let v: Vec<u8> = std::env::args().map(|a| a.len() as u8).collect(); println!(\"{{}}\", v[3]); }}\\n' > a/src/main.rs && \
         cp a/src/main.rs bb/src/main.rs && \
         (cd a && {rustc} -O -o ../one \"$PWD/src/main.rs\") && (cd bb && {rustc} -O -o ../two \"$PWD/src/main.rs\")"
        ),
    );
    let root = d.path().to_string_lossy().into_owned();
    let mut options = Options::default();
    options.hints.push(Hint {
        kind: Kind::EmbeddedPath,
        first: format!("{root}/a").into_bytes(),
        second: format!("{root}/bb").into_bytes(),
    });
    let c = compare_paths(&d.path().join("one"), &d.path().join("two"), &options).unwrap();
    assert_eq!(c.format, Format::Elf);
    assert!(c.notes.iter().any(|n| n.contains("Rust binary")), "{:?}", c.notes);
    assert!(c.kinds().contains(&Kind::EmbeddedPath), "{c:#?}");
    // The cause comes first, before code that merely moved and the build id.
    assert_eq!(c.differences[0].kind, Kind::EmbeddedPath, "{c:#?}");
}

fn provenant_testkit_rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned())
}

#[test]
fn debian_packages_with_xz_and_zstd_members() {
    let d = tempfile::tempdir().unwrap();
    for z in ["xz", "zstd"] {
        sh(
            d.path(),
            &format!(
                "rm -rf pkg && mkdir -p pkg/DEBIAN pkg/usr/share/demo && \
             printf 'Package: demo\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: t <t@example.invalid>\\nDescription: demo\\n' > pkg/DEBIAN/control && \
             echo data > pkg/usr/share/demo/file && touch -d @1000000000 pkg/usr/share/demo/file && \
             dpkg-deb --root-owner-group -Z{z} --build pkg one-{z}.deb >/dev/null && \
             touch -d @1100000000 pkg/usr/share/demo/file && \
             dpkg-deb --root-owner-group -Z{z} --build pkg two-{z}.deb >/dev/null"
            ),
        );
        let c = compare_files(d.path(), &format!("one-{z}.deb"), &format!("two-{z}.deb"));
        assert_eq!(c.format, Format::Ar, "{z}");
        let t = c
            .differences
            .iter()
            .find(|x| {
                x.kind == Kind::Timestamp
                    && x.location
                        .last()
                        .is_some_and(|l| l.ends_with("usr/share/demo/file"))
            })
            .unwrap_or_else(|| panic!("{z}: no timestamp on the packaged file: {c:#?}"));
        assert!(t.location[0].starts_with("data.tar."), "{z}: {:?}", t.location);
        assert_eq!(t.location[1], "(decompressed)");
    }
}
