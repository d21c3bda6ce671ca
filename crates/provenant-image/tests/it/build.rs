use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use provenant_digest::Algorithm;
use provenant_image::{ImageError, ImageOptions, build};
use provenant_oci::{Manifest, ManifestRef, Platform};
use provenant_registry::layout::Layout;
use provenant_registry::{Store, read_small_blob};
use provenant_testkit::registry::{OciSchema, assert_valid_oci};

fn make_tree(root: &Path, mtime_offset: i64, exec_mode: u32) {
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("empty")).unwrap();
    std::fs::write(root.join("usr/bin/hello"), b"#!/bin/sh\necho hello\n").unwrap();
    std::fs::set_permissions(
        root.join("usr/bin/hello"),
        std::fs::Permissions::from_mode(exec_mode),
    )
    .unwrap();
    std::fs::write(root.join("etc/app.conf"), b"key=value\n").unwrap();
    std::fs::set_permissions(root.join("etc/app.conf"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let long = "d".repeat(120);
    std::fs::create_dir_all(root.join(&long)).unwrap();
    std::fs::write(root.join(&long).join("f".repeat(100)), b"long path").unwrap();
    std::os::unix::fs::symlink("usr/bin/hello", root.join("hello")).unwrap();
    // Different wall-clock times must not matter.
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(mtime_offset.unsigned_abs());
    let f = std::fs::File::options()
        .write(true)
        .open(root.join("etc/app.conf"))
        .unwrap();
    f.set_modified(t).unwrap();
}

fn options() -> ImageOptions {
    ImageOptions {
        entrypoint: Some(vec!["/usr/bin/hello".to_owned()]),
        epoch: 1_700_000_000,
        record_created: true,
        ..ImageOptions::default()
    }
}

#[test]
fn same_input_gives_the_same_digest() {
    let t = tempfile::tempdir().unwrap();
    make_tree(&t.path().join("a"), 0, 0o755);
    make_tree(&t.path().join("b"), 5000, 0o700);
    let la = Layout::create(&t.path().join("la")).unwrap();
    let lb = Layout::create(&t.path().join("lb")).unwrap();
    let a = build(&t.path().join("a"), &options(), &la).unwrap();
    let b = build(&t.path().join("b"), &options(), &lb).unwrap();
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.layer, b.layer);
    assert_eq!(a.manifest, b.manifest);
    // Changing content or the epoch changes the digest.
    std::fs::write(t.path().join("b/etc/app.conf"), b"key=other\n").unwrap();
    let c = build(&t.path().join("b"), &options(), &lb).unwrap();
    assert_ne!(a.digest, c.digest);
    let d = build(
        &t.path().join("a"),
        &ImageOptions {
            epoch: 1,
            ..options()
        },
        &la,
    )
    .unwrap();
    assert_ne!(a.digest, d.digest);
}

