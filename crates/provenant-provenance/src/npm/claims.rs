//! The npm CLI's provenance claims against its signing certificate: the npm CLI is not a trusted
//! builder, so whatever its provenance says about the run (environment, parameters, invocation, times,
//! dependencies) must be what the certificate vouches for (slsa-verifier's "forgeable" checks).

use provenant_slsa::{Provenance, Subject};
use serde_json::Value;

use super::checks::NpmError;
use crate::gha_identity::{GITHUB, WorkflowIdentity};

fn mismatch(claim: impl Into<String>, provenance: impl Into<String>, certificate: Option<&str>) -> NpmError {
    NpmError::CertificateMismatch {
        claim: claim.into(),
        provenance: provenance.into(),
        certificate: certificate.map(str::to_owned),
    }
}

/// A provenance value that must equal the certificate's, when the provenance states it.
fn equal_claim(claim: &str, value: Option<&Value>, certificate: Option<&str>) -> Result<(), NpmError> {
    let Some(value) = value else {
        return Ok(());
    };
    let Some(text) = value.as_str() else {
        return Err(mismatch(claim, value.to_string(), certificate));
    };
    if certificate == Some(text) {
        Ok(())
    } else {
        Err(mismatch(claim, text, certificate))
    }
}

/// `equal_claim` for a claim that no extension of an early-2023 certificate (the older GitHub
/// extensions alone) can carry: repository and owner ids, workflow digest, run. Such a certificate
/// cannot vouch for it either way, so the claim is left unverified (and is not reported); a
/// certificate with the newer extensions must vouch for it as always.
fn vouched_claim(
    workflow: &WorkflowIdentity,
    claim: &str,
    value: Option<&Value>,
    certificate: Option<&str>,
) -> Result<(), NpmError> {
    if certificate.is_none() && !workflow.older_extensions.is_empty() {
        return Ok(());
    }
    equal_claim(claim, value, certificate)
}

/// The run id and attempt of the certificate (`<id>/attempts/<n>`).
fn certificate_run(workflow: &WorkflowIdentity) -> Result<Option<(String, String)>, NpmError> {
    let Some(run) = &workflow.run else {
        return Ok(None);
    };
    let parts: Vec<&str> = run.split('/').collect();
    match parts.as_slice() {
        [id, _, attempt] => Ok(Some(((*id).to_owned(), (*attempt).to_owned()))),
        _ => Err(NpmError::CertificateClaim {
            claim: "run invocation URI",
            reason: format!("{run:?}, not <run>/attempts/<n>"),
        }),
    }
}

/// The environment variables npm CLI provenance v0.2 may record: those its certificate vouches for.
const V02_ENVIRONMENT: &[&str] = &[
    "GITHUB_EVENT_NAME",
    "GITHUB_REF",
    "GITHUB_REPOSITORY",
    "GITHUB_REPOSITORY_ID",
    "GITHUB_REPOSITORY_OWNER_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_RUN_ID",
    "GITHUB_SHA",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_WORKFLOW_SHA",
];

/// What the npm CLI's provenance says about its run must be what its certificate says: the npm CLI is
/// not a trusted builder, so only the claims the certificate vouches for may be made, and those must
/// agree (slsa-verifier's "forgeable" checks).
pub(crate) fn check_against_certificate(
    provenance: &Provenance,
    predicate: &Value,
    subjects: &[Subject],
    workflow: &WorkflowIdentity,
) -> Result<(), NpmError> {
    let run = certificate_run(workflow)?;
    let v02 = matches!(provenance, Provenance::V02(_));
    check_run_parameters(v02, predicate, workflow, run.as_ref())?;
    check_run_metadata(
        v02,
        predicate,
        run.as_ref(),
        !workflow.older_extensions.is_empty(),
    )?;
    // One subject, with a sha512 digest (what the registry records).
    match subjects {
        [only] if only.digest.contains_key("sha512") => {}
        _ => {
            return Err(NpmError::NonVerifiableClaim {
                claim: format!("{} subjects, expected one with a sha512 digest", subjects.len()),
            });
        }
    }
    // The workflow file that ran.
    let trigger_path = if v02 {
        predicate.pointer("/invocation/configSource/entryPoint")
    } else {
        predicate.pointer("/buildDefinition/externalParameters/workflow/path")
    };
    if let Some(path) = trigger_path {
        equal_claim("workflow path", Some(path), workflow.config_path.as_deref())?;
    }
    // Exactly the source as resolved dependency.
    let deps = if v02 {
        predicate.pointer("/materials")
    } else {
        predicate.pointer("/buildDefinition/resolvedDependencies")
    };
    let n = deps.and_then(Value::as_array).map_or(0, Vec::len);
    if n != 1 {
        return Err(NpmError::NonVerifiableClaim {
            claim: format!("{n} resolved dependencies, expected the source alone"),
        });
    }
    if v02 {
        match predicate.get("buildConfig") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) if m.is_empty() => {}
            Some(other) => {
                return Err(NpmError::NonVerifiableClaim {
                    claim: format!("buildConfig {other}"),
                });
            }
        }
    }
    Ok(())
}

