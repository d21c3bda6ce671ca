//! Naming of the tags that stand in for the referrers API.

use provenant_digest::Digest;

use crate::reference::Tag;

/// Legacy cosign attachment kinds, stored under `sha256-<hex>.<suffix>` tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum CosignKind {
    /// `.sig`: signatures.
    Signature,
    /// `.att`: attestations.
    Attestation,
    /// `.sbom`: SBOMs.
    Sbom,
}

impl CosignKind {
    /// Every kind, in a stable order.
    pub const ALL: [CosignKind; 3] = [CosignKind::Signature, CosignKind::Attestation, CosignKind::Sbom];

    /// The tag suffix (`sig`, `att`, `sbom`).
    #[must_use]
    pub const fn suffix(self) -> &'static str {
        match self {
            CosignKind::Signature => "sig",
            CosignKind::Attestation => "att",
            CosignKind::Sbom => "sbom",
        }
    }
}

fn base(subject: &Digest) -> String {
    // The distribution spec: `<alg>-<ref>`, the algorithm truncated to 32 and the hex to 64 characters
    // so that the tag stays within 128 characters.
    let alg: String = subject.algorithm().name().chars().take(32).collect();
    let hex: String = subject.hex().chars().take(64).collect();
    format!("{alg}-{hex}")
}

/// The referrers tag schema's tag for `subject`: `sha256-<hex>`.
#[must_use]
pub fn referrers_tag(subject: &Digest) -> Tag {
    // Always a valid tag: letters, digits and one '-', at most 97 characters.
    Tag::new_unchecked(base(subject))
}

/// cosign's legacy tag for an attachment kind: `sha256-<hex>.sig` and so on.
#[must_use]
pub fn cosign_tag(subject: &Digest, kind: CosignKind) -> Tag {
    Tag::new_unchecked(format!("{}.{}", base(subject), kind.suffix()))
}
