//! `OpenPGP` key validity at the signature's time: expiry of the primary key and of a signing subkey,
//! hard and soft revocations, with keys made by `GnuPG` under `--faked-system-time`.
//!
//! A signature "after expiry" is made the way it happens: the holder keeps a copy of the key from before
//! its expiry was set (or before it was revoked) and signs with it; the keyring given to the check is the
//! published key, which carries the newer self-signature.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use provenant_source::check::{Inputs, Requirement, Status, run};
use provenant_source::git::{read_commit, read_range};
use provenant_source::openpgp::{Instant, Keyring, PgpError, PgpVerified, RevocationReason, verify_pgp};

use crate::support::{Repo, Signing, Who, with_signature};

/// 2020-01-01T00:00:00Z, when every key of these tests is made.
const T0: u64 = 1_577_836_800;
const DAY: u64 = 86_400;

/// A `GnuPG` home whose agent is stopped on drop.
struct Gpg {
    home: PathBuf,
}

impl Gpg {
    fn new(dir: &Path, name: &str) -> Self {
        let home = dir.join(name);
        std::fs::create_dir_all(&home).unwrap();
        private(&home);
        Self { home }
    }

    fn command(&self, at: u64) -> Command {
        let mut c = Command::new(provenant_testkit::require_on_path("gpg"));
        c.env("GNUPGHOME", &self.home)
            .args(["--quiet", "--faked-system-time", &format!("{at}!")])
            .args(["--passphrase", "", "--pinentry-mode", "loopback"]);
        c
    }