#[test]
fn config_diff_ids_match_the_layer_and_documents_validate() {
    let t = tempfile::tempdir().unwrap();
    make_tree(&t.path().join("root"), 0, 0o755);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let built = build(&t.path().join("root"), &options(), &layout).unwrap();
    let fetched = layout.get_manifest(&ManifestRef::Digest(built.digest)).unwrap();
    assert_valid_oci(OciSchema::Manifest, &fetched.bytes);
    let Manifest::Image(m) = fetched.manifest else {
        panic!("not an image manifest")
    };
    let config = read_small_blob(&layout, &m.config.digest, Some(m.config.size)).unwrap();
    assert_valid_oci(OciSchema::Config, &config);
    let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
    let gz = read_small_blob(&layout, &m.layers[0].digest, Some(m.layers[0].size)).unwrap();
    let mut tar = Vec::new();
    flate2_decode(&gz, &mut tar);
    assert_eq!(
        config["rootfs"]["diff_ids"][0],
        Algorithm::Sha256.hash_bytes(&tar).to_string()
    );
    assert_eq!(config["created"], "2023-11-14T22:13:20Z");
    assert_eq!(config["config"]["Entrypoint"][0], "/usr/bin/hello");
    // gzip header: no name, mtime 0, OS unknown.
    assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    // Tar entries: sorted, owned by 0:0, fixed modes and times.
    let listing = Command::new("tar")
        .args(["--numeric-owner", "-tvf", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = {
        let mut child = listing;
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), &tar).unwrap();
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    };
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(
        listing.contains("-rwxr-xr-x 0/0") && listing.contains("usr/bin/hello"),
        "{listing}"
    );
    assert!(
        listing.contains("-rw-r--r-- 0/0") && listing.contains("etc/app.conf"),
        "{listing}"
    );
    assert!(listing.contains("2023-11-14"), "{listing}");
    let names: Vec<&str> = listing.lines().map(|l| l.rsplit(' ').next().unwrap()).collect();
    assert_eq!(
        names.first().copied(),
        Some(format!("{}/", "d".repeat(120)).as_str())
    );
    let index = std::fs::read(t.path().join("layout/index.json")).unwrap();
    assert_valid_oci(OciSchema::Index, &index);
    assert_valid_oci(
        OciSchema::Layout,
        &std::fs::read(t.path().join("layout/oci-layout")).unwrap(),
    );
}

fn flate2_decode(gz: &[u8], out: &mut Vec<u8>) {
    let mut child = Command::new("gzip")
        .args(["-dc"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = gz.to_vec();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &data).unwrap());
    child.stdout.take().unwrap().read_to_end(out).unwrap();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn umoci_unpacks_it() {
    let t = tempfile::tempdir().unwrap();
    make_tree(&t.path().join("root"), 0, 0o755);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let built = build(&t.path().join("root"), &options(), &layout).unwrap();
    layout
        .set_tag(
            &"v1".parse().unwrap(),
            &provenant_oci::Descriptor::new(provenant_oci::media::OCI_MANIFEST, built.digest, built.size),
        )
        .unwrap();
    let umoci = provenant_testkit::require_on_path("umoci");
    let bundle = t.path().join("bundle");
    let image = format!("{}:v1", t.path().join("layout").display());
    let out = Command::new(umoci)
        .args(["unpack", "--rootless", "--image", &image])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "umoci: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/usr/bin/hello")).unwrap(),
        b"#!/bin/sh\necho hello\n"
    );
    assert_eq!(
        std::fs::read_link(bundle.join("rootfs/hello")).unwrap(),
        Path::new("usr/bin/hello")
    );
    let mode = std::fs::metadata(bundle.join("rootfs/usr/bin/hello"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755);
}

#[test]
fn platform_is_recorded_and_fifos_are_refused() {
    let t = tempfile::tempdir().unwrap();
    make_tree(&t.path().join("root"), 0, 0o755);
    let layout = Layout::create(&t.path().join("layout")).unwrap();
    let arm = ImageOptions {
        platform: Platform::parse("linux/arm64/v8").unwrap(),
        ..options()
    };
    let built = build(&t.path().join("root"), &arm, &layout).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&read_small_blob(&layout, &built.config, None).unwrap()).unwrap();
    assert_eq!(
        (
            config["os"].as_str(),
            config["architecture"].as_str(),
            config["variant"].as_str()
        ),
        (Some("linux"), Some("arm64"), Some("v8"))
    );
    let status = Command::new("mkfifo")
        .arg(t.path().join("root/fifo"))
        .status()
        .unwrap();
    assert!(status.success());
    let err = build(&t.path().join("root"), &options(), &layout).unwrap_err();
    assert!(
        matches!(err, ImageError::UnsupportedFile { kind: "FIFO", .. }),
        "{err}"
    );
    let err = build(&t.path().join("root/etc/app.conf"), &options(), &layout).unwrap_err();
    assert!(matches!(err, ImageError::NotADirectory { .. }), "{err}");
}
