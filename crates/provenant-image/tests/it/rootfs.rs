//! The final filesystem of multi-layer images: whiteouts, opaque directories, hard links, hostile paths,
//! diff id mismatches.

use std::io::Write as _;

use provenant_digest::{Algorithm, Digest, NoProgress};
use provenant_image::rootfs::{KeepNothing, LayerError, Node, read};
use provenant_oci::config::{ImageConfig, RootFs};
use provenant_oci::manifest::to_bytes;
use provenant_oci::{Descriptor, ImageManifest, media};
use provenant_registry::Store;
use provenant_registry::layout::Layout;

enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Link(&'a str, &'a str),
    Raw(&'a str),
}

fn tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match e {
            E::File(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, *data).unwrap();
            }
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, p, std::io::empty()).unwrap();
            }
            E::Link(p, target) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::Raw(p) => {
                // A name the tar crate would refuse to write through its path API.
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(0);
                let name = &mut h.as_old_mut().name;
                name[..p.len()].copy_from_slice(p.as_bytes());
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn put(store: &dyn Store, bytes: &[u8]) -> Digest {
    let d = Algorithm::Sha256.hash_bytes(bytes);
    store.put_blob(&d, bytes.len() as u64, &mut &bytes[..]).unwrap();
    d
}

/// An image of the given layers (each gzipped unless `plain`); `diff_ids` override the config's.
fn image(store: &Layout, layers: &[Vec<u8>], diff_ids: Option<Vec<Digest>>) -> ImageManifest {
    let mut descriptors = Vec::new();
    let mut ids = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        ids.push(Algorithm::Sha256.hash_bytes(l));
        let (bytes, media_type) = if i % 2 == 0 {
            (gzip(l), media::OCI_LAYER_GZIP)
        } else {
            (l.clone(), "application/vnd.oci.image.layer.v1.tar")
        };
        let d = put(store, &bytes);
        descriptors.push(Descriptor::new(media_type, d, bytes.len() as u64));
    }
    let config = ImageConfig {
        created: None,
        architecture: "amd64".to_owned(),
        os: "linux".to_owned(),
        variant: None,
        config: None,
        rootfs: RootFs {
            kind: "layers".to_owned(),
            diff_ids: diff_ids.unwrap_or(ids),
        },
        history: None,
    };
    let config_bytes = to_bytes(&config);
    let config_digest = put(store, &config_bytes);
    ImageManifest {
        schema_version: 2,
        media_type: Some(media::OCI_MANIFEST.to_owned()),
        artifact_type: None,
        config: Descriptor::new(media::OCI_CONFIG, config_digest, config_bytes.len() as u64),
        layers: descriptors,
        subject: None,
        annotations: None,
    }
}

fn file(fs: &provenant_image::rootfs::Filesystem, path: &str) -> Option<(Digest, usize)> {
    fs.files().find(|(p, _, _)| *p == path).map(|(_, d, l)| (*d, l))
}

#[test]
fn whiteouts_opaque_directories_and_hard_links_apply_in_layer_order() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let lower = tar(&[
        E::Dir("etc/"),
        E::File("etc/keep", b"keep"),
        E::File("etc/gone", b"gone"),
        E::Dir("var/cache/"),
        E::File("var/cache/a", b"a"),
        E::File("./bin/tool", b"tool v1"),
    ]);
    let upper = tar(&[
        E::File("etc/.wh.gone", b""),
        E::File("var/cache/.wh..wh..opq", b""),
        E::File("var/cache/b", b"b"),
        E::File("bin/tool", b"tool v2"),
        E::Link("bin/tool-link", "bin/tool"),
    ]);
    let m = image(&layout, &[lower, upper], None);
    let fs = read(&layout, &m, &KeepNothing, &NoProgress).unwrap();
    let h = |b: &[u8]| Algorithm::Sha256.hash_bytes(b);
    assert_eq!(file(&fs, "etc/keep"), Some((h(b"keep"), 0)));
    assert_eq!(file(&fs, "etc/gone"), None);
    assert_eq!(file(&fs, "var/cache/a"), None);
    assert_eq!(file(&fs, "var/cache/b"), Some((h(b"b"), 1)));
    assert_eq!(file(&fs, "bin/tool"), Some((h(b"tool v2"), 1)));
    assert_eq!(file(&fs, "bin/tool-link"), Some((h(b"tool v2"), 1)));
    assert_eq!(fs.entries.get("etc").map(|p| &p.node), Some(&Node::Directory));
    assert_eq!(fs.layers.len(), 2);
}