    /// Runs gpg in batch mode at the faked time `at`.
    fn run(&self, at: u64, args: &[&str]) -> Vec<u8> {
        let out = self.command(at).arg("--batch").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs an interactive gpg command at `at`, answering its prompts from `answers`.
    fn answer(&self, at: u64, answers: &str, args: &[&str]) {
        use std::io::Write as _;
        let mut child = self
            .command(at)
            .args(["--no-tty", "--command-fd", "0", "--status-fd", "2"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(answers.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Makes a key for `uid` at T0: primary `usage` (`sign` or `cert`), expiring at `expire` (`never` or a
    /// date). Returns its fingerprint.
    fn generate(&self, uid: &str, usage: &str, expire: &str) -> String {
        self.run(T0, &["--quick-gen-key", uid, "ed25519", usage, expire]);
        self.fingerprints()[0].clone()
    }

    /// The primary key's fingerprint, then the subkeys'.
    fn fingerprints(&self) -> Vec<String> {
        let listing = String::from_utf8(self.run(T0, &["--with-colons", "--list-keys"])).unwrap();
        listing
            .lines()
            .filter_map(|l| l.strip_prefix("fpr:"))
            .filter_map(|l| l.split(':').find(|f| !f.is_empty()))
            .map(str::to_owned)
            .collect()
    }

    /// The public key as `gpg --export --armor` writes it (what a team publishes as its keyring).
    fn keyring(&self, fingerprint: &str) -> Keyring {
        Keyring::parse(&self.run(T0, &["--armor", "--export", fingerprint])).unwrap()
    }

    /// A copy of this home as it is now: the holder's old copy of the key.
    fn copy(&self, dir: &Path, name: &str) -> Self {
        let copy = Self::new(dir, name);
        copy_tree(&self.home, &copy.home);
        copy
    }

    /// An armoured detached signature by `key` over `data`, made at `at`.
    fn sign(&self, at: u64, key: &str, data: &[u8]) -> Vec<u8> {
        self.sign_with(at, key, data, &[])
    }

    /// As [`Gpg::sign`], with more options for gpg (`--default-sig-expire 10d`).
    fn sign_with(&self, at: u64, key: &str, data: &[u8], options: &[&str]) -> Vec<u8> {
        let path = self.payload(data);
        let mut args = options.to_vec();
        args.extend(["--armor", "--detach-sign", "-u", key, "-o", "-", &path]);
        self.run(at, &args)
    }

    /// Writes `data` to a file in the home and returns its path.
    fn payload(&self, data: &[u8]) -> String {
        let file = self.home.join("payload");
        std::fs::write(&file, data).unwrap();
        file.to_str().unwrap().to_owned()
    }

    /// gpg's own verdict on `armored` over `data` at `at`: the status keyword (`GOODSIG`, `EXPSIG`, ...).
    fn verdict(&self, at: u64, armored: &[u8], data: &[u8]) -> String {
        let path = self.payload(data);
        let sig = self.home.join("payload.asc");
        std::fs::write(&sig, armored).unwrap();
        let out = self
            .command(at)
            .args([
                "--batch",
                "--status-fd",
                "1",
                "--verify",
                sig.to_str().unwrap(),
                &path,
            ])
            .output()
            .unwrap();
        let status = String::from_utf8(out.stdout).unwrap();
        ["GOODSIG", "EXPSIG", "BADSIG", "EXPKEYSIG", "REVKEYSIG"]
            .into_iter()
            .find(|k| status.contains(&format!("[GNUPG:] {k} ")))
            .unwrap_or_else(|| panic!("gpg gave no verdict: {status}"))
            .to_owned()
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", &self.home)
            .args(["--kill", "all"])
            .output();
    }
}

fn private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// Copies the regular files and directories of `from` into `to` (the agent's sockets are left).
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            private(&target);
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A repository whose commits the tests sign: the base, and an unsigned commit by Alice to sign.
struct Fixture {
    repo: Repo,
    unsigned: Vec<u8>,
}

impl Fixture {
    fn new() -> Self {
        let repo = Repo::new();
        let alice = Who::new("Alice", "alice@example.com", Signing::None);
        repo.commit(&alice, "chore: base", &[]);
        let id = repo.commit(&alice, "feat: signed", &[("a", "a\n")]);
        let unsigned = repo.raw(&id);
        Self { repo, unsigned }
    }

    /// Verifies the commit signed with `armored` against `keyring`, as the check reads it from git.
    fn verify(&self, armored: &[u8], keyring: &Keyring) -> Result<PgpVerified, PgpError> {
        self.verify_at(armored, keyring, Instant(T0 + 400 * DAY))
    }

    /// As [`Fixture::verify`], judged at `judged_at`.
    fn verify_at(
        &self,
        armored: &[u8],
        keyring: &Keyring,
        judged_at: Instant,
    ) -> Result<PgpVerified, PgpError> {
        let id = self.repo.write_raw(&with_signature(&self.unsigned, armored));
        let commit = read_commit(&self.repo.open(), gix::ObjectId::from_hex(id.as_bytes()).unwrap()).unwrap();
        let signed = commit.signature.unwrap();
        verify_pgp(
            &signed.armored,
            &signed.payload,
            keyring,
            "alice@example.com",
            judged_at,
        )
    }
}

#[test]
fn openpgp_signature_made_before_the_key_expired_verifies_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    // Expires 2020-12-31: long past now, valid on day 30.
    let key = gpg.generate("Alice <alice@example.com>", "sign", "2020-12-31");
    let f = Fixture::new();
    let armored = gpg.sign(T0 + 30 * DAY, &key, &f.unsigned);
    let verified = f.verify(&armored, &gpg.keyring(&key)).unwrap();
    assert_eq!(verified.fingerprint, key);
    assert_eq!(verified.signed_at, Instant(T0 + 30 * DAY));
}

#[test]
fn openpgp_signature_made_after_the_primary_key_expired_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let key = gpg.generate("Alice <alice@example.com>", "sign", "never");
    let old_copy = gpg.copy(dir.path(), "old-copy");
    // On day 10 the holder sets the key to expire on 2020-02-10 (noon, as gpg sets a date).
    gpg.run(T0 + 10 * DAY, &["--quick-set-expire", &key, "2020-02-10"]);
    let keyring = gpg.keyring(&key);
    let f = Fixture::new();

    // Day 20: the binding in force is the one of day 10, which has not expired yet.
    f.verify(&gpg.sign(T0 + 20 * DAY, &key, &f.unsigned), &keyring)
        .unwrap();
    // Day 5, before the expiry was set. gpg dropped the first binding when it made the day-10 one, so
    // the earliest binding left speaks for the key's earlier life, and day 5 is before its expiry.
    f.verify(&old_copy.sign(T0 + 5 * DAY, &key, &f.unsigned), &keyring)
        .unwrap();

    // Day 60, signed with the old copy, which knows nothing of the expiry.
    let late = old_copy.sign(T0 + 60 * DAY, &key, &f.unsigned);
    let err = f.verify(&late, &keyring).unwrap_err();
    let PgpError::Expired {
        fingerprint,
        expired_at,
        signed_at,
    } = &err
    else {
        panic!("expected an expiry, got {err}");
    };
    assert_eq!(fingerprint, &key);
    assert_eq!(*signed_at, Instant(T0 + 60 * DAY));
    // gpg puts a date's expiry at noon UTC.
    assert_eq!(*expired_at, Instant(T0 + 40 * DAY + DAY / 2));
    let text = err.to_string();
    assert!(
        text.contains("expired at 2020-02-10T12:00:00Z")
            && text.contains("made at 2020-03-01T00:00:00Z")
            && text.contains(&key),
        "{text}"
    );
    // The same signature verifies against the old copy's keyring, which lacks the expiry: the refusal
    // above came from the published binding, not from anything else about the signature.
    f.verify(&late, &old_copy.keyring(&key)).unwrap();
}

/// A detached signature by the primary key of `secret` (as `gpg --export-secret-keys --armor` writes an
/// unprotected key) over `data`, claiming to be made at `at`: what a signer with a clock set back makes.
/// gpg refuses to sign before a key's creation, so rPGP makes this one.
fn backdated_signature(secret: &[u8], at: u64, data: &[u8]) -> Vec<u8> {
    use pgp::composed::{ArmorOptions, Deserializable as _, DetachedSignature, SignedSecretKey};
    use pgp::crypto::hash::HashAlgorithm;
    use pgp::packet::{SignatureConfig, SignatureType, Subpacket, SubpacketData};
    use pgp::types::{KeyDetails as _, Password, Timestamp};
    let (key, _) = SignedSecretKey::from_armor_single(std::io::Cursor::new(secret)).unwrap();
    let mut config = SignatureConfig::v4(
        SignatureType::Binary,
        key.primary_key.algorithm(),
        HashAlgorithm::Sha256,
    );
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::from_secs(
            u32::try_from(at).unwrap(),
        )))
        .unwrap(),
        Subpacket::regular(SubpacketData::IssuerFingerprint(key.primary_key.fingerprint())).unwrap(),
    ];
    let signature = config.sign(&key.primary_key, &Password::empty(), data).unwrap();
    DetachedSignature::new(signature)
        .to_armored_bytes(ArmorOptions::default())
        .unwrap()
}

#[test]
fn openpgp_signature_older_than_its_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let key = gpg.generate("Alice <alice@example.com>", "sign", "never");
    let secret = gpg.run(T0, &["--armor", "--export-secret-keys", &key]);
    let keyring = gpg.keyring(&key);
    let f = Fixture::new();
    // The same key, the same commit: a day after the key's creation it verifies (so the signature
    // itself is sound), a day before it is refused.
    f.verify(&backdated_signature(&secret, T0 + DAY, &f.unsigned), &keyring)
        .unwrap();
    let err = f
        .verify(&backdated_signature(&secret, T0 - DAY, &f.unsigned), &keyring)
        .unwrap_err();
    assert!(
        matches!(&err, PgpError::BeforeKeyCreation { fingerprint, signed_at, created_at }
            if *fingerprint == key && *signed_at == Instant(T0 - DAY) && *created_at == Instant(T0)),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("made at 2019-12-31T00:00:00Z, before the key"),
        "{err}"
    );
}

