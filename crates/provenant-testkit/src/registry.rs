//! OCI test services and checks: Debian's `docker-registry` on a free loopback port (optionally behind
//! htpasswd), a small in-process registry that implements the OCI 1.1 referrers API, and validation of
//! documents against the OCI image-spec JSON schemas from the third-party vectors.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Service, free_port, require_on_path};

/// Which OCI image-spec schema a document must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OciSchema {
    /// `image-manifest-schema.json`.
    Manifest,
    /// `image-index-schema.json` (also `index.json` of a layout).
    Index,
    /// `config-schema.json`.
    Config,
    /// `image-layout-schema.json` (the `oci-layout` file).
    Layout,
    /// `content-descriptor.json`.
    Descriptor,
}

impl OciSchema {
    fn file(self) -> &'static str {
        match self {
            OciSchema::Manifest => "image-manifest-schema.json",
            OciSchema::Index => "image-index-schema.json",
            OciSchema::Config => "config-schema.json",
            OciSchema::Layout => "image-layout-schema.json",
            OciSchema::Descriptor => "content-descriptor.json",
        }
    }
}

/// Validates `doc` against the OCI image-spec schema (from `vectors/oci-image-spec/schema`), returning
/// every violation as text.
pub fn validate_oci(schema: OciSchema, doc: &serde_json::Value) -> Result<(), String> {
    let dir = crate::vectors_dir().join("oci-image-spec/schema");
    let load = |name: &str| -> serde_json::Value {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("read schema {name}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse schema {name}: {e}"))
    };
    // The schemas use draft-04 `id`s on sub-schemas, which move the base of their relative `$ref`s:
    // resolve every reference by its file name, whatever base it was resolved against.
    let options = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .with_retriever(SchemaDir(dir.clone()));
    let validator = options
        .build(&load(schema.file()))
        .map_err(|e| format!("schema {}: {e}", schema.file()))?;
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

struct SchemaDir(PathBuf);

impl jsonschema::Retrieve for SchemaDir {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let text = std::fs::read_to_string(self.0.join(&name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Asserts that `bytes` parse as JSON and satisfy `schema`.
pub fn assert_valid_oci(schema: OciSchema, bytes: &[u8]) {
    let doc: serde_json::Value = serde_json::from_slice(bytes).expect("document is JSON");
    if let Err(e) = validate_oci(schema, &doc) {
        panic!("document does not satisfy the OCI {schema:?} schema: {e}\n{doc:#}");
    }
}

/// A running Debian `docker-registry` (distribution 2.8) with filesystem storage in a temporary
/// directory. Killed on drop.
#[derive(Debug)]
pub struct DockerRegistry {
    /// The process and its scratch directory.
    pub service: Service,
    /// `user:password` when started with htpasswd authentication.
    pub credentials: Option<(String, String)>,
}

impl DockerRegistry {
    /// Starts an anonymous registry.
    #[must_use]
    pub fn start() -> DockerRegistry {
        Self::spawn(None)
    }

    /// Starts a registry requiring Basic authentication for `user`/`password` (bcrypt htpasswd).
    #[must_use]
    pub fn start_with_auth(user: &str, password: &str) -> DockerRegistry {
        Self::spawn(Some((user.to_owned(), password.to_owned())))
    }

    fn spawn(credentials: Option<(String, String)>) -> DockerRegistry {
        let program = require_on_path("docker-registry");
        let dir = tempfile::tempdir().expect("registry scratch dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("registry data dir");
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    \
             rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: provenant-test\n  \
             headers:\n    X-Content-Type-Options: [nosniff]\n",
            data.display()
        );
        if let Some((user, password)) = &credentials {
            let htpasswd = require_on_path("htpasswd");
            let out = Command::new(htpasswd)
                .args(["-Bbn", user, password])
                .output()
                .expect("run htpasswd");
            assert!(
                out.status.success(),
                "htpasswd failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).expect("write htpasswd");
            config.push_str("auth:\n  htpasswd:\n    realm: provenant-test\n    path: ");
            config.push_str(&file.display().to_string());
            config.push('\n');
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let mut command = Command::new(program);
        command.arg("serve").arg(&config_path);
        let service = Service::spawn(command, port, dir, "registry.log");
        DockerRegistry { service, credentials }
    }

    /// `127.0.0.1:<port>`: the registry part of references.
    #[must_use]
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.service.port)
    }

    /// The storage root (`docker/registry/v2/...` lies below it).
    #[must_use]
    pub fn data_dir(&self) -> PathBuf {
        self.service.dir.path().join("data")
    }

    /// The file holding a blob's bytes in the registry's storage, for tamper tests.
    #[must_use]
    pub fn blob_path(&self, hex: &str) -> PathBuf {
        let prefix = hex.get(..2).expect("hex digest");
        self.data_dir()
            .join("docker/registry/v2/blobs/sha256")
            .join(prefix)
            .join(hex)
            .join("data")
    }

    /// The registry log, for failure messages.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.service.dir.path().join("registry.log")).unwrap_or_default()
    }
}

/// Builds an OCI image layout at `dir` with umoci from the files in `rootfs` (tag `tag`), the way a user
/// outside Provenant would.
pub fn umoci_image(dir: &Path, tag: &str, rootfs: &Path) {
    let umoci = require_on_path("umoci");
    let image = format!("{}:{tag}", dir.display());
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(&umoci).args(args).output().expect("run umoci");
        assert!(
            out.status.success(),
            "umoci {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    if !dir.join("oci-layout").exists() {
        run(&["init".as_ref(), "--layout".as_ref(), dir.as_os_str()]);
    }
    run(&["new".as_ref(), "--image".as_ref(), image.as_ref()]);
    let bundle = tempfile::tempdir().expect("umoci bundle dir");
    let bundle_path = bundle.path().join("b");
    run(&[
        "unpack".as_ref(),
        "--rootless".as_ref(),
        "--image".as_ref(),
        image.as_ref(),
        bundle_path.as_os_str(),
    ]);
    copy_tree(rootfs, &bundle_path.join("rootfs"));
    run(&[
        "repack".as_ref(),
        "--image".as_ref(),
        image.as_ref(),
        bundle_path.as_os_str(),
    ]);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}
