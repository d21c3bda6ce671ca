use provenant_digest::{Algorithm, Digest};
use provenant_env::config::EnvironmentsFile;
use provenant_env::init::default_yaml;
use provenant_env::requirements::{
    ApprovalClaim, ApprovalEvidence, ApprovalUnverified, Duties, Duty, EvidenceKind, GateEvidence, Inputs,
    NoRoleSigned, Previous, Reason, Rejection, Requirement, evaluate,
};

fn d(n: u8) -> Digest {
    Algorithm::Sha256.hash_bytes(&[n])
}

fn file() -> EnvironmentsFile {
    EnvironmentsFile::from_yaml("f", default_yaml("r/{env}/app", "roles.yaml").unwrap().as_bytes()).unwrap()
}

const NOW: i64 = 1_780_000_000;

fn approval(n: u8, signer: &str, role: &str, env: &str) -> ApprovalEvidence {
    ApprovalEvidence {
        bundle_digest: d(n),
        content: Ok(ApprovalClaim {
            for_digest: true,
            environment: env.to_owned(),
            role: role.to_owned(),
            signer: signer.to_owned(),
            signer_holds_role: true,
            timestamp: "2026-05-28T20:00:00Z".to_owned(),
        }),
    }
}

fn passing() -> Inputs {
    Inputs {
        entry: vec![d(1)],
        previous: Previous::Promoted(d(2)),
        gate_decisions: vec![GateEvidence {
            bundle_digest: d(3),
            passed: true,
            evaluated_at: "2026-05-28T20:00:00Z".to_owned(),
            evaluated_unix: NOW - 3_600,
        }],
        gate_unverified: 0,
        approvals: vec![approval(
            4,
            "rm@example.com (https://issuer.example)",
            "release-manager",
            "prod",
        )],
        duties: Duties {
            author: Some("dev@example.com".to_owned()),
            committer: Some("merger@example.com".to_owned()),
            build_signer: Some("ci.pub".to_owned()),
            packaging_signer: Some("ci.pub".to_owned()),
        },
        rollback_recorded: false,
        now: NOW,
        source_attestations: vec![],
    }
}

#[test]
fn prod_holds_with_a_passing_gate_a_promotion_into_uat_and_one_approval() {
    let e = evaluate(&file(), 3, &passing()).unwrap();
    assert!(e.holds(), "{e:?}");
    assert_eq!(e.previous_environment.as_deref(), Some("uat"));
    let names: Vec<&str> = e.requirements.iter().map(|c| c.requirement.name()).collect();
    assert_eq!(names, ["previous-environment", "gate-decision", "approvals"]);
    assert_eq!(
        e.evidence,
        [
            (EvidenceKind::Promotion, d(2)),
            (EvidenceKind::GateDecision, d(3)),
            (EvidenceKind::Approval, d(4))
        ]
    );
    // dev requires the entry provenance only.
    let dev = evaluate(&file(), 0, &passing()).unwrap();
    assert!(dev.holds());
    assert_eq!(
        dev.requirements[0].requirement,
        Requirement::Entry { role: "ci".into() }
    );
    let mut none = passing();
    none.entry.clear();
    let dev = evaluate(&file(), 0, &none).unwrap();
    assert!(matches!(
        dev.requirements[0].failure,
        Some(Reason::NoEntryProvenance { .. })
    ));
    assert!(evaluate(&file(), 4, &passing()).is_none());
}