#[test]
fn openpgp_signature_by_an_expired_subkey_is_refused_and_one_before_its_expiry_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let primary = gpg.generate("Alice <alice@example.com>", "cert", "never");
    // A signing subkey expiring on 2020-03-01 (noon).
    gpg.run(
        T0 + 10,
        &["--quick-add-key", &primary, "ed25519", "sign", "2020-03-01"],
    );
    let subkey = gpg.fingerprints()[1].clone();
    let keyring = gpg.keyring(&primary);
    let f = Fixture::new();

    // gpg picks the signing subkey for the primary's fingerprint.
    let verified = f
        .verify(&gpg.sign(T0 + 30 * DAY, &primary, &f.unsigned), &keyring)
        .unwrap();
    assert_eq!(verified.fingerprint, subkey);
    assert_eq!(verified.primary_fingerprint, primary);

    // gpg will not sign with an expired subkey, so the holder's copy gets a subkey binding without the
    // expiry: its own signatures verify there, the published keyring still says when it expired.
    let old_copy = gpg.copy(dir.path(), "old-copy");
    old_copy.run(T0 + 20, &["--quick-set-expire", &primary, "never", &subkey]);
    let late = old_copy.sign(T0 + 90 * DAY, &primary, &f.unsigned);
    f.verify(&late, &old_copy.keyring(&primary)).unwrap();
    let err = f.verify(&late, &keyring).unwrap_err();
    match &err {
        PgpError::Expired {
            fingerprint,
            expired_at,
            signed_at,
        } => {
            assert_eq!(fingerprint, &subkey, "the subkey is named, not the primary key");
            assert_eq!(*expired_at, Instant(T0 + 60 * DAY + DAY / 2));
            assert_eq!(*signed_at, Instant(T0 + 90 * DAY));
        }
        other => panic!("expected the subkey's expiry, got {other}"),
    }
}

