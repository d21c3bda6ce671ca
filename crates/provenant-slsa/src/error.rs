//! Errors of parsing predicates.

/// A field of a predicate is missing, has the wrong type or an invalid value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The field's path from the predicate's root, e.g. `buildDefinition.buildType` or
    /// `runDetails.byproducts[0].digest.sha256`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Why a predicate could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PredicateError {
    /// The predicate type is not one this crate reads.
    #[error("unsupported predicate type {predicate_type:?}: expected one of {}", .expected.join(", "))]
    UnsupportedPredicateType {
        /// The predicateType of the statement.
        predicate_type: String,
        /// The types accepted here.
        expected: &'static [&'static str],
    },
    /// The predicate is not valid for its type.
    #[error("malformed {predicate_type} predicate: {source}")]
    Malformed {
        /// The predicateType the predicate was read as.
        predicate_type: &'static str,
        /// The field at fault.
        #[source]
        source: FieldError,
    },
}

/// Deserialises `value` as `T`, reporting the path of the first field that does not fit.
pub(crate) fn from_value<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        // serde reports a missing field at its parent: name the field itself.
        let missing = reason
            .strip_prefix("missing field `")
            .and_then(|r| r.split_once('`'))
            .map(|(name, _)| name.to_owned());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name,
            (".", None) => "(predicate)".to_owned(),
            (_, Some(name)) => format!("{path}.{name}"),
            (_, None) => path,
        };
        FieldError::new(field, reason)
    })
}