#[test]
fn every_failing_requirement_is_reported_not_only_the_first() {
    let mut inputs = passing();
    inputs.previous = Previous::NotPromoted {
        refused: 2,
        unverified: 1,
    };
    inputs.gate_decisions.clear();
    inputs.gate_unverified = 1;
    inputs.approvals.clear();
    let e = evaluate(&file(), 3, &inputs).unwrap();
    assert!(!e.holds());
    let failures: Vec<&Reason> = e.failures().map(|(_, r)| r).collect();
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert_eq!(
        failures[0].to_string(),
        "the digest is not recorded as promoted into uat: environments cannot be skipped (2 refused attempt(s) recorded) (1 promotion record(s) did not verify)"
    );
    assert_eq!(
        failures[1].to_string(),
        "no gate decision for the digest signed by the ci role"
    );
    assert_eq!(
        failures[2].to_string(),
        "0 of the 1 approvals required by the role release-manager (0 more found that do not count)"
    );
    assert!(e.evidence.is_empty());
}

#[test]
fn the_newest_gate_decision_decides_and_may_be_too_old() {
    let mut inputs = passing();
    inputs.gate_decisions.push(GateEvidence {
        bundle_digest: d(9),
        passed: false,
        evaluated_at: "2026-05-28T21:00:00Z".to_owned(),
        evaluated_unix: NOW - 60,
    });
    let e = evaluate(&file(), 1, &inputs).unwrap();
    assert!(matches!(
        e.failures().next(),
        Some((Requirement::GateDecision { .. }, Reason::GateDecisionFailed { evaluated_at })) if evaluated_at == "2026-05-28T21:00:00Z"
    ));
    let yaml = default_yaml("r/{env}/app", "roles.yaml")
        .unwrap()
        .replace("# max_age: 7d ", "max_age: 30m");
    let aged = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    let e = evaluate(&aged, 3, &passing()).unwrap();
    let (_, reason) = e.failures().next().unwrap();
    assert_eq!(
        reason.to_string(),
        "the gate decision of 2026-05-28T20:00:00Z is 1h old, more than the 30m allowed"
    );
}

fn rejection_of(approval: ApprovalEvidence, duties: Duties) -> Option<Rejection> {
    let mut inputs = passing();
    inputs.approvals = vec![approval];
    inputs.duties = duties;
    let e = evaluate(&file(), 3, &inputs).unwrap();
    assert_eq!(
        e.approvals.len(),
        1,
        "an approval that does not count is still reported"
    );
    assert_eq!(e.approvals[0].counts, e.approvals[0].rejection.is_none());
    assert_eq!(e.holds(), e.approvals[0].counts);
    e.approvals[0].rejection.clone()
}

#[test]
fn approvals_count_only_for_the_digest_environment_role_and_once_per_identity() {
    let duties = passing().duties;
    let rm = "rm@example.com (https://issuer.example)";
    assert_eq!(
        rejection_of(approval(5, rm, "release-manager", "prod"), duties.clone()),
        None
    );
    let mut other = approval(5, rm, "release-manager", "prod");
    if let Ok(c) = &mut other.content {
        c.for_digest = false;
    }
    assert_eq!(rejection_of(other, duties.clone()), Some(Rejection::OtherDigest));
    assert_eq!(
        rejection_of(approval(5, rm, "release-manager", "uat"), duties.clone()),
        Some(Rejection::OtherEnvironment {
            environment: "uat".into()
        })
    );
    assert!(matches!(
        rejection_of(approval(5, rm, "developer", "prod"), duties.clone()),
        Some(Rejection::RoleNotAccepted { role, .. }) if role == "developer"
    ));
    let mut unheld = approval(
        5,
        "dev@example.com (https://issuer.example)",
        "release-manager",
        "prod",
    );
    if let Ok(c) = &mut unheld.content {
        c.signer_holds_role = false;
    }
    assert!(matches!(
        rejection_of(unheld, duties.clone()),
        Some(Rejection::RoleNotHeld { .. })
    ));
    let unverified = ApprovalEvidence {
        bundle_digest: d(6),
        content: Err(NoRoleSigned::NoHolder {
            reasons: vec!["bad signature".into(), "not the ci key".into()],
        }
        .into()),
    };
    assert_eq!(
        rejection_of(unverified, duties.clone()),
        Some(Rejection::Unverified {
            error: "signed by no holder of any role (bad signature; not the ci key)".into()
        })
    );
    let no_roles = ApprovalEvidence {
        bundle_digest: d(6),
        content: Err(ApprovalUnverified::NotSigned(NoRoleSigned::NoRoles)),
    };
    assert_eq!(
        rejection_of(no_roles, duties.clone()),
        Some(Rejection::Unverified {
            error: "the roles file names no roles".into()
        })
    );
    // One identity counts once: two approvals by one release manager are not two.
    let mut inputs = passing();
    let yaml = default_yaml("r/{env}/app", "roles.yaml")
        .unwrap()
        .replace("count: 1", "count: 2");
    let two = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    inputs.approvals.push(approval(7, rm, "release-manager", "prod"));
    let e = evaluate(&two, 3, &inputs).unwrap();
    assert!(!e.holds());
    assert_eq!(
        e.approvals[1].rejection,
        Some(Rejection::AlreadyCounted { signer: rm.into() })
    );
    inputs.approvals.push(approval(
        8,
        "rm2@example.com (https://issuer.example)",
        "release-manager",
        "prod",
    ));
    assert!(evaluate(&two, 3, &inputs).unwrap().holds());
}

