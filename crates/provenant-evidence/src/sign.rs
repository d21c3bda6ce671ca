//! The one signing entry point: every command that produces evidence signs through [`Signer`].

use std::io::Read as _;
use std::path::{Path, PathBuf};

use provenant_keys::{SigningKey, cosign};
use provenant_sigstore::Bundle;
use provenant_sigstore_sign::{IdentityToken, KeylessSigner, Services, keyed};
use zeroize::Zeroizing;

use crate::MAX_DOCUMENT_BYTES;

/// Largest key file read.
const MAX_KEY_FILE: u64 = 64 << 10;

/// Why signing failed. Never holds a token, a password or key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A file (key, token, artefact) could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// What the file is.
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than it may be.
    #[error("{what} {} is larger than {max} bytes", path.display())]
    TooLarge {
        /// What the file is.
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// The identity token file is not text.
    #[error("the identity token file {} is not UTF-8 text", path.display())]
    TokenFileNotText {
        /// Its path.
        path: PathBuf,
    },
    /// The password for an encrypted key could not be had.
    #[error("no password for the key {}: {detail}", path.display())]
    Password {
        /// The key.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The key file is not a usable key.
    #[error("cannot use the key {}: {detail}", path.display())]
    Key {
        /// The key.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// Keyed signing failed.
    #[error(transparent)]
    Keyed(#[from] keyed::KeyedSignError),
    /// Keyless signing failed (token, Fulcio, Rekor, TSA).
    #[error(transparent)]
    Keyless(#[from] provenant_sigstore_sign::SignError),
    /// The async runtime for the signing services could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The bundle could not be written out as JSON.
    #[error(transparent)]
    Bundle(#[from] provenant_sigstore::ParseError),
}

fn read_limited(path: &Path, what: &'static str, max: u64) -> Result<Zeroizing<Vec<u8>>, SignError> {
    let read = |source| SignError::Read {
        what,
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(max + 1).read_to_end(&mut bytes).map_err(read)?;
    if bytes.len() as u64 > max {
        return Err(SignError::TooLarge {
            what,
            path: path.to_owned(),
            max,
        });
    }
    Ok(bytes)
}

/// Loads a signing key: cosign's encrypted format (the password from `password`, asked only then)
/// or an unencrypted PKCS#8/SEC1 PEM.
pub fn load_signing_key(
    path: &Path,
    password: impl FnOnce() -> Result<Zeroizing<String>, String>,
) -> Result<SigningKey, SignError> {
    let bytes = read_limited(path, "key", MAX_KEY_FILE)?;
    let key_error = |detail: String| SignError::Key {
        path: path.to_owned(),
        detail,
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| key_error("not PEM text".to_owned()))?;
    if text.contains(cosign::PEM_LABEL) {
        let pw = password().map_err(|detail| SignError::Password {
            path: path.to_owned(),
            detail,
        })?;
        cosign::decrypt(text, pw.as_bytes()).map_err(|e| key_error(e.to_string()))
    } else {
        SigningKey::from_pem(text).map_err(|e| key_error(e.to_string()))
    }
}

/// Where the identity token of keyless signing comes from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TokenSource {
    /// The value of `--identity-token` (or `SIGSTORE_ID_TOKEN` through it): the token itself or, as
    /// cosign reads it, the path of a file holding it.
    Given(Zeroizing<String>),
    /// `SIGSTORE_ID_TOKEN`, else GitHub Actions' ambient endpoint.
    Ambient,
}

impl TokenSource {
    /// The token source a flag's value (if any) gives.
    #[must_use]
    pub fn from_flag(value: Option<&str>) -> TokenSource {
        match value {
            Some(v) => TokenSource::Given(Zeroizing::new(v.to_owned())),
            None => TokenSource::Ambient,
        }
    }

    /// The token's text: a given value that is not JWT-shaped and names a file is read from it.
    fn explicit(&self) -> Result<Option<Zeroizing<String>>, SignError> {
        let TokenSource::Given(value) = self else {
            return Ok(None);
        };
        let looks_like_jwt = value.trim().split('.').count() == 3 && !value.contains('/');
        let path = Path::new(value.as_str());
        if !looks_like_jwt && path.is_file() {
            let bytes = read_limited(path, "identity token file", MAX_DOCUMENT_BYTES)?;
            let text = std::str::from_utf8(&bytes).map_err(|_| SignError::TokenFileNotText {
                path: path.to_owned(),
            })?;
            return Ok(Some(Zeroizing::new(text.trim().to_owned())));
        }
        Ok(Some(value.clone()))
    }
}

/// How to sign.
#[derive(Debug)]
#[non_exhaustive]
pub enum SigningMethod {
    /// With a local key; the bundle carries no log entry.
    Key(SigningKey),
    /// Keylessly: a Fulcio certificate for a fresh key, logged in Rekor.
    Keyless {
        /// The services.
        services: Services,
        /// The identity token.
        token: TokenSource,
    },
}

/// A signed bundle and who signed it.
#[derive(Debug)]
pub struct Signed {
    /// The bundle.
    pub bundle: Bundle,
    /// How the signer is named: a key's hint (hex SHA-256 of its SPKI) or the certificate identity.
    pub signer: SignedBy,
}

/// Who signed a [`Signed`] bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedBy {
    /// A local key.
    Key {
        /// The bundle's key hint.
        hint: String,
        /// The key's kind (`ecdsa-p256`, …).
        kind: String,
    },
    /// A Fulcio certificate for this identity.
    Identity {
        /// The identity certified.
        identity: String,
        /// The token's issuer.
        issuer: String,
    },
}

/// What to sign.
#[derive(Clone, Copy)]
enum Payload<'a> {
    Statement(&'a [u8]),
    Blob(&'a [u8]),
    File(&'a Path),
}

/// The one signing entry point.
#[derive(Debug)]
pub struct Signer {
    method: SigningMethod,
}

impl Signer {
    /// A signer.
    #[must_use]
    pub fn new(method: SigningMethod) -> Signer {
        Signer { method }
    }

    /// Signs an in-toto statement (its exact bytes) into a DSSE bundle.
    pub fn sign_statement(&self, statement: &[u8]) -> Result<Signed, SignError> {
        self.sign(Payload::Statement(statement))
    }

    /// Signs a blob's bytes into a message-signature bundle.
    pub fn sign_blob(&self, bytes: &[u8]) -> Result<Signed, SignError> {
        self.sign(Payload::Blob(bytes))
    }

    /// Signs a file's bytes into a message-signature bundle (keylessly in constant memory).
    pub fn sign_file(&self, path: &Path) -> Result<Signed, SignError> {
        self.sign(Payload::File(path))
    }

    fn sign(&self, payload: Payload<'_>) -> Result<Signed, SignError> {
        match &self.method {
            SigningMethod::Key(key) => {
                let bundle = match payload {
                    Payload::Statement(s) => keyed::sign_statement(key, s)?,
                    Payload::Blob(b) => keyed::sign_blob(key, b)?,
                    Payload::File(path) => {
                        let bytes = std::fs::read(path).map_err(|source| SignError::Read {
                            what: "artefact",
                            path: path.to_owned(),
                            source,
                        })?;
                        keyed::sign_blob(key, &bytes)?
                    }
                };
                Ok(Signed {
                    bundle,
                    signer: SignedBy::Key {
                        hint: keyed::key_hint(key)?,
                        kind: key.kind().name().to_owned(),
                    },
                })
            }
            SigningMethod::Keyless { services, token } => sign_keyless(services, token, payload),
        }
    }
}

fn sign_keyless(services: &Services, token: &TokenSource, payload: Payload<'_>) -> Result<Signed, SignError> {
    let explicit = token.explicit()?;
    let file = match payload {
        Payload::File(path) => Some(std::fs::File::open(path).map_err(|source| SignError::Read {
            what: "artefact",
            path: path.to_owned(),
            source,
        })?),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SignError::Runtime)?;
    runtime.block_on(async {
        let token = IdentityToken::resolve(explicit.as_deref().map(String::as_str)).await?;
        tracing::info!(
            identity = token.identity(),
            issuer = token.issuer(),
            "signing keylessly"
        );
        let signer = KeylessSigner::new(services.clone(), &token);
        let bundle = match (payload, file) {
            (Payload::Statement(s), _) => signer.sign_statement(s).await?,
            (Payload::Blob(b), _) => signer.sign_blob(b).await?,
            (Payload::File(_), Some(file)) => {
                Box::pin(signer.sign_reader(std::io::BufReader::new(file))).await?
            }
            (Payload::File(path), None) => {
                return Err(SignError::Read {
                    what: "artefact",
                    path: path.to_owned(),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                });
            }
        };
        Ok(Signed {
            bundle,
            signer: SignedBy::Identity {
                identity: token.identity().to_owned(),
                issuer: token.issuer().to_owned(),
            },
        })
    })
}
