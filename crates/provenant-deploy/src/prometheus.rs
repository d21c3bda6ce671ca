//! Reading SLIs through Prometheus' HTTP API: an instant query (`GET /api/v1/query?query=…&time=…`)
//! whose answer must be one number (a scalar, or a vector of at most one sample).
//!
//! An empty vector, `NaN` or an infinity is a *missing* value (`None`), never zero: a release with a
//! missing SLI is not complete. A vector of several series is an error (aggregate it in the query, e.g.
//! with `sum(...)`), so a value is never picked from one series arbitrarily.

use serde::Deserialize;

use crate::http::{self, Deadlines, HttpError};

/// Why an SLI could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The HTTP call failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The answer is not Prometheus' JSON envelope.
    #[error("the Prometheus answer is not valid: {reason}")]
    Malformed {
        /// What is wrong, with its JSON path.
        reason: String,
    },
    /// Prometheus reported an error.
    #[error("Prometheus refused the query ({error_type}): {error}")]
    Refused {
        /// `errorType`.
        error_type: String,
        /// `error`.
        error: String,
    },
    /// The query gave several series.
    #[error("the query gave {series} series: aggregate it to one (for example with sum(...))")]
    SeveralSeries {
        /// How many.
        series: usize,
    },
    /// The query gave a result type that is not a number.
    #[error("the query gave a {result_type}, not a number: use an instant vector or scalar expression")]
    NotANumber {
        /// `resultType`.
        result_type: String,
    },
    /// The sample value is not a number.
    #[error("the sample value {value} is not a number")]
    BadValue {
        /// The value as sent.
        value: String,
    },
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct VectorSample {
    value: (serde_json::Value, String),
}

/// Reads an instant query's answer: `Ok(None)` when the value is missing (no sample, `NaN`, infinite).
pub fn parse_query_response(body: &[u8]) -> Result<Option<f64>, QueryError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| QueryError::Malformed {
        reason: e.to_string(),
    })?;
    if envelope.status != "success" {
        return Err(QueryError::Refused {
            error_type: envelope.error_type.unwrap_or_else(|| "unknown".to_owned()),
            error: envelope.error.unwrap_or_default(),
        });
    }
    let data = envelope.data.ok_or_else(|| QueryError::Malformed {
        reason: "data is missing".to_owned(),
    })?;
    let value = match data.result_type.as_str() {
        "scalar" => {
            let (_, v): (serde_json::Value, String) =
                serde_json::from_value(data.result).map_err(|e| QueryError::Malformed {
                    reason: format!("data.result: {e}"),
                })?;
            v
        }
        "vector" => {
            let mut samples: Vec<VectorSample> =
                serde_json::from_value(data.result).map_err(|e| QueryError::Malformed {
                    reason: format!("data.result: {e}"),
                })?;
            match samples.len() {
                0 => return Ok(None),
                1 => samples.remove(0).value.1,
                series => return Err(QueryError::SeveralSeries { series }),
            }
        }
        other => {
            return Err(QueryError::NotANumber {
                result_type: other.to_owned(),
            });
        }
    };
    let number: f64 = value
        .parse()
        .map_err(|_| QueryError::BadValue { value: value.clone() })?;
    Ok(number.is_finite().then_some(number))
}

/// Runs `promql` as an instant query at `time` (seconds since the epoch) against the Prometheus at
/// `base_url` (`http://host:9090`, optionally with a path prefix).
pub fn query_at(
    base_url: &str,
    promql: &str,
    time: u64,
    deadlines: Deadlines,
) -> Result<Option<f64>, QueryError> {
    let url = format!(
        "{}/api/v1/query?query={}&time={time}",
        base_url.trim_end_matches('/'),
        form_encode(promql)
    );
    let body = match http::get(&url, deadlines) {
        Ok(body) => body,
        // Prometheus answers a bad query with 400/422 and its JSON error: report that, not the status.
        Err(HttpError::Status {
            status: 400 | 422, ..
        }) => {
            return Err(QueryError::Refused {
                error_type: "bad_data".to_owned(),
                error: format!("the query {promql} was refused"),
            });
        }
        Err(e) => return Err(e.into()),
    };
    parse_query_response(&body)
}

/// `application/x-www-form-urlencoded` encoding of a query parameter.
fn form_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
