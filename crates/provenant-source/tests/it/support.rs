//! Real repositories made with `git`, and keys made with `ssh-keygen`, for the tests.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;

use provenant_testkit::require_on_path;

/// Who commits, and how they sign.
#[derive(Clone)]
pub(crate) struct Who {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) signing: Signing,
}

#[derive(Clone)]
pub(crate) enum Signing {
    None,
    /// An SSH private key file.
    Ssh(PathBuf),
    /// A gpg home directory and the key's fingerprint.
    Gpg(PathBuf, String),
}

impl Who {
    pub(crate) fn new(name: &str, email: &str, signing: Signing) -> Self {
        Self {
            name: name.into(),
            email: email.into(),
            signing,
        }
    }
}

/// A repository in a temporary directory; commits are dated one minute apart from 2023-11-14T22:13:20Z.
pub(crate) struct Repo {
    pub(crate) dir: tempfile::TempDir,
    clock: Cell<i64>,
}

impl Repo {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Self {
            dir,
            clock: Cell::new(1_700_000_000),
        };
        repo.git(&["init", "-q", "-b", "main", "."]);
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(require_on_path("git"));
        c.current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("HOME", self.path());
        c
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Writes `files`, stages everything and commits as `who`; returns the commit id.
    pub(crate) fn commit(&self, who: &Who, message: &str, files: &[(&str, &str)]) -> String {
        for (path, content) in files {
            let p = self.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        self.git(&["add", "-A"]);
        let time = self.clock.get();
        self.clock.set(time + 60);
        let date = format!("@{time} +0000");
        let mut c = self.command();
        c.env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["-c", &format!("user.name={}", who.name)])
            .args(["-c", &format!("user.email={}", who.email)]);
        match &who.signing {
            Signing::None => {
                c.args(["-c", "commit.gpgsign=false"]);
            }
            Signing::Ssh(key) => {
                c.args([
                    "-c",
                    "gpg.format=ssh",
                    "-c",
                    &format!("user.signingkey={}", key.display()),
                ])
                .args(["-c", "commit.gpgsign=true"]);
            }
            Signing::Gpg(home, fingerprint) => {
                c.env("GNUPGHOME", home)
                    .args([
                        "-c",
                        "gpg.format=openpgp",
                        "-c",
                        &format!("user.signingkey={fingerprint}"),
                    ])
                    .args(["-c", "commit.gpgsign=true"]);
            }
        }
        let out = c
            .args(["commit", "-q", "--allow-empty", "-m", message])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git commit: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.git(&["rev-parse", "HEAD"])
    }

    /// The raw commit object.
    pub(crate) fn raw(&self, id: &str) -> Vec<u8> {
        let out = self.command().args(["cat-file", "commit", id]).output().unwrap();
        assert!(out.status.success());
        out.stdout
    }

    /// Writes a raw commit object and returns its id.
    pub(crate) fn write_raw(&self, raw: &[u8]) -> String {
        use std::io::Write;
        let mut child = self
            .command()
            .args(["hash-object", "-t", "commit", "-w", "--stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    pub(crate) fn open(&self) -> gix::Repository {
        provenant_source::git::open(self.path()).unwrap()
    }
}

/// Generates an ed25519 key pair `NAME` and `NAME.pub` in `dir`; returns the private key's path and
/// the public key line (`ssh-ed25519 AAAA… comment`).
pub(crate) fn ssh_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let key = dir.join(name);
    let out = Command::new(require_on_path("ssh-keygen"))
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    (key, public.trim().to_owned())
}

/// Signs `data` with `ssh-keygen -Y sign` in `namespace`; returns the armoured signature.
pub(crate) fn ssh_sign(key: &Path, namespace: &str, data: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload");
    std::fs::write(&file, data).unwrap();
    let out = Command::new(require_on_path("ssh-keygen"))
        .args(["-Y", "sign", "-n", namespace, "-f"])
        .arg(key)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh-keygen -Y sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(file.with_extension("sig")).unwrap()
}

/// Inserts a `gpgsig` header holding `armored` into an unsigned commit object.
pub(crate) fn with_signature(unsigned: &[u8], armored: &[u8]) -> Vec<u8> {
    let split = unsigned.windows(2).position(|w| w == b"\n\n").unwrap();
    let text = String::from_utf8_lossy(armored);
    let folded = text.trim_end().replace('\n', "\n ");
    let mut out = unsigned[..=split].to_vec();
    out.extend_from_slice(format!("gpgsig {folded}\n").as_bytes());
    out.extend_from_slice(&unsigned[split + 1..]);
    out
}

/// Generates an ed25519 `OpenPGP` key for `uid` in a fresh gpg home under `dir`; returns the home, the
/// primary key's fingerprint and the armoured public key (`gpg --export --armor`).
pub(crate) fn gpg_key(dir: &Path, uid: &str) -> (PathBuf, String, Vec<u8>) {
    let home = dir.join(format!("gnupg-{}", uid.len()));
    std::fs::create_dir_all(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let gpg = require_on_path("gpg");
    let run = |args: &[&str]| {
        let out = Command::new(&gpg)
            .env("GNUPGHOME", &home)
            .args(["--batch", "--quiet"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[
        "--passphrase",
        "",
        "--pinentry-mode",
        "loopback",
        "--quick-gen-key",
        uid,
        "ed25519",
        "sign",
        "never",
    ]);
    let listing = String::from_utf8(run(&["--with-colons", "--list-keys", uid])).unwrap();
    let fingerprint = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.split(':').find(|f| !f.is_empty()))
        .unwrap()
        .to_owned();
    let public = run(&["--armor", "--export", &fingerprint]);
    (home, fingerprint, public)
}
