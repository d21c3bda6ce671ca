//! Integration tests of `provenant-provenance`: slsa-verifier's real signed provenance, verified
//! offline against the production trusted root snapshot, and each check failing on its own.
// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod gcb;
mod github_attestation;
mod npm;
mod npm_registry;
mod pypi;
mod slsa_verifier;
mod vsa;

/// slsa-verifier's error for a policy check of ours, as the npm and GitHub attestation verifiers report it.
pub(crate) fn policy_serror(e: &provenant_slsa::policy::PolicyError) -> &'static str {
    use provenant_slsa::policy::PolicyError;
    match e {
        PolicyError::SubjectMismatch { .. } => "serrors.ErrorMismatchHash",
        PolicyError::SourceMismatch { .. } | PolicyError::NoSource { .. } => "serrors.ErrorMismatchSource",
        PolicyError::MalformedSourceUri { .. } => "serrors.ErrorMalformedURI",
        PolicyError::SourceDisagreement { .. } => "serrors.ErrorInvalidDssePayload",
        PolicyError::InvalidRef { .. } => "serrors.ErrorInvalidRef",
        PolicyError::BranchMismatch { .. } => "serrors.ErrorMismatchBranch",
        PolicyError::TagMismatch { .. } => "serrors.ErrorMismatchTag",
        PolicyError::VersionedTagMismatch { .. } => "serrors.ErrorMismatchVersionedTag",
        PolicyError::InvalidSemver { .. } => "serrors.ErrorInvalidSemver",
        _ => "unmapped",
    }
}

/// Compares one regression case's result with slsa-verifier's expectation (`err`, its error name, or none
/// for success); a difference is pushed to `failures`, naming the case.
pub(crate) fn compare_case<T, E: std::fmt::Display>(
    index: usize,
    case: &serde_json::Value,
    result: Result<T, E>,
    serror: fn(&E) -> &'static str,
    builder_id: fn(T) -> String,
    failures: &mut Vec<String>,
) {
    let want = case["err"].as_str();
    let ok = match (&result, want) {
        (Ok(_), None) => true,
        (Err(e), Some(w)) => serror(e) == w,
        _ => false,
    };
    if !ok {
        failures.push(format!(
            "[{index}] {}: expected {want:?}, got {:?}",
            case["name"].as_str().unwrap(),
            result
                .map(builder_id)
                .map_err(|e| format!("{} ({e})", serror(&e)))
        ));
    }
}
