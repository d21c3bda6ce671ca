//! The checks over real ranges: messages, SSH, `OpenPGP` and X.509 signatures, owners and approvals.

use std::collections::BTreeSet;

use provenant_source::allowed_signers::AllowedSigners;
use provenant_source::check::{Inputs, Requirement, Status, run};
use provenant_source::codeowners::CodeOwners;
use provenant_source::git::{read_commit, read_range};
use provenant_source::openpgp::{Instant, Keyring, PgpError, verify_pgp};
use provenant_source::reviews::{Members, approvals, parse_reviews};

use crate::support::{Repo, Signing, Who, gpg_key, ssh_key, with_signature};

fn all() -> BTreeSet<Requirement> {
    [Requirement::Conventional, Requirement::Signed, Requirement::Owned].into()
}

#[test]
fn each_failing_commit_and_file_is_named() {
    let keys = tempfile::tempdir().unwrap();
    let (key, public) = ssh_key(keys.path(), "alice");
    let alice = Who::new("Alice", "alice@example.com", Signing::Ssh(key));
    let unsigned = Who::new("Alice", "alice@example.com", Signing::None);
    let repo = Repo::new();
    repo.commit(&unsigned, "chore: base", &[("README.md", "x\n")]);
    repo.git(&["tag", "base"]);
    repo.commit(&alice, "feat(api): add the thing", &[("src/api.rs", "a\n")]);
    repo.commit(&unsigned, "fix: unsigned", &[("src/lib.rs", "b\n")]);
    repo.commit(
        &alice,
        "Update stuff",
        &[("docs/guide.md", "c\n"), ("vendor/x.c", "d\n")],
    );
    let git = repo.open();
    let range = read_range(&git, "base..HEAD").unwrap();
    assert_eq!(range.commits.len(), 3);
    assert_eq!(
        range.changed_paths,
        vec!["docs/guide.md", "src/api.rs", "src/lib.rs", "vendor/x.c"]
    );
    let signers = AllowedSigners::parse(&format!("alice@example.com {public}\n")).unwrap();
    let owners = CodeOwners::parse("* @team-lead\n/vendor/\n").unwrap();
    let report = run(
        &range,
        &Inputs {
            required: all(),
            allowed_signers: Some(&signers),
            codeowners: Some(&owners),
            ..Inputs::default()
        },
    );
    assert!(!report.passed);
    let failures: Vec<(String, &str, Status)> = report
        .failures()
        .into_iter()
        .map(|(what, r)| {
            (
                what.split_once(' ').map_or(what.clone(), |(_, s)| s.to_owned()),
                r.check,
                r.status,
            )
        })
        .collect();
    assert_eq!(
        failures,
        vec![
            ("Update stuff".to_owned(), "conventional", Status::Fail),
            ("fix: unsigned".to_owned(), "signed", Status::Fail),
            ("vendor/x.c".to_owned(), "owned", Status::Fail),
        ]
    );
    let first = &report.commits[0];
    assert_eq!(first.subject, "Update stuff");
    assert_eq!(
        first.checks[0].detail,
        "line 1, column 7: expected `(scope)`, `!` or `: ` after the type, found a space"
    );
    assert!(
        first.checks[1].detail.starts_with("SSH signature by SHA256:"),
        "{}",
        first.checks[1].detail
    );
    assert_eq!(report.commits[1].checks[1].detail, "the commit is not signed");
    assert_eq!(
        report.files[3].checks[0].detail,
        "the CODEOWNERS rule `/vendor/` (line 2) leaves it without owners"
    );
    // Only what is required runs.
    let report = run(
        &range,
        &Inputs {
            required: [Requirement::Signed].into(),
            allowed_signers: Some(&signers),
            ..Inputs::default()
        },
    );
    assert_eq!(report.failures().len(), 1);
    assert!(report.files.is_empty());
}

#[test]
fn x509_signature_is_unsupported_never_passed() {
    let repo = Repo::new();
    let who = Who::new("A", "a@example.com", Signing::None);
    repo.commit(&who, "chore: base", &[]);
    let id = repo.commit(&who, "feat: x", &[]);
    let forged = repo.write_raw(&with_signature(
        &repo.raw(&id),
        b"-----BEGIN SIGNED MESSAGE-----\nMIAGCSqGSIb3DQEHAqCAMIACAQExDTALBglghkgBZQMEAgEwgAYJKoZIhvcNAQcB\n-----END SIGNED MESSAGE-----\n",
    ));
    repo.git(&["update-ref", "refs/heads/main", &forged]);
    let range = read_range(&repo.open(), "HEAD~1..HEAD").unwrap();
    let report = run(
        &range,
        &Inputs {
            required: [Requirement::Signed].into(),
            ..Inputs::default()
        },
    );
    assert!(!report.passed);
    assert_eq!(report.commits[0].checks[0].status, Status::Unsupported);
}

