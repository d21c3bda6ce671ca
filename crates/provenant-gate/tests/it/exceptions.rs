//! Exceptions signed with real keys: applied only when signed by a holder of the role, unexpired and
//! matching the finding; secrets and critical findings refused unless the policy allows; every one used
//! or refused in the log; each refusal names its reason.

use base64::Engine as _;
use provenant_gate::evaluate::ExceptionInput;
use provenant_gate::exception::{Exception, ExceptionError, Holder, Roles, verify_exception};
use provenant_gate::{Policy, Status, Verdict};
use provenant_keys::{KeyKind, SigningKey};
use provenant_sigstore::PublicKey;

use crate::{clean_files, decide, normalised, sarif};

fn exception(finding: &str, expires: &str) -> Exception {
    Exception {
        finding: finding.to_owned(),
        owner: "owner@example.com".to_owned(),
        rationale: "fix scheduled for the next sprint".to_owned(),
        expires: expires.to_owned(),
        role: "security-lead".to_owned(),
        scope: None,
    }
}

fn sign(e: &Exception, key: &SigningKey) -> Vec<u8> {
    let statement = e.statement().unwrap();
    provenant_sigstore_sign::keyed::sign_statement(key, &statement.to_json())
        .unwrap()
        .to_json_v0_3()
        .unwrap()
}

fn roles(key: &SigningKey) -> Roles {
    let public = PublicKey::from_pem(&key.public_key_pem().unwrap()).unwrap();
    Roles::from([(
        "security-lead".to_owned(),
        vec![Holder::Key {
            label: "sec.pub".to_owned(),
            key: public,
        }],
    )])
}

fn input(file: &str, bundle: &[u8], roles: &Roles) -> ExceptionInput {
    ExceptionInput {
        file: file.to_owned(),
        result: verify_exception(bundle, roles, None).map_err(|e| {
            (
                provenant_gate::exception::read_unverified(bundle).ok(),
                e.to_string(),
            )
        }),
    }
}

/// Evidence whose only blocking finding is one high SAST finding; its id.
fn high_sast() -> (Vec<(String, Vec<u8>)>, String) {
    let mut files = clean_files();
    files.retain(|(n, _)| n != "semgrep.sarif");
    files.push((
        "semgrep.sarif".into(),
        sarif("Semgrep OSS", &[("python-eval", "error", "calc.py", 12)]),
    ));
    let id = provenant_findings::rule_finding_id("python-eval", Some("calc.py"), "12");
    (files, id)
}

#[test]
fn a_valid_exception_lets_a_high_finding_through_and_is_logged() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (files, id) = high_sast();
    let bundle = sign(&exception(&id, "2026-06-30"), &key);
    let p = Policy::platform_default().unwrap();
    let blocked = decide(&normalised(&files), &p, &[], &[]);
    assert_eq!(blocked.decision, Verdict::Block);
    let d = decide(
        &normalised(&files),
        &p,
        &[input("exc.json", &bundle, &roles(&key))],
        &[],
    );
    assert_eq!(d.decision, Verdict::Pass);
    let sast = d.gates.iter().find(|g| g.id == "sast").unwrap();
    assert_eq!(sast.status, Status::Pass);
    let e = sast.findings[0].exception.as_ref().unwrap();
    assert_eq!(
        (e.status.as_str(), e.owner.as_deref()),
        ("applied", Some("owner@example.com"))
    );
    assert_eq!(sast.exceptions.len(), 1);
    let log = &sast.exceptions[0];
    assert_eq!(
        (log.status.as_str(), log.approver.as_deref(), log.expires.as_str()),
        ("applied", Some("sec.pub"), "2026-06-30")
    );
    assert_eq!(log.rationale, "fix scheduled for the next sprint");
}

