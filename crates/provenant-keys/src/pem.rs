//! Minimal, bounded PEM reading and writing (RFC 7468): one labelled block, base64 body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Largest PEM text accepted; key files are a few hundred bytes.
const MAX_PEM: usize = 64 << 10;

/// Why text is not the PEM block expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PemError {
    /// The text is larger than any key file.
    #[error("PEM input is larger than {MAX_PEM} bytes")]
    TooLarge,
    /// No `-----BEGIN <label>-----` line was found.
    #[error("no PEM block found (expected -----BEGIN <label>-----)")]
    NoBlock,
    /// The block has no matching `-----END <label>-----` line.
    #[error("PEM block {label:?} has no END line")]
    Unterminated {
        /// The block's label.
        label: String,
    },
    /// The body is not base64.
    #[error("PEM block {label:?} is not valid base64")]
    Base64 {
        /// The block's label.
        label: String,
    },
}

/// Decodes the first PEM block in `text`, returning its label and DER bytes.
pub fn pem_decode(text: &str) -> Result<(String, Vec<u8>), PemError> {
    if text.len() > MAX_PEM {
        return Err(PemError::TooLarge);
    }
    let mut lines = text.lines().map(str::trim);
    let label = loop {
        let line = lines.next().ok_or(PemError::NoBlock)?;
        if let Some(rest) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|r| r.strip_suffix("-----"))
        {
            break rest.to_owned();
        }
    };
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    loop {
        let line = lines
            .next()
            .ok_or_else(|| PemError::Unterminated { label: label.clone() })?;
        if line == end {
            break;
        }
        body.push_str(line);
    }
    let der = BASE64
        .decode(body.as_bytes())
        .map_err(|_| PemError::Base64 { label: label.clone() })?;
    Ok((label, der))
}

/// Encodes DER bytes as a PEM block with 64-column lines and a trailing newline.
#[must_use]
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}