#[test]
fn a_path_escaping_the_root_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let m = image(&layout, &[tar(&[E::Raw("../../etc/passwd")])], None);
    match read(&layout, &m, &KeepNothing, &NoProgress) {
        Err(LayerError::UnsafePath { index: 0, path, .. }) => assert_eq!(path, "../../etc/passwd"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_diff_id_mismatch_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let wrong = Algorithm::Sha256.hash_bytes(b"not the layer");
    let m = image(&layout, &[tar(&[E::File("a", b"a")])], Some(vec![wrong]));
    match read(&layout, &m, &KeepNothing, &NoProgress) {
        Err(LayerError::DiffId {
            index: 0, expected, ..
        }) => assert_eq!(expected, wrong),
        other => panic!("{other:?}"),
    }
    let m = image(&layout, &[tar(&[E::File("a", b"a")])], Some(vec![]));
    assert!(matches!(
        read(&layout, &m, &KeepNothing, &NoProgress),
        Err(LayerError::DiffIdCount {
            diff_ids: 0,
            layers: 1
        })
    ));
}

#[test]
fn garbage_instead_of_a_layer_is_an_error_not_a_panic() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    // Not gzip at all, then gzip of something that is not a tar.
    for bytes in [b"definitely not gzip".to_vec(), gzip(&[0xff; 1024])] {
        let d = put(&layout, &bytes);
        let mut m = image(&layout, &[tar(&[E::File("a", b"a")])], None);
        m.layers[0] = Descriptor::new(media::OCI_LAYER_GZIP, d, bytes.len() as u64);
        assert!(read(&layout, &m, &KeepNothing, &NoProgress).is_err());
    }
}

/// Keeps the files under `etc/`.
struct KeepEtc;

impl provenant_image::rootfs::Keep for KeepEtc {
    fn keep(&self, path: &str, _: u64, _: &[u8]) -> bool {
        path.starts_with("etc/")
    }
}

#[test]
fn kept_content_follows_whiteouts_overwrites_and_hard_links() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let lower = tar(&[
        E::File("etc/keep", b"keep v1"),
        E::File("etc/gone", b"gone"),
        E::File("bin/tool", b"not kept"),
    ]);
    let upper = tar(&[
        E::File("etc/.wh.gone", b""),
        E::File("etc/keep", b"keep v2"),
        E::Link("etc/alias", "etc/keep"),
    ]);
    let m = image(&layout, &[lower, upper], None);
    let fs = read(&layout, &m, &KeepEtc, &NoProgress).unwrap();
    let kept: Vec<(&str, &[u8])> = fs.kept.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
    assert_eq!(
        kept,
        vec![("etc/alias", &b"keep v2"[..]), ("etc/keep", &b"keep v2"[..])]
    );
}

/// Keeps `etc/` and takes no file digests.
struct KeepEtcNoDigests;

impl provenant_image::rootfs::Keep for KeepEtcNoDigests {
    fn keep(&self, path: &str, _: u64, _: &[u8]) -> bool {
        path.starts_with("etc/")
    }

    fn digest_files(&self) -> bool {
        false
    }
}

#[test]
fn without_file_digests_content_is_kept_and_layers_are_still_verified() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    // Larger than the chunks handed between the inflating and the parsing threads.
    let big: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let layer = tar(&[E::File("etc/conf", b"conf"), E::File("usr/big", &big)]);
    let m = image(&layout, std::slice::from_ref(&layer), None);
    let fs = read(&layout, &m, &KeepEtcNoDigests, &NoProgress).unwrap();
    assert_eq!(fs.kept.get("etc/conf").map(Vec::as_slice), Some(&b"conf"[..]));
    assert_eq!(fs.files().count(), 0, "no digests were asked for");
    assert_eq!(
        fs.entries.get("usr/big").map(|p| &p.node),
        Some(&Node::File {
            digest: None,
            size: big.len() as u64
        })
    );
    let wrong = Algorithm::Sha256.hash_bytes(b"not the layer");
    let m = image(&layout, &[layer], Some(vec![wrong]));
    assert!(matches!(
        read(&layout, &m, &KeepEtcNoDigests, &NoProgress),
        Err(LayerError::DiffId { index: 0, .. })
    ));
}