#[test]
fn an_exception_signed_by_someone_outside_the_role_is_refused() {
    let holder = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let stranger = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (files, id) = high_sast();
    let bundle = sign(&exception(&id, "2026-06-30"), &stranger);
    let err = verify_exception(&bundle, &roles(&holder), None).unwrap_err();
    assert!(matches!(err, ExceptionError::NotSignedByRole { .. }), "{err}");
    let p = Policy::platform_default().unwrap();
    let d = decide(
        &normalised(&files),
        &p,
        &[input("exc.json", &bundle, &roles(&holder))],
        &[],
    );
    assert_eq!(d.decision, Verdict::Block);
    let log = &d.gates.iter().find(|g| g.id == "sast").unwrap().exceptions[0];
    assert_eq!(log.status, "refused");
    assert!(
        log.reason
            .as_deref()
            .unwrap()
            .starts_with("not signed by a holder of role security-lead"),
        "{log:?}"
    );
}

#[test]
fn a_tampered_exception_is_refused() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (_, id) = high_sast();
    let bundle = sign(&exception(&id, "2026-06-30"), &key);
    // Move the expiry in the signed payload: the signature no longer verifies.
    let mut doc: serde_json::Value = serde_json::from_slice(&bundle).unwrap();
    let payload = doc["dsseEnvelope"]["payload"].as_str().unwrap().to_owned();
    let text = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(payload).unwrap()).unwrap();
    let text = text.replace("2026-06-30", "2099-06-30");
    doc["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD.encode(text).into();
    let err = verify_exception(&serde_json::to_vec(&doc).unwrap(), &roles(&key), None).unwrap_err();
    let ExceptionError::NotSignedByRole { reason, .. } = &err else {
        panic!("{err}")
    };
    assert!(reason.contains("sec.pub"), "{reason}");
}

#[test]
fn expired_wrong_finding_and_secret_exceptions_are_refused_with_reasons() {
    let key = SigningKey::generate(KeyKind::EcdsaP256).unwrap();
    let (files, id) = high_sast();
    let p = Policy::platform_default().unwrap();
    let expired = sign(&exception(&id, "2026-05-31"), &key);
    let d = decide(
        &normalised(&files),
        &p,
        &[input("old.json", &expired, &roles(&key))],
        &[],
    );
    assert_eq!(d.decision, Verdict::Block);
    let log = &d.gates.iter().find(|g| g.id == "sast").unwrap().exceptions[0];
    assert_eq!(log.reason.as_deref(), Some("expired on 2026-05-31"));
    // An exception for another finding is not used for this one.
    let other = sign(&exception("other@0123456789abcdef", "2026-06-30"), &key);
    let d = decide(
        &normalised(&files),
        &p,
        &[input("other.json", &other, &roles(&key))],
        &[],
    );
    assert_eq!(d.decision, Verdict::Block);
    assert!(d.gates.iter().all(|g| g.exceptions.is_empty()));
    // Secrets are not exceptable under the default policy, even with a valid signature.
    let mut files = clean_files();
    files.retain(|(n, _)| n != "gitleaks.json");
    files.push((
        "gitleaks.json".into(),
        br#"[{"RuleID": "aws-access-token", "File": "a.env", "StartLine": 1}]"#.to_vec(),
    ));
    let secret_id = provenant_findings::rule_finding_id("aws-access-token", Some("a.env"), "1");
    let bundle = sign(&exception(&secret_id, "2026-06-30"), &key);
    let d = decide(
        &normalised(&files),
        &p,
        &[input("s.json", &bundle, &roles(&key))],
        &[],
    );
    assert_eq!(d.decision, Verdict::Block);
    let log = &d.gates.iter().find(|g| g.id == "secrets").unwrap().exceptions[0];
    assert_eq!(
        log.reason.as_deref(),
        Some("secrets cannot be excepted under this policy")
    );
    // ...unless the platform policy allows it.
    let mut lenient = p.clone();
    lenient.exceptions.allow_secrets = true;
    lenient.exceptions.allow_critical = true;
    let d = decide(
        &normalised(&files),
        &lenient,
        &[input("s.json", &bundle, &roles(&key))],
        &[],
    );
    assert_eq!(d.decision, Verdict::Pass);
}

#[test]
fn exception_fields_are_checked_before_signing() {
    let mut e = exception("x@1", "2026-02-30");
    assert_eq!(
        e.statement().unwrap_err().to_string(),
        "exception expires: must be a date YYYY-MM-DD"
    );
    e.expires = "2026-02-28".into();
    e.owner = "nobody".into();
    assert_eq!(
        e.statement().unwrap_err().to_string(),
        "exception owner: must be an email address"
    );
}
