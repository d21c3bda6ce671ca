//! Sigstore bundles: read v0.1, v0.2 and v0.3; write v0.3.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use provenant_digest::{Algorithm, Digest};
use sigstore_types::bundle::{CertificateContent, VerificationMaterialContent};
use sigstore_types::{MediaType, SignatureContent};

use crate::error::ParseError;

/// Largest bundle accepted, in bytes. Real bundles are a few kilobytes; a DSSE payload carrying a large
/// SBOM can reach megabytes.
pub const MAX_BUNDLE_BYTES: usize = 32 << 20;

/// Media type of a v0.3 bundle, the only version Provenant writes.
pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Payload type of an in-toto statement in a DSSE envelope.
pub use provenant_attest::IN_TOTO_PAYLOAD_TYPE;

/// A bundle format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
    V0_2,
    /// `application/vnd.dev.sigstore.bundle.v0.3+json` (also spelled `…+json;version=0.3`)
    V0_3,
}

impl BundleVersion {
    /// The media type this version is written with.
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            BundleVersion::V0_1 => "application/vnd.dev.sigstore.bundle+json;version=0.1",
            BundleVersion::V0_2 => "application/vnd.dev.sigstore.bundle+json;version=0.2",
            BundleVersion::V0_3 => MEDIA_TYPE_V0_3,
        }
    }
}

impl fmt::Display for BundleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BundleVersion::V0_1 => "v0.1",
            BundleVersion::V0_2 => "v0.2",
            BundleVersion::V0_3 => "v0.3",
        })
    }
}

/// What the bundle signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentKind {
    /// A signature over an artefact's digest (`messageSignature`).
    MessageSignature,
    /// A DSSE envelope (`dsseEnvelope`), usually carrying an in-toto statement.
    DsseEnvelope,
}

/// How the signer's key is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MaterialKind {
    /// A Fulcio-issued certificate (keyless signing): v0.3's `certificate` or v0.1/v0.2's
    /// `x509CertificateChain`.
    Certificate,
    /// A hint naming a public key that the verifier supplies out of band (keyed signing).
    PublicKey,
}

/// A transparency-log entry kind, as `kind/version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryKind {
    /// `hashedrekord/0.0.1` (Rekor v1).
    HashedRekordV001,
    /// `hashedrekord/0.0.2` (Rekor v2).
    HashedRekordV002,
    /// `dsse/0.0.1` (Rekor v1).
    DsseV001,
    /// `intoto/0.0.2` (Rekor v1).
    IntotoV002,
    /// `intoto/0.0.1` (Rekor v1), as cosign attached attestations before v2; see
    /// [`Bundle::from_cosign_intoto_v001`].
    IntotoV001,
}

impl EntryKind {
    fn from_sigstore(kind: sigstore_types::KindVersion) -> Option<EntryKind> {
        use sigstore_types::KindVersion as K;
        match kind {
            K::HashedRekordV001 => Some(EntryKind::HashedRekordV001),
            K::HashedRekordV002 => Some(EntryKind::HashedRekordV002),
            K::DsseV001 => Some(EntryKind::DsseV001),
            K::IntotoV002 => Some(EntryKind::IntotoV002),
            _ => None,
        }
    }

    /// Whether the entry comes from a Rekor v2 log (no integrated time, no SET).
    #[must_use]
    pub fn is_rekor_v2(self) -> bool {
        matches!(self, EntryKind::HashedRekordV002)
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryKind::HashedRekordV001 => "hashedrekord/0.0.1",
            EntryKind::HashedRekordV002 => "hashedrekord/0.0.2",
            EntryKind::DsseV001 => "dsse/0.0.1",
            EntryKind::IntotoV002 => "intoto/0.0.2",
            EntryKind::IntotoV001 => "intoto/0.0.1",
        })
    }
}

