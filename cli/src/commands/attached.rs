//! Sigstore bundles attached to an image as referrers: found under every scheme and read, for
//! `promote`'s verification and for `verify`/`verify-attestation` of an image reference.

use provenant_digest::Digest;
use provenant_registry::Store;
use provenant_registry::referrers::{self, Referrer};
use provenant_sigstore::Bundle;

/// Whether a referrer may hold a sigstore bundle: typed as one, or untyped (cosign's legacy tags and
/// some tools leave the artifact type out; its layers then decide).
pub(crate) fn may_hold_bundle(referrer: &Referrer) -> bool {
    referrer
        .descriptor
        .artifact_type
        .as_deref()
        .is_none_or(referrers::is_sigstore_bundle)
}

/// The referrers of `subject`, from the referrers API, the referrers tag index and cosign's legacy
/// tags, that may hold a sigstore bundle.
pub(crate) fn bundle_referrers(store: &dyn Store, subject: &Digest) -> anyhow::Result<Vec<Referrer>> {
    let mut found = referrers::discover(store, subject, None)?;
    found.retain(may_hold_bundle);
    Ok(found)
}

/// The sigstore bundle a referrer manifest holds (its digest and the layer's are verified by the
/// store); `Err` says why there is none.
pub(crate) fn read_bundle(store: &dyn Store, referrer: &Digest) -> Result<Bundle, String> {
    let layer = referrers::read_layer(store, referrer, referrers::is_sigstore_bundle)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no sigstore bundle layer".to_owned())?;
    Bundle::from_json(&layer.bytes).map_err(|e| format!("the bundle does not parse: {e}"))
}

/// How a referrer was found, for people: `referrers-api, tag-index`.
pub(crate) fn schemes(referrer: &Referrer) -> String {
    referrer
        .schemes
        .iter()
        .map(|s| match s {
            referrers::Scheme::ReferrersApi => "referrers-api",
            referrers::Scheme::TagIndex => "tag-index",
            referrers::Scheme::CosignTag => "cosign-tag",
        })
        .collect::<Vec<_>>()
        .join(", ")
}
