//! `trusted_root.json`: the Fulcio CAs, Rekor logs, CT logs and timestamp authorities a verifier trusts,
//! each with its validity window.

use crate::error::ParseError;

/// Largest trusted root accepted, in bytes (real ones are under 20 kB).
pub const MAX_TRUSTED_ROOT_BYTES: usize = 4 << 20;

/// Media type of a sigstore client trust configuration (a trusted root and a signing config in one
/// document, as sigstore-python's `--trust-config` takes).
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// Media types of trusted roots Provenant reads.
pub const TRUSTED_ROOT_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

/// A parsed `trusted_root.json`. Provenant embeds none: the caller chooses which instance to trust
/// (`--trusted-root`).
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub(crate) inner: sigstore_trust_root::TrustedRoot,
}

/// Counts of the trust material in a root, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedRootSummary {
    /// Rekor transparency logs.
    pub tlogs: usize,
    /// Fulcio certificate authorities.
    pub certificate_authorities: usize,
    /// Certificate-transparency logs.
    pub ctlogs: usize,
    /// RFC 3161 timestamp authorities.
    pub timestamp_authorities: usize,
}

impl TrustedRoot {
    /// Parses a trusted root, or the `trustedRoot` of a client trust configuration. Errors name the
    /// JSON path of the field that is missing or malformed (for instance
    /// `tlogs[0].publicKey.validFor.start`).
    pub fn from_json(json: &[u8]) -> Result<TrustedRoot, ParseError> {
        const DOC: &str = "trusted root";
        if json.len() > MAX_TRUSTED_ROOT_BYTES {
            return Err(ParseError::TooLarge {
                document: DOC,
                limit: MAX_TRUSTED_ROOT_BYTES,
                actual: json.len(),
            });
        }
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| ParseError::json(DOC, String::new(), &e))?;
        let (value, prefix) = match value.get("mediaType").and_then(serde_json::Value::as_str) {
            Some(CLIENT_TRUST_CONFIG_MEDIA_TYPE) => match value.get("trustedRoot") {
                Some(root) => (root.clone(), "trustedRoot."),
                None => return Err(ParseError::field(DOC, "trustedRoot", "is missing")),
            },
            _ => (value, ""),
        };
        let inner: sigstore_trust_root::TrustedRoot = serde_path_to_error::deserialize(value)
            .map_err(|e| ParseError::json(DOC, format!("{prefix}{}", e.path()), e.inner()))?;
        if !TRUSTED_ROOT_MEDIA_TYPES.contains(&inner.media_type.as_str()) {
            return Err(ParseError::UnsupportedMediaType {
                document: DOC,
                media_type: inner.media_type,
            });
        }
        for (i, ca) in inner.certificate_authorities.iter().enumerate() {
            if ca.cert_chain.certificates.is_empty() {
                return Err(ParseError::field(
                    DOC,
                    &format!("certificateAuthorities[{i}].certChain.certificates"),
                    "is empty: a certificate authority needs at least one certificate",
                ));
            }
        }
        for (i, tsa) in inner.timestamp_authorities.iter().enumerate() {
            if tsa.cert_chain.certificates.is_empty() {
                return Err(ParseError::field(
                    DOC,
                    &format!("timestampAuthorities[{i}].certChain.certificates"),
                    "is empty: a timestamp authority needs at least one certificate",
                ));
            }
        }
        Ok(TrustedRoot { inner })
    }

    /// A root that trusts nothing: no CA, log or timestamp authority. Only a keyed bundle verified with
    /// the transparency log waived (and no timestamp) can verify against it.
    pub fn empty() -> Result<TrustedRoot, ParseError> {
        TrustedRoot::from_json(
            br#"{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
        )
    }

    /// How much trust material the root holds.
    #[must_use]
    pub fn summary(&self) -> TrustedRootSummary {
        TrustedRootSummary {
            tlogs: self.inner.tlogs.len(),
            certificate_authorities: self.inner.certificate_authorities.len(),
            ctlogs: self.inner.ctlogs.len(),
            timestamp_authorities: self.inner.timestamp_authorities.len(),
        }
    }
}
