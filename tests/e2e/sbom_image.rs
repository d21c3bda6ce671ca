//! `provenant sbom generate` of images: an image layout with two layers (the second deletes files with a
//! whiteout, made by umoci), and the same image in docker-registry by digest.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use provenant_testkit::registry::DockerRegistry;
use serde_json::Value;

use crate::sbom::{cdx_set, cdx_strict, expected, fixtures, json};
use crate::support::{provenant, run, stderr, stdout, succeeded};

fn ok(args: &[&str]) -> String {
    let o = run(provenant()
        .env("SOURCE_DATE_EPOCH", "0")
        .env("DOCKER_CONFIG", "/nonexistent")
        .args(args));
    succeeded(&o, args)
}

fn copy_tree(from: &Path, to: &Path) {
    let o = Command::new("cp").arg("-a").arg(from).arg(to).output().unwrap();
    assert!(o.status.success(), "cp: {}", String::from_utf8_lossy(&o.stderr));
}

fn umoci(args: &[&str]) {
    let o = Command::new(provenant_testkit::require_on_path("umoci"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "umoci {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The layers' diff ids, from the image configuration in the layout.
fn diff_ids(layout: &Path, manifest_digest: &str) -> Vec<String> {
    let blob = |d: &str| layout.join("blobs/sha256").join(d.trim_start_matches("sha256:"));
    let manifest: Value = serde_json::from_slice(&std::fs::read(blob(manifest_digest)).unwrap()).unwrap();
    let config: Value =
        serde_json::from_slice(&std::fs::read(blob(manifest["config"]["digest"].as_str().unwrap())).unwrap())
            .unwrap();
    config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect()
}

fn layers_of(doc: &Value) -> BTreeSet<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["properties"].as_array().unwrap().iter())
        .filter(|p| p["name"] == "provenant:layer")
        .map(|p| p["value"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
#[allow(clippy::too_many_lines)] // one story: build, layer, catalog, push, catalog again, tamper
fn images_are_cataloged_layer_by_layer_in_layouts_and_registries() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("rootfs");
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    copy_tree(&fixtures().join("dpkg/var"), &root);
    for f in ["Cargo.lock", "Cargo.toml"] {
        std::fs::copy(fixtures().join("cargo-v4").join(f), root.join("app").join(f)).unwrap();
    }
    copy_tree(&fixtures().join("npm-v3"), &root.join("web"));
    std::fs::remove_file(root.join("web/expected.txt")).unwrap();
    std::fs::copy(fixtures().join("go-bin/hello"), root.join("usr/bin/hello")).unwrap();
    let layout = t.path().join("layout");
    let base = format!("oci:{}:base", layout.display());
    ok(&["oci", "image", root.to_str().unwrap(), &base]);

    // A second layer, made by umoci, deletes the web application (a whiteout) and adds nothing else.
    let bundle = t.path().join("bundle");
    let image = format!("{}:base", layout.display());
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &image,
        bundle.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(bundle.join("rootfs/web")).unwrap();
    umoci(&["repack", "--image", &image, bundle.to_str().unwrap()]);

    let out = t.path().join("image.cdx.json");
    ok(&["sbom", "generate", &base, "-o", out.to_str().unwrap()]);
    let doc = json(&out);
    assert_eq!(
        cdx_set(&doc),
        expected(&["dpkg", "cargo-v4", "go-bin"]),
        "the whited-out npm lockfile must be gone"
    );
    let component = &doc["metadata"]["component"];
    assert_eq!(component["type"], "container");
    let digest = format!("sha256:{}", component["hashes"][0]["content"].as_str().unwrap());
    assert!(
        component["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:oci/layout@sha256"),
        "{component}"
    );
    // Everything found came from the first layer; the second only deleted.
    let ids = diff_ids(&layout, &digest);
    assert_eq!(ids.len(), 2);
    assert_eq!(layers_of(&doc), BTreeSet::from([ids[0].clone()]));
    cdx_strict(&out);
    let spdx = t.path().join("image.spdx.json");
    ok(&[
        "sbom",
        "generate",
        &format!("oci:{}@{digest}", layout.display()),
        "--format",
        "spdx-json",
        "-o",
        spdx.to_str().unwrap(),
    ]);
    let pyspdxtools = provenant_testkit::require_venv_tool("sbom", "pyspdxtools");
    let v = run(Command::new(pyspdxtools).arg("-i").arg(&spdx));
    assert!(
        v.status.success() && stdout(&v).trim().is_empty(),
        "pyspdxtools: {}{}",
        stdout(&v),
        stderr(&v)
    );

    // The same image in a registry, by digest: the same components; the purl names the repository.
    let reg = DockerRegistry::start();
    let remote = format!("{}/team/app", reg.host());
    ok(&[
        "promote",
        &format!("oci:{}@{digest}", layout.display()),
        &format!("{remote}:1"),
    ]);
    let from_registry = t.path().join("registry.cdx.json");
    ok(&[
        "sbom",
        "generate",
        &format!("{remote}@{digest}"),
        "-o",
        from_registry.to_str().unwrap(),
    ]);
    let doc2 = json(&from_registry);
    assert_eq!(cdx_set(&doc2), cdx_set(&doc));
    let purl = doc2["metadata"]["component"]["purl"].as_str().unwrap();
    assert!(purl.starts_with("pkg:oci/app@sha256"), "{purl}");
    assert!(purl.contains("repository_url="), "{purl}");
    // A registry image by tag is refused.
    let o = run(provenant().env("DOCKER_CONFIG", "/nonexistent").args([
        "sbom",
        "generate",
        &format!("{remote}:1"),
    ]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("by digest"), "{}", stderr(&o));

    // A layer blob changed on disk is refused, naming the layer.
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap(),
    )
    .unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let blob = layout
        .join("blobs/sha256")
        .join(layer.trim_start_matches("sha256:"));
    let mut bytes = std::fs::read(&blob).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&blob, bytes).unwrap();
    let o = run(provenant().args(["sbom", "generate", &base]));
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("layer 0"), "{}", stderr(&o));
}

/// An image recompressed with zstd by skopeo (`application/vnd.oci.image.layer.v1.tar+zstd`) is cataloged
/// exactly as its gzip original: the same components, attributed to the same diff ids.
#[test]
fn zstd_layers_written_by_skopeo_are_cataloged() {
    let skopeo = provenant_testkit::require_on_path("skopeo");
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    for n in ["cargo-v4", "npm-v3"] {
        copy_tree(&fixtures().join(n), &root.join(n));
    }
    let gzip = format!("oci:{}:v1", t.path().join("gzip").display());
    let zstd = format!("oci:{}:v1", t.path().join("zstd").display());
    ok(&["oci", "image", root.to_str().unwrap(), &gzip]);
    let o = run(Command::new(skopeo).args(["copy", "--dest-compress-format", "zstd", &gzip, &zstd]));
    assert!(o.status.success(), "skopeo: {}", stderr(&o));
    let index: Value = json(&t.path().join("zstd/index.json"));
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
    let manifest: Value = json(
        &t.path()
            .join("zstd/blobs/sha256")
            .join(manifest_digest.trim_start_matches("sha256:")),
    );
    assert_eq!(
        manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );
    let doc =
        |reference: &str| -> Value { serde_json::from_str(&ok(&["sbom", "generate", reference])).unwrap() };
    let (a, b) = (doc(&gzip), doc(&zstd));
    assert_eq!(cdx_set(&b), expected(&["cargo-v4", "npm-v3"]));
    assert_eq!(
        a["components"], b["components"],
        "same components, evidence and layer diff ids"
    );
    assert_eq!(
        b["metadata"]["component"]["hashes"][0]["content"],
        manifest_digest.trim_start_matches("sha256:")
    );
}