/// A read-only summary of one transparency-log entry of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Entry kind and version.
    pub kind: EntryKind,
    /// Index in the log.
    pub log_index: u64,
    /// The log's key id (SHA-256 of its public key), lowercase hex.
    pub log_id: String,
    /// Rekor v1 integrated time (seconds since the epoch), unauthenticated until verified by the SET.
    pub integrated_time: Option<i64>,
    /// Whether the entry carries a Signed Entry Timestamp.
    pub has_inclusion_promise: bool,
    /// Whether the entry carries an inclusion proof with a checkpoint.
    pub has_inclusion_proof: bool,
}

/// A parsed sigstore bundle (any supported version).
///
/// Parsing checks structure and encodings only; nothing in a `Bundle` is trusted until
/// [`Verifier::verify`](crate::Verifier::verify) has accepted it.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub(crate) inner: sigstore_types::Bundle,
    /// The log entry and exact envelope of an `intoto/0.0.1` attestation, which `inner` (the
    /// dependency's model) cannot hold: `inner` then has the envelope and certificate and no entry.
    pub(crate) intoto_v001: Option<Box<crate::intoto_v001::IntotoV001>>,
}

impl Bundle {
    /// Parses a bundle from its JSON bytes. Errors name the field (as a JSON path) that is missing or
    /// malformed.
    pub fn from_json(json: &[u8]) -> Result<Bundle, ParseError> {
        if json.len() > MAX_BUNDLE_BYTES {
            return Err(ParseError::TooLarge {
                document: "bundle",
                limit: MAX_BUNDLE_BYTES,
                actual: json.len(),
            });
        }
        // Ambiguity first: a member named twice (serde_json would keep the last one silently, other
        // readers the first) means two verifiers could see two different bundles in the same bytes.
        crate::strict_json::check_unique_keys(json, "bundle")?;
        // Fast path: a well-formed bundle parses once. Only a failure is parsed again, to say which
        // field is wrong, and the media type is looked at first so that an unknown version is reported
        // as such, not as whatever field that version happens to lack.
        let inner: sigstore_types::Bundle = match serde_json::from_slice(json) {
            Ok(inner) => inner,
            Err(_) => return Err(Bundle::explain(json)),
        };
        // The dependency reads a bundle without a media type as v0.1; the specification requires one.
        if !has_media_type(json) {
            return Err(ParseError::field("bundle", "mediaType", "is missing"));
        }
        check_top_level(json)?;
        let bundle = Bundle {
            inner,
            intoto_v001: None,
        };
        bundle.check_structure()?;
        Ok(bundle)
    }

