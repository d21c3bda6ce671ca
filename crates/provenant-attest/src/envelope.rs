//! [`Envelope`]: the DSSE v1 envelope and its pre-authentication encoding.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::statement::{Statement, StatementError};

/// The DSSE payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The largest envelope this crate parses, in bytes (the payload is base64 inside it).
pub const MAX_ENVELOPE_BYTES: usize = 96 * 1024 * 1024;

/// The largest number of signatures an envelope may carry.
pub const MAX_SIGNATURES: usize = 64;

const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why an envelope was refused. `field` is a JSON path such as `signatures[1].sig`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The input is larger than [`MAX_ENVELOPE_BYTES`].
    #[error("envelope is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not JSON.
    #[error("envelope is not valid JSON: {message}")]
    Json {
        /// The parser's description, with line and column.
        message: String,
    },
    /// A field has the wrong JSON type.
    #[error("`{field}` must be {expected}, found {found}")]
    WrongJsonType {
        /// Path of the field.
        field: String,
        /// What was required.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A required field is absent.
    #[error("`{field}` is required")]
    Missing {
        /// Path of the field.
        field: String,
    },
    /// A field is not base64 (standard or URL-safe alphabet, padding optional).
    #[error("`{field}` is not valid base64")]
    Base64 {
        /// Path of the field.
        field: String,
    },
    /// More signatures than [`MAX_SIGNATURES`].
    #[error("envelope has {count} signatures, more than the limit of {max}")]
    TooManySignatures {
        /// Number found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The payload type is not the one the caller required.
    #[error("payload type is `{found}`, expected `{expected}`")]
    WrongPayloadType {
        /// The type found.
        found: String,
        /// The type required.
        expected: String,
    },
    /// The payload is not a valid in-toto Statement.
    #[error("payload: {0}")]
    Statement(#[from] StatementError),
}

/// One signature in an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Unauthenticated hint naming the key; `None` when the field is absent.
    pub keyid: Option<String>,
    /// The signature bytes over [`Envelope::pae`].
    pub sig: Vec<u8>,
}

/// A DSSE v1 envelope: a typed payload and the signatures over its pre-authentication encoding.
///
/// Parsing accepts the standard and URL-safe base64 alphabets, with or without padding, as the DSSE
/// specification requires of consumers, and ignores unrecognised fields. Serialisation uses standard
/// padded base64 and sorted keys. An envelope with no signatures parses (it is an envelope being
/// built); verification refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The payload type, e.g. [`IN_TOTO_PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The payload bytes (decoded).
    pub payload: Vec<u8>,
    /// The signatures, in order.
    pub signatures: Vec<Signature>,
}

/// The DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal bytes.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let body_len = payload.len().to_string();
    let mut out =
        Vec::with_capacity(10 + type_len.len() + payload_type.len() + body_len.len() + payload.len());
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// An unsigned envelope.
    #[must_use]
    pub fn new(payload_type: impl Into<String>, payload: Vec<u8>) -> Envelope {
        Envelope {
            payload_type: payload_type.into(),
            payload,
            signatures: Vec::new(),
        }
    }

    /// An unsigned envelope carrying `statement` (deterministic JSON) as an in-toto payload.
    #[must_use]
    pub fn for_statement(statement: &Statement) -> Envelope {
        Envelope::new(IN_TOTO_PAYLOAD_TYPE, statement.to_json())
    }

    /// The bytes signatures are computed over (see [`pae`]).
    #[must_use]
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// The payload parsed as an in-toto Statement, after checking the payload type.
    ///
    /// This does not verify any signature: call it only on an envelope that has been verified.
    pub fn statement(&self) -> Result<Statement, EnvelopeError> {
        if self.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(EnvelopeError::WrongPayloadType {
                found: self.payload_type.clone(),
                expected: IN_TOTO_PAYLOAD_TYPE.to_owned(),
            });
        }
        Ok(Statement::from_json(&self.payload)?)
    }

    /// Parses an envelope from JSON text.
    pub fn from_json(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(EnvelopeError::TooLarge {
                len: bytes.len(),
                max: MAX_ENVELOPE_BYTES,
            });
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| EnvelopeError::Json {
            message: e.to_string(),
        })?;
        Envelope::from_value(&value)
    }

    /// Validates an already-parsed JSON value as an envelope.
    pub fn from_value(value: &Value) -> Result<Envelope, EnvelopeError> {
        let object = as_object(value, "envelope")?;
        let payload_type = as_string(required(object, "payloadType")?, "payloadType")?.to_owned();
        let payload = decode(as_string(required(object, "payload")?, "payload")?, "payload")?;
        let signatures = required(object, "signatures")?;
        let Value::Array(items) = signatures else {
            return Err(EnvelopeError::WrongJsonType {
                field: "signatures".to_owned(),
                expected: "an array",
                found: kind(signatures),
            });
        };
        if items.len() > MAX_SIGNATURES {
            return Err(EnvelopeError::TooManySignatures {
                count: items.len(),
                max: MAX_SIGNATURES,
            });
        }
        let mut parsed = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("signatures[{i}]");
            let sig_object = as_object(item, &path)?;
            let sig_field = format!("{path}.sig");
            let sig = sig_object.get("sig").ok_or_else(|| EnvelopeError::Missing {
                field: sig_field.clone(),
            })?;
            let sig = decode(as_string(sig, &sig_field)?, &sig_field)?;
            let keyid = match sig_object.get("keyid") {
                None | Some(Value::Null) => None,
                Some(v) => Some(as_string(v, &format!("{path}.keyid"))?.to_owned()),
            };
            parsed.push(Signature { keyid, sig });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures: parsed,
        })
    }

    /// Deterministic JSON: `payload`, `payloadType`, `signatures` (each `keyid` when present, `sig`),
    /// standard padded base64, no whitespace.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        // serde_json's map is ordered, so every object's keys come out sorted.
        serde_json::to_vec(&self.to_value()).unwrap_or_default()
    }

    /// The envelope as a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert(
            "payload".to_owned(),
            Value::String(STANDARD.encode(&self.payload)),
        );
        map.insert("payloadType".to_owned(), Value::String(self.payload_type.clone()));
        let signatures = self
            .signatures
            .iter()
            .map(|s| {
                let mut sig = Map::new();
                if let Some(keyid) = &s.keyid {
                    sig.insert("keyid".to_owned(), Value::String(keyid.clone()));
                }
                sig.insert("sig".to_owned(), Value::String(STANDARD.encode(&s.sig)));
                Value::Object(sig)
            })
            .collect();
        map.insert("signatures".to_owned(), Value::Array(signatures));
        Value::Object(map)
    }
}

/// Decodes standard or URL-safe base64, padded or not.
fn decode(text: &str, field: &str) -> Result<Vec<u8>, EnvelopeError> {
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_LENIENT.decode(text))
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| URL_SAFE_LENIENT.decode(text))
        .map_err(|_| EnvelopeError::Base64 {
            field: field.to_owned(),
        })
}

fn required<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a Value, EnvelopeError> {
    object.get(field).ok_or_else(|| EnvelopeError::Missing {
        field: field.to_owned(),
    })
}

fn as_object<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, EnvelopeError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(EnvelopeError::WrongJsonType {
            field: field.to_owned(),
            expected: "an object",
            found: kind(other),
        }),
    }
}

fn as_string<'a>(value: &'a Value, field: &str) -> Result<&'a str, EnvelopeError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(EnvelopeError::WrongJsonType {
            field: field.to_owned(),
            expected: "a string",
            found: kind(other),
        }),
    }
}

/// The JSON type of `value`, for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