#[test]
fn a_layer_blob_altered_in_storage_is_refused_naming_it() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let big: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_246_822_519) >> 24) as u8)
        .collect();
    let m = image(&layout, &[tar(&[E::File("a", &big)])], None);
    let layer = m.layers[0].digest;
    let path = t.path().join("blobs/sha256").join(layer.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    // The gzip trailer's size field: the stream still inflates, but the blob no longer matches.
    let at = bytes.len() - 1;
    bytes[at] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    for keep in [
        &KeepNothing as &dyn provenant_image::rootfs::Keep,
        &KeepEtcNoDigests,
    ] {
        match read(&layout, &m, keep, &NoProgress) {
            Err(e @ (LayerError::Archive { index: 0, .. } | LayerError::Store { index: 0, .. })) => {
                assert!(e.to_string().contains(&layer.to_string()), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}

/// `TOOL ARGS -q -c` over `input` on its standard input, by the reference implementation (`zstd`, GNU
/// `gzip`).
fn compress_cli(tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let tool = provenant_testkit::require_on_path(tool);
    let mut child = std::process::Command::new(tool)
        .args(args)
        .arg("-q")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn zstd_cli(args: &[&str], input: &[u8]) -> Vec<u8> {
    compress_cli("zstd", args, input)
}

/// The image of one zstd layer whose bytes are `compressed` and whose tar is `plain`.
fn zstd_image(store: &Layout, plain: &[u8], compressed: &[u8]) -> ImageManifest {
    layer_image(store, plain, compressed, media::OCI_LAYER_ZSTD)
}

/// The image of one layer of `media_type` whose bytes are `compressed` and whose tar is `plain`.
fn layer_image(store: &Layout, plain: &[u8], compressed: &[u8], media_type: &str) -> ImageManifest {
    let mut m = image(store, &[plain.to_vec()], None);
    let d = put(store, compressed);
    m.layers[0] = Descriptor::new(media_type, d, compressed.len() as u64);
    m
}

#[test]
fn zstd_layers_read_as_gzip_ones_do_in_every_framing() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let big: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
    let plain = tar(&[
        E::Dir("etc/"),
        E::File("etc/os-release", b"ID=debian\n"),
        E::File("usr/lib/big.bin", &big),
        E::Link("usr/lib/again.bin", "usr/lib/big.bin"),
    ]);
    let gz = read(
        &layout,
        &image(&layout, std::slice::from_ref(&plain), None),
        &KeepEtc,
        &NoProgress,
    )
    .unwrap();
    let want: Vec<_> = gz.files().map(|(p, d, _)| (p.to_owned(), *d)).collect();
    assert_eq!(want.len(), 3);

    // One frame; several frames with a skippable frame between them; a long-distance window.
    let half = plain.len() / 2;
    let mut framed = zstd_cli(&["-3"], &plain[..half]);
    framed.extend_from_slice(&0x184D_2A53u32.to_le_bytes());
    framed.extend_from_slice(&5u32.to_le_bytes());
    framed.extend_from_slice(b"skip!");
    framed.extend(zstd_cli(&["-19"], &plain[half..]));
    for compressed in [
        zstd_cli(&["-3"], &plain),
        framed,
        zstd_cli(&["--long=27", "-1"], &plain),
    ] {
        let m = zstd_image(&layout, &plain, &compressed);
        let fs = read(&layout, &m, &KeepEtc, &NoProgress).unwrap();
        let got: Vec<_> = fs.files().map(|(p, d, _)| (p.to_owned(), *d)).collect();
        assert_eq!(got, want);
        assert_eq!(
            fs.kept.get("etc/os-release").map(Vec::as_slice),
            Some(&b"ID=debian\n"[..])
        );
        assert_eq!(fs.diff_ids, gz.diff_ids);
    }
}

#[test]
fn malformed_and_oversized_zstd_layers_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let plain = tar(&[E::File("a", b"a")]);
    let good = zstd_cli(&["-3"], &plain);
    // Truncated, corrupted, not zstd at all, and a frame asking for a 2 GiB window.
    let mut corrupted = good.clone();
    let mid = corrupted.len() / 2;
    corrupted[mid] ^= 0xff;
    let huge_window = zstd_cli(&["--long=31", "-1"], &plain);
    for (bytes, why) in [
        (good[..good.len() - 3].to_vec(), ""),
        (corrupted, ""),
        (b"not zstd at all".to_vec(), "zstd"),
        (huge_window, "window"),
    ] {
        let m = zstd_image(&layout, &plain, &bytes);
        let err = read(&layout, &m, &KeepNothing, &NoProgress).unwrap_err();
        assert!(
            matches!(err, LayerError::Archive { .. } | LayerError::DiffId { .. }),
            "{err}"
        );
        assert!(err.to_string().to_lowercase().contains(why), "{why}: {err}");
    }
}

#[test]
fn a_decompression_bomb_is_refused() {
    // A tar of one 1.1 GiB file of zeros compresses to a few dozen KiB: far past 1024 times its size.
    let mut header = tar::Header::new_gnu();
    header.set_path("zeros").unwrap();
    header.set_size(1_100 << 20);
    header.set_mode(0o644);
    header.set_cksum();
    let zstd = provenant_testkit::require_on_path("zstd");
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("bomb.tar");
    {
        let mut f = std::fs::File::create(&raw).unwrap();
        f.write_all(header.as_bytes()).unwrap();
        f.set_len(512 + (1_100 << 20) + 1024).unwrap();
    }
    let out = std::process::Command::new(&zstd)
        .args(["-q", "-1", "-f", "-o"])
        .arg(t.path().join("bomb.zst"))
        .arg(&raw)
        .output()
        .unwrap();
    assert!(out.status.success());
    let bomb = std::fs::read(t.path().join("bomb.zst")).unwrap();
    assert!(bomb.len() < 1 << 20);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let m = zstd_image(&layout, &header.as_bytes()[..], &bomb);
    let err = read(&layout, &m, &KeepNothing, &NoProgress).unwrap_err();
    assert!(
        matches!(err, LayerError::Inflation { limit, .. } if limit == 1 << 30),
        "{err}"
    );
}

/// A tar stream like a system image's: text files between files that do not compress.
fn system_like_files() -> Vec<(String, Vec<u8>)> {
    let mut random = provenant_testkit::Lcg::new(11);
    let mut next = move || u64::from(random.next_u32());
    (0..96)
        .map(|i| {
            let content: Vec<u8> = if i % 3 == 0 {
                (0..300_000).map(|_| (next() >> 8) as u8).collect()
            } else {
                (0..200_000)
                    .flat_map(|_| format!("line {} of a text file\n", next() % 700).into_bytes())
                    .take(400_000)
                    .collect()
            };
            (format!("usr/share/f{i:03}"), content)
        })
        .collect()
}

#[test]
fn a_large_gzip_layer_reads_the_same_whatever_made_it() {
    let files = system_like_files();
    let entries: Vec<E<'_>> = files.iter().map(|(p, c)| E::File(p, c)).collect();
    let plain = tar(&entries);
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    // Large enough to be inflated on two threads.
    for args in [&["-6"][..], &["-9", "-n"][..], &["-1"][..]] {
        let compressed = compress_cli("gzip", args, &plain);
        assert!(compressed.len() > 9 << 20, "{args:?}: {} bytes", compressed.len());
        let m = layer_image(&layout, &plain, &compressed, media::OCI_LAYER_GZIP);
        let fs = read(&layout, &m, &KeepNothing, &NoProgress).unwrap();
        assert_eq!(fs.files().count(), files.len(), "{args:?}");
        for (path, content) in &files {
            assert_eq!(
                file(&fs, path),
                Some((Algorithm::Sha256.hash_bytes(content), 0)),
                "{args:?} {path}"
            );
        }
    }
}

#[test]
fn a_large_gzip_layer_with_a_wrong_crc_is_refused() {
    let files = system_like_files();
    let entries: Vec<E<'_>> = files.iter().map(|(p, c)| E::File(p, c)).collect();
    let plain = tar(&entries);
    let mut compressed = compress_cli("gzip", &["-6"], &plain);
    // The trailer's CRC-32, in a blob whose digest matches it: the inflated bytes are right, the check
    // is not, and the layer is refused however it was inflated.
    let at = compressed.len() - 8;
    compressed[at] ^= 1;
    let t = tempfile::tempdir().unwrap();
    let layout = Layout::create(t.path()).unwrap();
    let m = layer_image(&layout, &plain, &compressed, media::OCI_LAYER_GZIP);
    let err = read(&layout, &m, &KeepNothing, &NoProgress).unwrap_err();
    assert!(
        matches!(err, LayerError::Archive { index: 0, .. })
            && err.to_string().contains(&m.layers[0].digest.to_string()),
        "{err}"
    );
}