#[test]
fn openpgp_signature_by_a_revoked_key_is_refused_whenever_it_was_made() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let key = gpg.generate("Alice <alice@example.com>", "sign", "never");
    let f = Fixture::new();
    let early = gpg.sign(T0 + DAY, &key, &f.unsigned);
    f.verify(&early, &gpg.keyring(&key)).unwrap();

    // Revoked on day 50 as compromised (gpg's menu item 1): a hard revocation.
    let revocation = gpg.home.join("revocation.asc");
    gpg.answer(
        T0 + 50 * DAY,
        "y\n1\n\ny\n",
        &[
            "--armor",
            "-o",
            revocation.to_str().unwrap(),
            "--gen-revoke",
            &key,
        ],
    );
    gpg.run(T0 + 50 * DAY, &["--import", revocation.to_str().unwrap()]);
    let keyring = gpg.keyring(&key);
    let err = f.verify(&early, &keyring).unwrap_err();
    match &err {
        PgpError::Revoked {
            fingerprint,
            reason,
            revoked_at,
            signed_at,
        } => {
            assert_eq!(fingerprint, &key);
            assert_eq!(*reason, RevocationReason::Compromised);
            assert_eq!(*revoked_at, Instant(T0 + 50 * DAY));
            assert_eq!(*signed_at, Instant(T0 + DAY));
        }
        other => panic!("expected a revocation, got {other}"),
    }
    assert!(err.to_string().contains("key compromised"), "{err}");
}

#[test]
fn openpgp_key_superseded_keeps_the_signatures_made_before_the_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let key = gpg.generate("Alice <alice@example.com>", "sign", "never");
    let old_copy = gpg.copy(dir.path(), "old-copy");
    // Revoked on day 50 as superseded (gpg's menu item 2): a soft revocation.
    let revocation = gpg.home.join("revocation.asc");
    gpg.answer(
        T0 + 50 * DAY,
        "y\n2\n\ny\n",
        &[
            "--armor",
            "-o",
            revocation.to_str().unwrap(),
            "--gen-revoke",
            &key,
        ],
    );
    gpg.run(T0 + 50 * DAY, &["--import", revocation.to_str().unwrap()]);
    let keyring = gpg.keyring(&key);
    let f = Fixture::new();

    f.verify(&old_copy.sign(T0 + 20 * DAY, &key, &f.unsigned), &keyring)
        .unwrap();
    let err = f
        .verify(&old_copy.sign(T0 + 70 * DAY, &key, &f.unsigned), &keyring)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            PgpError::Revoked { reason: RevocationReason::Superseded, revoked_at, .. }
                if *revoked_at == Instant(T0 + 50 * DAY)
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("revoked at 2020-02-20T00:00:00Z (key superseded)")
            && text.contains("made at 2020-03-11T00:00:00Z"),
        "{text}"
    );
}

#[test]
fn openpgp_signature_by_a_revoked_subkey_is_refused_in_the_source_check() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let primary = gpg.generate("Alice <alice@example.com>", "cert", "never");
    gpg.run(
        T0 + 10,
        &["--quick-add-key", &primary, "ed25519", "sign", "never"],
    );
    let subkey = gpg.fingerprints()[1].clone();
    let f = Fixture::new();
    let armored = gpg.sign(T0 + DAY, &primary, &f.unsigned);
    // The subkey revoked on day 20, "no reason specified" (gpg's menu item 0): hard.
    gpg.answer(
        T0 + 20 * DAY,
        "key 1\nrevkey\ny\n0\n\ny\nsave\n",
        &["--edit-key", &primary],
    );
    let keyring = gpg.keyring(&primary);
    let err = f.verify(&armored, &keyring).unwrap_err();
    assert!(
        matches!(
            &err,
            PgpError::Revoked { fingerprint, reason: RevocationReason::Unspecified, .. } if *fingerprint == subkey
        ),
        "{err}"
    );

    // Through the check over the range: the commit fails `signed`, the detail naming the revocation.
    let id = f.repo.write_raw(&with_signature(&f.unsigned, &armored));
    f.repo.git(&["update-ref", "refs/heads/main", &id]);
    let range = read_range(&f.repo.open(), "HEAD~1..HEAD").unwrap();
    let report = run(
        &range,
        &Inputs {
            required: [Requirement::Signed].into(),
            keyring: Some(&keyring),
            ..Inputs::default()
        },
    );
    assert!(!report.passed);
    let check = &report.commits[0].checks[0];
    assert_eq!(check.status, Status::Fail);
    assert!(
        check
            .detail
            .contains(&format!("the key {subkey} was revoked at 2020-01-21T00:00:00Z"))
            && check.detail.contains("no reason given"),
        "{}",
        check.detail
    );
}