    /// A DSSE envelope that was logged in Rekor v1 as an `intoto/0.0.1` entry, as cosign attached
    /// attestations to images before v2: `envelope` exactly as logged (its SHA-256 is recorded in the
    /// entry), the signing certificate's DER, and the entry with its signed entry timestamp.
    /// [`Verifier::verify`](crate::Verifier::verify) checks the SET, the entry against the envelope
    /// and the certificate, the certificate at the integrated time and the signature.
    ///
    /// Such a bundle cannot be written out ([`Bundle::to_json_v0_3`] refuses it): the bundle format's
    /// readers do not take this entry kind.
    pub fn from_cosign_intoto_v001(
        envelope: &[u8],
        certificate_der: &[u8],
        entry: &crate::intoto_v001::RekorV1Entry,
    ) -> Result<Bundle, ParseError> {
        let size =
            envelope.len() + certificate_der.len() + entry.body.len() + entry.signed_entry_timestamp.len();
        if size > MAX_BUNDLE_BYTES {
            return Err(ParseError::TooLarge {
                document: "cosign attestation",
                limit: MAX_BUNDLE_BYTES,
                actual: size,
            });
        }
        let legacy = crate::intoto_v001::IntotoV001::new(envelope, certificate_der, entry)?;
        let first = legacy
            .signatures
            .first()
            .ok_or_else(|| ParseError::field("DSSE envelope", "signatures", "is empty"))?;
        let json = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "verificationMaterial": {
                "x509CertificateChain": { "certificates": [ { "rawBytes": BASE64.encode(certificate_der) } ] },
                "tlogEntries": [],
            },
            "dsseEnvelope": {
                "payloadType": legacy.payload_type,
                "payload": BASE64.encode(&legacy.payload),
                "signatures": [ { "sig": BASE64.encode(first), "keyid": "" } ],
            },
        });
        let inner: sigstore_types::Bundle = serde_json::from_value(json)
            .map_err(|e| ParseError::json("cosign attestation", String::new(), &e))?;
        Ok(Bundle {
            inner,
            intoto_v001: Some(Box::new(legacy)),
        })
    }

    /// The error for a bundle that does not parse: an unknown media type, or the path of the bad field.
    fn explain(json: &[u8]) -> ParseError {
        #[derive(serde::Deserialize)]
        struct Head {
            #[serde(rename = "mediaType")]
            media_type: Option<serde_json::Value>,
        }
        if !json.trim_ascii_start().starts_with(b"{") {
            return ParseError::field("bundle", "", "must be a JSON object");
        }
        match serde_json::from_slice::<Head>(json) {
            Err(e) => return ParseError::json("bundle", String::new(), &e),
            Ok(Head { media_type: None }) => return ParseError::field("bundle", "mediaType", "is missing"),
            Ok(Head {
                media_type: Some(serde_json::Value::String(m)),
            }) => {
                if m.parse::<MediaType>().is_err() {
                    return ParseError::UnsupportedMediaType {
                        document: "bundle",
                        media_type: m,
                    };
                }
            }
            Ok(Head { media_type: Some(_) }) => {
                return ParseError::field("bundle", "mediaType", "must be a string");
            }
        }
        let mut de = serde_json::Deserializer::from_slice(json);
        match serde_path_to_error::deserialize::<_, sigstore_types::Bundle>(&mut de) {
            Err(e) => {
                let path = e.path().to_string();
                ParseError::json("bundle", path, e.inner())
            }
            // Parsing the same bytes twice cannot succeed once and fail once.
            Ok(_) => ParseError::field("bundle", "", "could not be parsed"),
        }
    }

    /// Checks what the serde model leaves open: the certificate chain is not empty, entries are
    /// well-formed, and the content has what its kind needs.
    fn check_structure(&self) -> Result<(), ParseError> {
        let material = &self.inner.verification_material;
        if let VerificationMaterialContent::X509CertificateChain { certificates } = &material.content
            && certificates.is_empty()
        {
            return Err(ParseError::field(
                "bundle",
                "verificationMaterial.x509CertificateChain.certificates",
                "is empty: a certificate chain needs at least the signing certificate",
            ));
        }
        if let SignatureContent::DsseEnvelope(envelope) = &self.inner.content
            && envelope.payload_type.is_empty()
        {
            return Err(ParseError::field(
                "bundle",
                "dsseEnvelope.payloadType",
                "is empty",
            ));
        }
        for (i, entry) in material.tlog_entries.iter().enumerate() {
            if EntryKind::from_sigstore(entry.kind_version).is_none() {
                return Err(ParseError::field(
                    "bundle",
                    &format!("verificationMaterial.tlogEntries[{i}].kindVersion"),
                    "is not a supported entry kind",
                ));
            }
            if entry.canonicalized_body.as_bytes().is_empty() {
                return Err(ParseError::field(
                    "bundle",
                    &format!("verificationMaterial.tlogEntries[{i}].canonicalizedBody"),
                    "is empty",
                ));
            }
        }
        Ok(())
    }

    /// The bundle's format version.
    #[must_use]
    pub fn version(&self) -> BundleVersion {
        match self.inner.media_type {
            MediaType::Bundle0_1 => BundleVersion::V0_1,
            MediaType::Bundle0_2 => BundleVersion::V0_2,
            _ => BundleVersion::V0_3,
        }
    }

    /// What the bundle signs.
    #[must_use]
    pub fn content_kind(&self) -> ContentKind {
        match &self.inner.content {
            SignatureContent::DsseEnvelope(_) => ContentKind::DsseEnvelope,
            _ => ContentKind::MessageSignature,
        }
    }

    /// How the signer's key is given.
    #[must_use]
    pub fn material_kind(&self) -> MaterialKind {
        match &self.inner.verification_material.content {
            VerificationMaterialContent::PublicKey(_) => MaterialKind::PublicKey,
            _ => MaterialKind::Certificate,
        }
    }

    /// The DER of the signing (leaf) certificate, for keyless bundles.
    #[must_use]
    pub fn signing_certificate_der(&self) -> Option<&[u8]> {
        self.inner
            .signing_certificate()
            .map(sigstore_types::DerCertificate::as_bytes)
    }

    /// The signing certificate as PEM with 64-column lines, for keyless bundles.
    #[must_use]
    pub fn signing_certificate_pem(&self) -> Option<String> {
        self.signing_certificate_der()
            .map(|der| pem_encode("CERTIFICATE", der))
    }

    /// The public-key hint of a keyed bundle (unauthenticated: only a lookup aid).
    #[must_use]
    pub fn public_key_hint(&self) -> Option<&str> {
        match &self.inner.verification_material.content {
            VerificationMaterialContent::PublicKey(k) => Some(&k.hint),
            _ => None,
        }
    }

    /// The DSSE payload type and payload, for DSSE bundles. Unauthenticated until verified.
    #[must_use]
    pub fn dsse_payload(&self) -> Option<(&str, &[u8])> {
        match &self.inner.content {
            SignatureContent::DsseEnvelope(e) => Some((e.payload_type.as_str(), e.payload.as_bytes())),
            _ => None,
        }
    }

    /// The DSSE envelope of a DSSE bundle as its standard JSON form (`payloadType`, `payload`,
    /// `signatures`), for tools that take a bare envelope.
    #[must_use]
    pub fn dsse_envelope_json(&self) -> Option<Result<Vec<u8>, ParseError>> {
        match &self.inner.content {
            SignatureContent::DsseEnvelope(e) => Some(
                serde_json::to_vec(e).map_err(|err| ParseError::json("DSSE envelope", String::new(), &err)),
            ),
            _ => None,
        }
    }

    /// The digest the message signature claims to cover (an unauthenticated hint).
    #[must_use]
    pub fn message_digest(&self) -> Option<Digest> {
        match &self.inner.content {
            SignatureContent::MessageSignature(m) => m.message_digest.as_ref().and_then(|d| {
                let algorithm = match d.algorithm {
                    sigstore_types::HashAlgorithm::Sha2256 => Algorithm::Sha256,
                    sigstore_types::HashAlgorithm::Sha2512 => Algorithm::Sha512,
                    _ => return None,
                };
                Digest::from_bytes(algorithm, d.digest.as_bytes()).ok()
            }),
            _ => None,
        }
    }

    /// The raw signature bytes (the message signature, or the first DSSE signature).
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        match &self.inner.content {
            SignatureContent::DsseEnvelope(e) => e.signature.sig.as_bytes(),
            SignatureContent::MessageSignature(m) => m.signature.as_bytes(),
            _ => &[],
        }
    }

    /// A summary of the transparency-log entries.
    #[must_use]
    pub fn log_entries(&self) -> Vec<LogEntry> {
        let legacy = self.intoto_v001.as_deref().map(|e| LogEntry {
            kind: EntryKind::IntotoV001,
            log_index: e.log_index.unsigned_abs(),
            log_id: hex_lower(&e.log_id),
            integrated_time: Some(e.integrated_time),
            has_inclusion_promise: true,
            has_inclusion_proof: false,
        });
        self.inner
            .verification_material
            .tlog_entries
            .iter()
            .filter_map(|e| {
                Some(LogEntry {
                    kind: EntryKind::from_sigstore(e.kind_version)?,
                    log_index: e.log_index.get(),
                    log_id: hex_lower(e.log_id.key_id.as_bytes()),
                    integrated_time: e.integrated_time.map(jiff::Timestamp::as_second),
                    has_inclusion_promise: e.inclusion_promise.is_some(),
                    has_inclusion_proof: e.inclusion_proof.is_some(),
                })
            })
            .chain(legacy)
            .collect()
    }

    /// The number of RFC 3161 timestamps in the bundle.
    #[must_use]
    pub fn rfc3161_timestamp_count(&self) -> usize {
        self.inner
            .verification_material
            .timestamp_verification_data
            .rfc3161_timestamps
            .len()
    }

    /// Serializes the bundle as v0.3 (whatever version it was read as): `mediaType`
    /// `application/vnd.dev.sigstore.bundle.v0.3+json`, the leaf certificate alone under
    /// `certificate`, and every inclusion proof with its `logIndex` and `hashes` (even when `"0"` and
    /// `[]`, as sigstore-python requires). Pretty-printed with a final newline; the same bundle always
    /// gives the same bytes.
    pub fn to_json_v0_3(&self) -> Result<Vec<u8>, ParseError> {
        if self.intoto_v001.is_some() {
            return Err(ParseError::field(
                "bundle",
                "verificationMaterial.tlogEntries[0].kindVersion",
                "is intoto/0.0.1, which bundle readers do not take: keep the cosign attestation instead",
            ));
        }
        let mut out = self.inner.clone();
        out.media_type = MediaType::Bundle0_3;
        if let VerificationMaterialContent::X509CertificateChain { certificates } =
            &out.verification_material.content
        {
            let leaf = certificates
                .first()
                .ok_or_else(|| {
                    ParseError::field("bundle", "verificationMaterial.x509CertificateChain", "is empty")
                })?
                .raw_bytes
                .clone();
            out.verification_material.content =
                VerificationMaterialContent::Certificate(CertificateContent::new(leaf));
        }
        let mut json =
            serde_json::to_vec_pretty(&out).map_err(|e| ParseError::json("bundle", String::new(), &e))?;
        json.push(b'\n');
        Ok(json)
    }
}
/// The members a bundle may have at its top level, as the protobuf message defines them.
const TOP_LEVEL_MEMBERS: [&str; 4] = [
    "mediaType",
    "verificationMaterial",
    "dsseEnvelope",
    "messageSignature",
];

