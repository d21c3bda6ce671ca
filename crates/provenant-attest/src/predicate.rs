//! Predicate types Provenant knows, by URI.

/// SLSA build provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// SLSA build provenance v0.2 (read, never written).
pub const SLSA_PROVENANCE_V0_2: &str = "https://slsa.dev/provenance/v0.2";
/// SLSA verification summary attestation v1.
pub const SLSA_VSA_V1: &str = "https://slsa.dev/verification_summary/v1";
/// A `CycloneDX` BOM.
pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
/// An SPDX document.
pub const SPDX: &str = "https://spdx.dev/Document";
/// in-toto test results.
pub const TEST_RESULT_V0_1: &str = "https://in-toto.io/attestation/test-result/v0.1";
/// in-toto vulnerability scan results.
pub const VULNS_V0_2: &str = "https://in-toto.io/attestation/vulns/v0.2";
/// Provenant's reproducibility verdict (schemas/reproducibility-v1.schema.json).
pub const PROVENANT_REPRODUCIBILITY_V1: &str = "https://provenant.dev/attestation/reproducibility/v1";

/// Every predicate type above, with a short name for people.
pub const KNOWN: [(&str, &str); 8] = [
    (SLSA_PROVENANCE_V1, "SLSA provenance v1"),
    (SLSA_PROVENANCE_V0_2, "SLSA provenance v0.2"),
    (SLSA_VSA_V1, "SLSA verification summary v1"),
    (CYCLONEDX, "CycloneDX SBOM"),
    (SPDX, "SPDX SBOM"),
    (TEST_RESULT_V0_1, "test result v0.1"),
    (VULNS_V0_2, "vulnerability scan v0.2"),
    (PROVENANT_REPRODUCIBILITY_V1, "Provenant reproducibility v1"),
];

/// The short name of a known predicate type.
#[must_use]
pub fn describe(predicate_type: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(uri, _)| *uri == predicate_type)
        .map(|(_, name)| *name)
}
