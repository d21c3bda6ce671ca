//! npm's registry signing keys, as published in `keys.json`: reading them (both of the forms npm serves)
//! and looking one up by the id and usage a publish attestation names.

use provenant_sigstore::PublicKey;
use serde_json::Value;

use super::checks::NpmError;

/// The largest `keys.json` read.
pub const MAX_KEYS_BYTES: usize = 1 << 20;

/// The key usage of the registry key that signs publish attestations.
pub const ATTESTATION_KEY_USAGE: &str = "npm:attestations";

/// A registry public key from npm's `keys.json`.
#[derive(Debug, Clone)]
pub struct RegistryKey {
    /// Its id (`SHA256:<base64>`), as bundles name it in their public-key hint.
    pub key_id: String,
    /// What it signs (`npm:attestations`, `npm:signatures`).
    pub usage: String,
    /// The key.
    pub public_key: PublicKey,
    /// Valid from (inclusive), when stated.
    pub valid_from: Option<jiff::Timestamp>,
    /// Valid until (exclusive), when stated.
    pub valid_until: Option<jiff::Timestamp>,
    /// Whether it comes from the registry's own listing (`/-/npm/v1/keys`), whose keys sign both
    /// attestations and `dist.signatures`.
    pub from_registry_listing: bool,
}

/// npm's registry keys, as published in `keys.json` (the sigstore TUF repository's
/// `registry.npmjs.org/keys.json` target, or `https://registry.npmjs.org/-/npm/v1/keys`).
#[derive(Debug, Clone, Default)]
pub struct RegistryKeys {
    keys: Vec<RegistryKey>,
}

fn key_field<'a>(key: &'a Value, i: usize, path: &[&str]) -> Result<&'a Value, NpmError> {
    let mut v = key;
    for p in path {
        v = v.get(*p).ok_or_else(|| NpmError::RegistryKeys {
            reason: format!("keys[{i}].{}: missing", path.join(".")),
        })?;
    }
    Ok(v)
}

fn key_time(v: Option<&Value>, i: usize, name: &str) -> Result<Option<jiff::Timestamp>, NpmError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|e| NpmError::RegistryKeys {
            reason: format!("keys[{i}].publicKey.validFor.{name}: {e}"),
        }),
        Some(_) => Err(NpmError::RegistryKeys {
            reason: format!("keys[{i}].publicKey.validFor.{name}: not a string"),
        }),
    }
}

impl RegistryKeys {
    /// Reads `keys.json`: `{"keys": [{"keyId", "keyUsage", "publicKey": {"rawBytes" (base64 DER
    /// SubjectPublicKeyInfo), "keyDetails", "validFor": {"start", "end"?}}}]}`. The registry's other
    /// form, `{"keys": [{"keyid", "key", "expires", …}]}` (`/-/npm/v1/keys`), is read too.
    pub fn from_json(bytes: &[u8]) -> Result<RegistryKeys, NpmError> {
        use base64::Engine as _;
        let bad = |reason: String| NpmError::RegistryKeys { reason };
        if bytes.len() > MAX_KEYS_BYTES {
            return Err(bad(format!("more than {MAX_KEYS_BYTES} bytes")));
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let list = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `keys` array".into()))?;
        let mut keys = Vec::with_capacity(list.len());
        for (i, key) in list.iter().enumerate() {
            let text = |v: &Value, what: &str| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(format!("keys[{i}].{what}: not a string")))
            };
            let from_registry_listing = key.get("keyId").is_none();
            let (key_id, usage, raw, valid_from, valid_until) = if key.get("keyId").is_some() {
                (
                    text(key_field(key, i, &["keyId"])?, "keyId")?,
                    text(key_field(key, i, &["keyUsage"])?, "keyUsage")?,
                    text(
                        key_field(key, i, &["publicKey", "rawBytes"])?,
                        "publicKey.rawBytes",
                    )?,
                    key_time(key.pointer("/publicKey/validFor/start"), i, "start")?,
                    key_time(key.pointer("/publicKey/validFor/end"), i, "end")?,
                )
            } else {
                (
                    text(key_field(key, i, &["keyid"])?, "keyid")?,
                    // The registry's own listing holds only its signing keys, which also sign attestations.
                    ATTESTATION_KEY_USAGE.to_owned(),
                    text(key_field(key, i, &["key"])?, "key")?,
                    None,
                    key_time(key.get("expires"), i, "expires")?,
                )
            };
            let der = base64::engine::general_purpose::STANDARD
                .decode(raw.as_bytes())
                .map_err(|e| bad(format!("keys[{i}]: the key is not base64: {e}")))?;
            let public_key = PublicKey::from_spki_der(&der).map_err(|e| bad(format!("keys[{i}]: {e}")))?;
            keys.push(RegistryKey {
                key_id,
                usage,
                public_key,
                valid_from,
                valid_until,
                from_registry_listing,
            });
        }
        Ok(RegistryKeys { keys })
    }

    /// The keys read.
    #[must_use]
    pub fn keys(&self) -> &[RegistryKey] {
        &self.keys
    }

    /// The key with this id and usage.
    #[must_use]
    pub fn find(&self, key_id: &str, usage: &str) -> Option<&RegistryKey> {
        self.keys.iter().find(|k| k.key_id == key_id && k.usage == usage)
    }
}