/// The parameters the npm CLI records about its run, against the certificate.
fn check_run_parameters(
    v02: bool,
    predicate: &Value,
    workflow: &WorkflowIdentity,
    run: Option<&(String, String)>,
) -> Result<(), NpmError> {
    if v02 {
        // invocation.environment: only the variables the certificate can vouch for.
        let env = predicate.pointer("/invocation/environment");
        let Some(Value::Object(env)) = env else {
            return Err(NpmError::NonVerifiableClaim {
                claim: format!(
                    "invocation.environment {}",
                    env.map_or("(none)".into(), Value::to_string)
                ),
            });
        };
        if let Some(unknown) = env.keys().find(|k| !V02_ENVIRONMENT.contains(&k.as_str())) {
            return Err(mismatch(
                format!("invocation.environment.{unknown}"),
                "(set)",
                None,
            ));
        }
        let field = |k: &str| env.get(k);
        equal_claim(
            "GITHUB_EVENT_NAME",
            field("GITHUB_EVENT_NAME"),
            workflow.trigger.as_deref(),
        )?;
        equal_claim(
            "GITHUB_REPOSITORY",
            field("GITHUB_REPOSITORY"),
            Some(&workflow.repository),
        )?;
        equal_claim("GITHUB_REF", field("GITHUB_REF"), workflow.git_ref.as_deref())?;
        vouched_claim(
            workflow,
            "GITHUB_REPOSITORY_ID",
            field("GITHUB_REPOSITORY_ID"),
            workflow.repository_id.as_deref(),
        )?;
        vouched_claim(
            workflow,
            "GITHUB_REPOSITORY_OWNER_ID",
            field("GITHUB_REPOSITORY_OWNER_ID"),
            workflow.owner_id.as_deref(),
        )?;
        equal_claim("GITHUB_SHA", field("GITHUB_SHA"), workflow.commit.as_deref())?;
        equal_claim(
            "GITHUB_WORKFLOW_REF",
            field("GITHUB_WORKFLOW_REF"),
            Some(&workflow.workflow_path_ref),
        )?;
        vouched_claim(
            workflow,
            "GITHUB_WORKFLOW_SHA",
            field("GITHUB_WORKFLOW_SHA"),
            workflow.workflow_digest.as_deref(),
        )?;
        if field("GITHUB_RUN_ID").is_some() || field("GITHUB_RUN_ATTEMPT").is_some() {
            let (id, attempt) = run.map_or((None, None), |(i, a)| (Some(i.as_str()), Some(a.as_str())));
            vouched_claim(workflow, "GITHUB_RUN_ID", field("GITHUB_RUN_ID"), id)?;
            vouched_claim(
                workflow,
                "GITHUB_RUN_ATTEMPT",
                field("GITHUB_RUN_ATTEMPT"),
                attempt,
            )?;
        }
        // invocation.parameters: none may be claimed.
        match predicate.pointer("/invocation/parameters") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) if m.is_empty() => {}
            Some(other) => {
                return Err(NpmError::NonVerifiableClaim {
                    claim: format!("invocation.parameters {other}"),
                });
            }
        }
    } else {
        // buildDefinition.internalParameters.github: only what the certificate vouches for.
        let github = predicate.pointer("/buildDefinition/internalParameters/github");
        let Some(Value::Object(github)) = github else {
            return Err(NpmError::NonVerifiableClaim {
                claim: "buildDefinition.internalParameters without a `github` object".into(),
            });
        };
        for (k, v) in github {
            let certificate = match k.as_str() {
                "event_name" => workflow.trigger.as_deref(),
                "repository_id" => workflow.repository_id.as_deref(),
                "repository_owner_id" => workflow.owner_id.as_deref(),
                _ => return Err(mismatch(format!("internalParameters.github.{k}"), "(set)", None)),
            };
            let claim = format!("internalParameters.github.{k}");
            if k == "event_name" {
                equal_claim(&claim, Some(v), certificate)?;
            } else {
                vouched_claim(workflow, &claim, Some(v), certificate)?;
            }
        }
    }
    Ok(())
}