#[test]
fn openpgp_signed_commit_verifies_against_the_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let (home, fingerprint, public) = gpg_key(dir.path(), "Alice <alice@example.com>");
    let alice = Who::new(
        "Alice",
        "alice@example.com",
        Signing::Gpg(home.clone(), fingerprint.clone()),
    );
    let repo = Repo::new();
    repo.commit(&Who::new("B", "b@example.com", Signing::None), "chore: base", &[]);
    let id = repo.commit(&alice, "feat: gpg signed", &[("a", "a\n")]);
    let keyring = Keyring::parse(&public).unwrap();
    let git = repo.open();
    let range = read_range(&git, "HEAD~1..HEAD").unwrap();
    let report = run(
        &range,
        &Inputs {
            required: [Requirement::Signed].into(),
            keyring: Some(&keyring),
            ..Inputs::default()
        },
    );
    assert!(report.passed, "{:?}", report.failures());
    assert!(
        report.commits[0].checks[0].detail.contains(&fingerprint),
        "{}",
        report.commits[0].checks[0].detail
    );

    // Tampered: same signature over another message.
    let raw = String::from_utf8(repo.raw(&id))
        .unwrap()
        .replace("gpg signed", "gpg signed, really");
    let forged = repo.write_raw(raw.as_bytes());
    let commit = read_commit(&git, gix::ObjectId::from_hex(forged.as_bytes()).unwrap()).unwrap();
    let signed = commit.signature.unwrap();
    let err = verify_pgp(
        &signed.armored,
        &signed.payload,
        &keyring,
        "alice@example.com",
        Instant(u64::MAX),
    )
    .unwrap_err();
    assert!(matches!(err, PgpError::BadSignature { .. }), "{err}");

    // Another committer email than the key's user id.
    let commit = read_commit(&git, gix::ObjectId::from_hex(id.as_bytes()).unwrap()).unwrap();
    let signed = commit.signature.unwrap();
    let err = verify_pgp(
        &signed.armored,
        &signed.payload,
        &keyring,
        "mallory@example.com",
        Instant(u64::MAX),
    )
    .unwrap_err();
    assert!(matches!(err, PgpError::EmailMismatch { .. }), "{err}");

    // A keyring without the key.
    let (_, _, other) = gpg_key(dir.path(), "Bob <bob@example.com>");
    let err = verify_pgp(
        &signed.armored,
        &signed.payload,
        &Keyring::parse(&other).unwrap(),
        "alice@example.com",
        Instant(u64::MAX),
    )
    .unwrap_err();
    assert!(matches!(err, PgpError::UnknownKey { .. }), "{err}");
    // Both keys, in two armour blocks one after the other: the right one is found.
    let both = [other.clone(), public.clone()].concat();
    let keyring = Keyring::parse(&both).unwrap();
    assert_eq!(keyring.len(), 2);
    verify_pgp(
        &signed.armored,
        &signed.payload,
        &keyring,
        "alice@example.com",
        Instant(u64::MAX),
    )
    .unwrap();
}

#[test]
fn approvals_by_code_owners_of_each_path() {
    let repo = Repo::new();
    let dev = Who::new("Dev", "dev@example.com", Signing::None);
    repo.commit(&dev, "chore: base", &[("README.md", "x\n")]);
    repo.git(&["tag", "base"]);
    repo.commit(
        &dev,
        "feat: api and docs",
        &[
            ("src/api.rs", "a\n"),
            ("docs/a.md", "b\n"),
            ("infra/main.tf", "c\n"),
        ],
    );
    let git = repo.open();
    let range = read_range(&git, "base..HEAD").unwrap();
    let owners = CodeOwners::parse("* @lead\n/docs/ @org/writers\n/infra/ ops@example.com\n").unwrap();
    let head = &range.head;
    let json = format!(
        r#"[{{"id":1,"user":{{"login":"lead"}},"state":"APPROVED","commit_id":"{head}","submitted_at":"2024-01-01T00:00:00Z"}},
            {{"id":2,"user":{{"login":"dev"}},"state":"APPROVED","commit_id":"{head}","submitted_at":"2024-01-01T00:00:00Z"}}]"#
    );
    let reviews = parse_reviews(json.as_bytes()).unwrap();
    let a = approvals(&reviews, "dev", head);
    let members = Members::parse(br#"{"@org/writers": ["dev"]}"#).unwrap();
    let report = run(
        &range,
        &Inputs {
            required: [Requirement::Owned].into(),
            codeowners: Some(&owners),
            approvals: Some((&a, &members)),
            ..Inputs::default()
        },
    );
    let approved: Vec<(&str, Status)> = report
        .files
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                f.checks.iter().find(|c| c.check == "approved").unwrap().status,
            )
        })
        .collect();
    assert_eq!(
        approved,
        vec![
            ("docs/a.md", Status::Fail),
            ("infra/main.tf", Status::Fail),
            ("src/api.rs", Status::Pass)
        ]
    );
    let docs = &report.files[0].checks[1].detail;
    assert!(
        docs.contains("the author's own approval does not count"),
        "{docs}"
    );
    let infra = &report.files[1].checks[1].detail;
    assert!(infra.contains("ops@example.com not resolved to users"), "{infra}");
    assert!(!report.passed);
}