#[test]
fn openpgp_signature_past_its_own_expiration_time_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let key = gpg.generate("Alice <alice@example.com>", "sign", "never");
    let f = Fixture::new();
    // Made on day 30, valid for ten days (RFC 9580 5.2.3.18): it expires on day 40.
    let signed_on = T0 + 30 * DAY;
    let armored = gpg.sign_with(signed_on, &key, &f.unsigned, &["--default-sig-expire", "10d"]);
    let keyring = gpg.keyring(&key);
    let expires = T0 + 40 * DAY;

    // A second before: it holds, as gpg says too.
    let verified = f.verify_at(&armored, &keyring, Instant(expires - 1)).unwrap();
    assert_eq!(verified.signed_at, Instant(signed_on));
    assert_eq!(gpg.verdict(expires - 1, &armored, &f.unsigned), "GOODSIG");

    // From its expiration time on it is refused, as gpg reports EXPSIG.
    for judged in [expires, T0 + 50 * DAY] {
        assert_eq!(gpg.verdict(judged, &armored, &f.unsigned), "EXPSIG");
        let err = f.verify_at(&armored, &keyring, Instant(judged)).unwrap_err();
        assert_eq!(
            err,
            PgpError::SignatureExpired {
                fingerprint: key.clone(),
                signed_at: Instant(signed_on),
                expired_at: Instant(expires),
                judged_at: Instant(judged),
            }
        );
    }
    let text = f
        .verify_at(&armored, &keyring, Instant(T0 + 50 * DAY))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains(&key)
            && text.contains("made at 2020-01-31T00:00:00Z")
            && text.contains("expired at 2020-02-10T00:00:00Z")
            && text.contains("time of judgement 2020-02-20T00:00:00Z"),
        "{text}"
    );

    // The same commit signed without an expiration time holds at any time: the refusal came from the
    // signature's own subpacket.
    let lasting = gpg.sign(signed_on, &key, &f.unsigned);
    f.verify_at(&lasting, &keyring, Instant(T0 + 5000 * DAY)).unwrap();
}

#[test]
fn openpgp_signature_expiration_asked_at_signing_is_judged_in_the_source_check() {
    let dir = tempfile::tempdir().unwrap();
    let gpg = Gpg::new(dir.path(), "home");
    let key = gpg.generate("Alice <alice@example.com>", "sign", "never");
    let f = Fixture::new();
    // gpg asks for the validity period (`--ask-sig-expire`); the signer answers two days.
    let path = gpg.payload(&f.unsigned);
    let out = dir.path().join("sig.asc");
    gpg.answer(
        T0 + DAY,
        "2d\n",
        &[
            "--ask-sig-expire",
            "--armor",
            "--detach-sign",
            "-u",
            &key,
            "-o",
            out.to_str().unwrap(),
            &path,
        ],
    );
    let armored = std::fs::read(&out).unwrap();
    let keyring = gpg.keyring(&key);
    let id = f.repo.write_raw(&with_signature(&f.unsigned, &armored));
    f.repo.git(&["update-ref", "refs/heads/main", &id]);
    let range = read_range(&f.repo.open(), "HEAD~1..HEAD").unwrap();
    let check = |judged_at: Option<Instant>| {
        run(
            &range,
            &Inputs {
                required: [Requirement::Signed].into(),
                keyring: Some(&keyring),
                judged_at,
                ..Inputs::default()
            },
        )
    };

    // Judged on day 2, within the two days: it passes.
    let report = check(Some(Instant(T0 + 2 * DAY)));
    assert!(report.passed, "{:?}", report.commits[0].checks);
    // Judged on day 3, past them: the commit fails `signed`, the detail naming the times.
    let report = check(Some(Instant(T0 + 3 * DAY)));
    assert!(!report.passed);
    let result = &report.commits[0].checks[0];
    assert_eq!(result.status, Status::Fail);
    assert!(
        result.detail.contains("made at 2020-01-02T00:00:00Z")
            && result.detail.contains("expired at 2020-01-04T00:00:00Z")
            && result.detail.contains("time of judgement 2020-01-04T00:00:00Z"),
        "{}",
        result.detail
    );
    // With no time of judgement given, the committer time (2023) is the time of judgement: refused.
    let report = check(None);
    assert!(!report.passed);
    assert!(
        report.commits[0].checks[0]
            .detail
            .contains("expired at 2020-01-04T00:00:00Z"),
        "{}",
        report.commits[0].checks[0].detail
    );
}