/// The invocation id and the claims about the run the certificate cannot vouch for.
fn check_run_metadata(
    v02: bool,
    predicate: &Value,
    run: Option<&(String, String)>,
    older_certificate: bool,
) -> Result<(), NpmError> {
    // The run: invocation id against the certificate's run and attempt.
    let invocation = if v02 {
        predicate.pointer("/metadata/buildInvocationId")
    } else {
        predicate.pointer("/runDetails/metadata/invocationId")
    };
    if let Some(invocation) = invocation.and_then(Value::as_str).filter(|s| !s.is_empty()) {
        let claimed = if v02 {
            invocation.split_once('-').filter(|(_, a)| !a.contains('-'))
        } else {
            let parts: Vec<&str> = invocation.trim_start_matches(GITHUB).split('/').collect();
            match parts.as_slice() {
                [_, _, _, _, id, _, attempt] => Some((*id, *attempt)),
                _ => None,
            }
        };
        let Some((id, attempt)) = claimed else {
            return Err(mismatch("invocation id", invocation, None));
        };
        let (cert_id, cert_attempt) = run.map_or((None, None), |(i, a)| (Some(i.as_str()), Some(a.as_str())));
        // An early-2023 certificate names no run: the invocation id is left unverified.
        let unvouchable = run.is_none() && older_certificate;
        if cert_id != Some(id) && !unvouchable {
            return Err(mismatch("run id", id, cert_id));
        }
        if cert_attempt != Some(attempt) && !unvouchable {
            return Err(mismatch("run attempt", attempt, cert_attempt));
        }
    }
    // Times the certificate cannot vouch for.
    let times: &[&str] = if v02 {
        &["/metadata/buildStartedOn", "/metadata/buildFinishedOn"]
    } else {
        &[
            "/runDetails/metadata/startedOn",
            "/runDetails/metadata/finishedOn",
        ]
    };
    for pointer in times {
        if let Some(v) = predicate.pointer(pointer).filter(|v| !v.is_null()) {
            return Err(NpmError::NonVerifiableClaim {
                claim: format!("{} {v}", pointer.trim_start_matches('/').replace('/', ".")),
            });
        }
    }
    if v02 {
        if predicate.pointer("/metadata/reproducible") == Some(&Value::Bool(true)) {
            return Err(NpmError::NonVerifiableClaim {
                claim: "metadata.reproducible true".into(),
            });
        }
        for c in ["parameters", "environment", "materials"] {
            if predicate.pointer(&format!("/metadata/completeness/{c}")) == Some(&Value::Bool(true)) {
                return Err(NpmError::NonVerifiableClaim {
                    claim: format!("metadata.completeness.{c} true"),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use provenant_sigstore::{FulcioExtension, Verified};

    use super::*;
    use crate::gha_identity::workflow_identity;
    use crate::npm::builder::{GITHUB_ISSUER, NPM_CLI_HOSTED_BUILDER, NPM_CLI_LEGACY_BUILDER, check_signer};
    use crate::npm::{NpmCheck, PackageExpectations};

    /// The certificate of the npm CLI run that published `@trishankatdatadog/supreme-goggles@1.0.5`.
    fn supreme_workflow() -> WorkflowIdentity {
        WorkflowIdentity {
            repository: "trishankatdatadog/supreme-goggles".into(),
            commit: Some("38ebf99444e033b2f1550c9aaaeacd62d02a12ba".into()),
            git_ref: Some("refs/tags/v1.0.5".into()),
            repository_id: Some("636292006".into()),
            owner_id: Some("33133073".into()),
            workflow:
                "https://github.com/trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml"
                    .into(),
            workflow_ref: "refs/tags/v1.0.5".into(),
            workflow_path_ref:
                "trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml@refs/tags/v1.0.5".into(),
            workflow_digest: Some("38ebf99444e033b2f1550c9aaaeacd62d02a12ba".into()),
            hosted: Some("github-hosted".into()),
            trigger: Some("release".into()),
            config_path: Some(".github/workflows/npm-publish.yml".into()),
            run: Some("4994975790/attempts/1".into()),
            older_extensions: Vec::new(),
        }
    }

    /// The same run as an early-2023 certificate would describe it: the SAN, the issuer and the older
    /// GitHub extensions (`.2`–`.6`) alone.
    fn supreme_early_2023() -> Verified {
        Verified {
            identity: Some(
                "https://github.com/trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml@refs/tags/v1.0.5"
                    .into(),
            ),
            issuer: Some(GITHUB_ISSUER.into()),
            extensions: vec![
                (FulcioExtension::GithubWorkflowTrigger, "release".into()),
                (FulcioExtension::GithubWorkflowSha, "38ebf99444e033b2f1550c9aaaeacd62d02a12ba".into()),
                (FulcioExtension::GithubWorkflowName, "Node.js Package".into()),
                (FulcioExtension::GithubWorkflowRepository, "trishankatdatadog/supreme-goggles".into()),
                (FulcioExtension::GithubWorkflowRef, "refs/tags/v1.0.5".into()),
            ],
            integrated_time: None,
            verified_times: Vec::new(),
            log_entries: Vec::new(),
            dsse: None,
            older_extensions_used: Vec::new(),
        }
    }

    /// Issue 15, item 1: early-2023 npm provenance, whose certificate carries only Fulcio's older GitHub
    /// extensions, verifies: the repository, commit, ref and trigger come from the older extensions
    /// (which are named), the workflow path from the SAN, and the claims no such certificate can carry
    /// are left unverified; a claim it does carry that the provenance contradicts still fails, and only
    /// the npm CLI's older builder id (which claims no runner kind) is accepted.
    #[test]
    fn early_2023_certificates_with_only_older_extensions_verify() {
        let verified = supreme_early_2023();
        let workflow = workflow_identity(&verified).unwrap();
        assert_eq!(workflow.repository, "trishankatdatadog/supreme-goggles");
        assert_eq!(
            workflow.commit.as_deref(),
            Some("38ebf99444e033b2f1550c9aaaeacd62d02a12ba")
        );
        assert_eq!(workflow.git_ref.as_deref(), Some("refs/tags/v1.0.5"));
        assert_eq!(workflow.trigger.as_deref(), Some("release"));
        assert_eq!(
            workflow.config_path.as_deref(),
            Some(".github/workflows/npm-publish.yml")
        );
        assert_eq!(
            workflow.older_extensions,
            [
                FulcioExtension::GithubWorkflowTrigger,
                FulcioExtension::GithubWorkflowSha,
                FulcioExtension::GithubWorkflowRepository,
                FulcioExtension::GithubWorkflowRef,
            ]
        );
        check(&supreme_v02(), &workflow).unwrap();
        check(&supreme_v1(), &workflow).unwrap();
        for (name, value) in [
            ("GITHUB_SHA", "0000"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REPOSITORY", "other/repo"),
        ] {
            let mut forged = supreme_v02();
            forged["invocation"]["environment"][name] = value.into();
            let err = check(&forged, &workflow).expect_err(name);
            assert_eq!(err.check(), NpmCheck::Certificate, "{name}: {err}");
        }
        let expectations = |builder: &str| PackageExpectations {
            source: "github.com/trishankatdatadog/supreme-goggles".parse().unwrap(),
            builder_id: Some(builder.into()),
            package_name: None,
            package_version: None,
            git_ref: None,
        };
        let builder = check_signer(&verified, &workflow, &expectations(NPM_CLI_LEGACY_BUILDER)).unwrap();
        assert_eq!(builder.expected, NPM_CLI_LEGACY_BUILDER);
        let Err(err) = check_signer(&verified, &workflow, &expectations(NPM_CLI_HOSTED_BUILDER)) else {
            panic!("a runner kind the certificate cannot state was accepted");
        };
        assert!(matches!(err, NpmError::RunnerUnknown), "{err}");
        // The same certificate with the newer extensions as well is read from those alone.
        let mut both = verified.clone();
        both.extensions.push((
            FulcioExtension::SourceRepositoryUri,
            "https://github.com/trishankatdatadog/supreme-goggles".into(),
        ));
        assert_eq!(
            workflow_identity(&both).unwrap().older_extensions,
            [
                FulcioExtension::GithubWorkflowTrigger,
                FulcioExtension::GithubWorkflowSha,
                FulcioExtension::GithubWorkflowRef,
            ]
        );
    }

    /// Its SLSA v0.2 provenance, as the npm CLI wrote it.
    fn supreme_v02() -> Value {
        serde_json::json!({
            "buildType": "https://github.com/npm/cli/gha/v2",
            "builder": {"id": "https://github.com/actions/runner"},
            "invocation": {
                "configSource": {
                    "uri": "git+https://github.com/trishankatdatadog/supreme-goggles@refs/tags/v1.0.5",
                    "digest": {"sha1": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"},
                    "entryPoint": ".github/workflows/npm-publish.yml"
                },
                "parameters": {},
                "environment": {
                    "GITHUB_EVENT_NAME": "release",
                    "GITHUB_REF": "refs/tags/v1.0.5",
                    "GITHUB_REPOSITORY": "trishankatdatadog/supreme-goggles",
                    "GITHUB_REPOSITORY_ID": "636292006",
                    "GITHUB_REPOSITORY_OWNER_ID": "33133073",
                    "GITHUB_RUN_ATTEMPT": "1",
                    "GITHUB_RUN_ID": "4994975790",
                    "GITHUB_SHA": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba",
                    "GITHUB_WORKFLOW_REF": "trishankatdatadog/supreme-goggles/.github/workflows/npm-publish.yml@refs/tags/v1.0.5",
                    "GITHUB_WORKFLOW_SHA": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"
                }
            },
            "metadata": {
                "buildInvocationId": "4994975790-1",
                "completeness": {"parameters": false, "environment": false, "materials": false},
                "reproducible": false
            },
            "materials": [{
                "uri": "git+https://github.com/trishankatdatadog/supreme-goggles@refs/tags/v1.0.5",
                "digest": {"sha1": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"}
            }]
        })
    }

    fn supreme_v1() -> Value {
        serde_json::json!({
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": {"workflow": {
                    "ref": "refs/tags/v1.0.5",
                    "repository": "https://github.com/trishankatdatadog/supreme-goggles",
                    "path": ".github/workflows/npm-publish.yml"
                }},
                "internalParameters": {"github": {
                    "event_name": "release", "repository_id": "636292006", "repository_owner_id": "33133073"
                }},
                "resolvedDependencies": [{
                    "uri": "git+https://github.com/trishankatdatadog/supreme-goggles@refs/tags/v1.0.5",
                    "digest": {"gitCommit": "38ebf99444e033b2f1550c9aaaeacd62d02a12ba"}
                }]
            },
            "runDetails": {
                "builder": {"id": "https://github.com/actions/runner/github-hosted"},
                "metadata": {"invocationId": "https://github.com/trishankatdatadog/supreme-goggles/actions/runs/4994975790/attempts/1"}
            }
        })
    }

    fn subjects() -> Vec<Subject> {
        provenant_slsa::parse_subjects(&serde_json::json!([{
            "name": "pkg:npm/%40trishankatdatadog/supreme-goggles@1.0.5",
            "digest": {"sha512": "1e2ebece757250876cde9d0f6c636ed6e0088a23a6c477fe0cd1afcc11800a5ba0c932f4a57a12537063d49d717bb7ae76b8a2938b3d48e7f02617f6564ad919"}
        }]))
        .unwrap()
    }

    fn check(predicate: &Value, workflow: &WorkflowIdentity) -> Result<(), NpmError> {
        let predicate_type = if predicate.get("buildDefinition").is_some() {
            provenant_slsa::v1::PREDICATE_TYPE
        } else {
            provenant_slsa::v02::PREDICATE_TYPE
        };
        let provenance = Provenance::parse(predicate_type, predicate).unwrap();
        check_against_certificate(&provenance, predicate, &subjects(), workflow)
    }

    type Edit = fn(&mut Value);

    /// Forged or unverifiable claims, each edited into a valid predicate, and what the error names.
    #[allow(clippy::too_many_lines)] // One line per case: a table, not logic.
    fn forged_claims() -> Vec<(&'static str, Edit, &'static str)> {
        vec![
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_SHA"] = "0000".into(),
                "GITHUB_SHA",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_EVENT_NAME"] = "push".into(),
                "GITHUB_EVENT_NAME",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_REF"] = "refs/heads/main".into(),
                "GITHUB_REF",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["GITHUB_RUN_ID"] = "1".into(),
                "GITHUB_RUN_ID",
            ),
            (
                "v02",
                |p| {
                    p["invocation"]["environment"]["GITHUB_WORKFLOW_REF"] =
                        "x/y/.github/workflows/a.yml@refs/tags/v1.0.5".into();
                },
                "GITHUB_WORKFLOW_REF",
            ),
            (
                "v02",
                |p| p["invocation"]["environment"]["RUNNER_OS"] = "Linux".into(),
                "RUNNER_OS",
            ),
            (
                "v02",
                |p| p["invocation"]["parameters"] = serde_json::json!({"a": 1}),
                "invocation.parameters",
            ),
            (
                "v02",
                |p| p["metadata"]["buildInvocationId"] = "4994975790-2".into(),
                "run attempt",
            ),
            (
                "v02",
                |p| p["metadata"]["buildStartedOn"] = "2023-05-01T00:00:00Z".into(),
                "buildStartedOn",
            ),
            (
                "v02",
                |p| p["metadata"]["reproducible"] = true.into(),
                "reproducible",
            ),
            (
                "v02",
                |p| p["metadata"]["completeness"]["materials"] = true.into(),
                "completeness.materials",
            ),
            (
                "v02",
                |p| p["invocation"]["configSource"]["entryPoint"] = ".github/workflows/other.yml".into(),
                "workflow path",
            ),
            (
                "v02",
                |p| {
                    let m = p["materials"][0].clone();
                    p["materials"].as_array_mut().unwrap().push(m);
                },
                "2 resolved dependencies",
            ),
            (
                "v02",
                |p| p["buildConfig"] = serde_json::json!({"steps": []}),
                "buildConfig",
            ),
            (
                "v1",
                |p| p["buildDefinition"]["internalParameters"]["github"]["repository_id"] = "1".into(),
                "repository_id",
            ),
            (
                "v1",
                |p| {
                    p["buildDefinition"]["internalParameters"]["github"]["runner_environment"] =
                        "github-hosted".into();
                },
                "runner_environment",
            ),
            (
                "v1",
                |p| {
                    p["runDetails"]["metadata"]["invocationId"] =
                        "https://github.com/trishankatdatadog/supreme-goggles/actions/runs/42/attempts/1"
                            .into();
                },
                "run id",
            ),
            (
                "v1",
                |p| p["runDetails"]["metadata"]["finishedOn"] = "2023-05-01T00:00:00Z".into(),
                "finishedOn",
            ),
            (
                "v1",
                |p| {
                    p["buildDefinition"]["externalParameters"]["workflow"]["path"] =
                        ".github/workflows/other.yml".into();
                },
                "workflow path",
            ),
        ]
    }

    /// The npm CLI's claims are checked against its certificate: each forged or unverifiable claim is
    /// refused with the claim named.
    #[test]
    fn npm_cli_claims_must_match_the_certificate() {
        let workflow = supreme_workflow();
        check(&supreme_v02(), &workflow).unwrap();
        check(&supreme_v1(), &workflow).unwrap();

        let cases = forged_claims();
        for (version, edit, named) in &cases {
            let mut predicate = if *version == "v1" {
                supreme_v1()
            } else {
                supreme_v02()
            };
            edit(&mut predicate);
            let err = check(&predicate, &workflow).expect_err(named);
            assert_eq!(err.check(), NpmCheck::Certificate, "{named}: {err}");
            assert!(err.to_string().contains(named), "{named}: {err}");
        }

        // A certificate without the run cannot vouch for a recorded run id.
        let mut no_run = supreme_workflow();
        no_run.run = None;
        let err = check(&supreme_v02(), &no_run).unwrap_err();
        assert!(matches!(err, NpmError::CertificateMismatch { .. }), "{err}");
    }
}