/// Refuses what protobuf JSON parsers refuse and serde's model would let through: a top-level member
/// the bundle format does not define (which one verifier may read and another ignore), and both
/// `dsseEnvelope` and `messageSignature` (the `content` oneof holds one).
fn check_top_level(json: &[u8]) -> Result<(), ParseError> {
    // The values are skipped, not built: only the member names are wanted.
    #[allow(clippy::zero_sized_map_values)]
    let members: std::collections::BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(json).map_err(|e| ParseError::json("bundle", String::new(), &e))?;
    if let Some(unknown) = members.keys().find(|k| !TOP_LEVEL_MEMBERS.contains(&k.as_str())) {
        return Err(ParseError::field(
            "bundle",
            unknown,
            "is not a member of a sigstore bundle (mediaType, verificationMaterial, and one of \
             dsseEnvelope or messageSignature): an unknown member is refused, as protobuf JSON readers do",
        ));
    }
    if members.contains_key("dsseEnvelope") && members.contains_key("messageSignature") {
        return Err(ParseError::field(
            "bundle",
            "messageSignature",
            "is given beside dsseEnvelope: a bundle carries one or the other, and one with both is \
             ambiguous",
        ));
    }
    Ok(())
}

/// Whether the top-level object has a `mediaType` member (the rest is skipped, not built).
fn has_media_type(json: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(rename = "mediaType")]
        media_type: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Head>(json).is_ok_and(|h| h.media_type.is_some())
}

/// PEM-encodes `der` under `label` with 64-column lines, the form Rekor stores and sigstore clients
/// recompute.
#[must_use]
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