#[test]
fn separation_of_duties_bars_the_author_committer_and_provenance_signers() {
    let duties = passing().duties;
    for (signer, duty) in [
        ("dev@example.com (https://issuer.example)", Duty::Author),
        ("Merger@Example.com (https://issuer.example)", Duty::Committer),
        ("ci.pub", Duty::BuildSigner),
    ] {
        assert_eq!(
            rejection_of(approval(5, signer, "release-manager", "prod"), duties.clone()),
            Some(Rejection::SeparationOfDuties {
                signer: signer.into(),
                duty
            }),
            "{signer}"
        );
    }
    let packaging = Duties {
        packaging_signer: Some("pkg.pub".into()),
        ..Duties::default()
    };
    assert!(matches!(
        rejection_of(approval(5, "pkg.pub", "release-manager", "prod"), packaging),
        Some(Rejection::SeparationOfDuties {
            duty: Duty::PackagingSigner,
            ..
        })
    ));
    // Turned off by the platform, the author's approval counts.
    let yaml = default_yaml("r/{env}/app", "roles.yaml")
        .unwrap()
        .replace("separation_of_duties: true", "separation_of_duties: false");
    let off = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    let mut inputs = passing();
    inputs.approvals = vec![approval(
        5,
        "dev@example.com (https://issuer.example)",
        "release-manager",
        "prod",
    )];
    assert!(evaluate(&off, 3, &inputs).unwrap().holds());
}

#[test]
fn change_windows_and_tested_rollback_are_enforced() {
    let yaml = default_yaml("r/{env}/app", "roles.yaml").unwrap().replace(
        "      # change_windows:",
        "      rollback_tested: true\n      change_windows:\n        - {from: 2026-05-01T00:00:00Z, until: 2026-05-02T00:00:00Z}\n      # change_windows:",
    );
    let file = EnvironmentsFile::from_yaml("f", yaml.as_bytes()).unwrap();
    let e = evaluate(&file, 3, &passing()).unwrap();
    let reasons: Vec<String> = e.failures().map(|(_, r)| r.to_string()).collect();
    assert_eq!(
        reasons,
        [
            "2026-05-28T20:26:40Z is outside the change windows: 2026-05-01T00:00:00Z..2026-05-02T00:00:00Z",
            "no recorded rollback into prod: the rollback path has not been tested"
        ]
    );
    let mut inputs = passing();
    inputs.now = 1_777_600_000; // 2026-05-01T01:46:40Z
    inputs.rollback_recorded = true;
    inputs.gate_decisions[0].evaluated_unix = inputs.now - 10;
    assert!(evaluate(&file, 3, &inputs).unwrap().holds());
}
