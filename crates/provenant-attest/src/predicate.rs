//! Predicate types Provenant knows, by URI: the one place a predicate-type URI is spelled.
//!
//! Adding a new kind of evidence starts here: a constant, an entry in [`KNOWN`], and (in
//! `provenant-evidence`) the policy check that accepts it.

/// SLSA build provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// SLSA build provenance v0.2 (read, never written).
pub const SLSA_PROVENANCE_V0_2: &str = "https://slsa.dev/provenance/v0.2";
/// SLSA build provenance v0.1, as Google Cloud Build's older statements carry it (read, never written).
pub const SLSA_PROVENANCE_V0_1: &str = "https://slsa.dev/provenance/v0.1";
/// SLSA verification summary attestation v1.
pub const SLSA_VSA_V1: &str = "https://slsa.dev/verification_summary/v1";
/// A `CycloneDX` BOM.
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// An SPDX document.
pub const SPDX: &str = "https://spdx.dev/Document";
/// in-toto test results.
pub const TEST_RESULT_V0_1: &str = "https://in-toto.io/attestation/test-result/v0.1";
/// in-toto vulnerability scan results, v0.1 (the gate emits one per scanner report).
pub const VULNS_V0_1: &str = "https://in-toto.io/attestation/vulns/v0.1";
/// in-toto vulnerability scan results.
pub const VULNS_V0_2: &str = "https://in-toto.io/attestation/vulns/v0.2";
/// Provenant's reproducibility verdict (schemas/reproducibility-v1.schema.json).
pub const PROVENANT_REPRODUCIBILITY_V1: &str = "https://provenant.dev/attestation/reproducibility/v1";
/// A gate's decision about a digest (reserved for the governance layer).
pub const PROVENANT_GATE_DECISION_V1: &str = "https://provenant.dev/attestation/gate-decision/v1";
/// An approval of a digest (reserved for the governance layer).
pub const PROVENANT_APPROVAL_V1: &str = "https://provenant.dev/attestation/approval/v1";
/// A change record generated from pipeline metadata (`provenant change-record`).
pub const PROVENANT_CHANGE_RECORD_V1: &str = "https://provenant.dev/attestation/change-record/v1";
/// A promotion of a digest between environments (reserved for the governance layer).
pub const PROVENANT_PROMOTION_V1: &str = "https://provenant.dev/attestation/promotion/v1";
/// A deployment of a digest (reserved for the governance layer).
pub const PROVENANT_DEPLOYMENT_V1: &str = "https://provenant.dev/attestation/deployment/v1";
/// A rollback to a digest (reserved for the governance layer).
pub const PROVENANT_ROLLBACK_V1: &str = "https://provenant.dev/attestation/rollback/v1";
/// Service-level indicators before and after a release of a digest (reserved for the governance layer).
pub const PROVENANT_RELEASE_HEALTH_V1: &str = "https://provenant.dev/attestation/release-health/v1";
/// The source a digest was built from, as reviewed (reserved for the governance layer).
pub const PROVENANT_SOURCE_V1: &str = "https://provenant.dev/attestation/source/v1";

/// Every predicate type above, with a short name for people.
pub const KNOWN: [(&str, &str); 17] = [
    (SLSA_PROVENANCE_V1, "SLSA provenance v1"),
    (SLSA_PROVENANCE_V0_2, "SLSA provenance v0.2"),
    (SLSA_PROVENANCE_V0_1, "SLSA provenance v0.1"),
    (SLSA_VSA_V1, "SLSA verification summary v1"),
    (CYCLONEDX, "CycloneDX SBOM"),
    (SPDX, "SPDX SBOM"),
    (TEST_RESULT_V0_1, "test result v0.1"),
    (VULNS_V0_1, "vulnerability scan v0.1"),
    (VULNS_V0_2, "vulnerability scan v0.2"),
    (PROVENANT_REPRODUCIBILITY_V1, "Provenant reproducibility v1"),
    (PROVENANT_GATE_DECISION_V1, "Provenant gate decision v1"),
    (PROVENANT_APPROVAL_V1, "Provenant approval v1"),
    (PROVENANT_PROMOTION_V1, "Provenant promotion v1"),
    (PROVENANT_DEPLOYMENT_V1, "Provenant deployment v1"),
    (PROVENANT_ROLLBACK_V1, "Provenant rollback v1"),
    (PROVENANT_RELEASE_HEALTH_V1, "Provenant release health v1"),
    (PROVENANT_SOURCE_V1, "Provenant source v1"),
];

/// The short name of a known predicate type.
#[must_use]
pub fn describe(predicate_type: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(uri, _)| *uri == predicate_type)
        .map(|(_, name)| *name)
}

/// Whether `predicate_type` is one of the SBOM types.
#[must_use]
pub fn is_sbom(predicate_type: &str) -> bool {
    predicate_type == CYCLONEDX || predicate_type == SPDX
}
