//! Reading errors: which file, where in it, and why.

/// An evidence file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {kind}")]
#[non_exhaustive]
pub struct ReadError {
    /// The file, as the caller named it.
    pub file: String,
    /// What is wrong with it.
    pub kind: ReadErrorKind,
}

/// What is wrong with an evidence file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// None of the formats read here.
    #[error(
        "not a recognised evidence format (JUnit XML, lcov, Cobertura, JaCoCo, coverage.py JSON, llvm-cov \
         JSON, SARIF 2.1.0, checkstyle XML, trivy, grype, OSV-scanner, npm audit v2, CycloneDX, OpenVEX, \
         gitleaks or detect-secrets JSON)"
    )]
    Unrecognised,
    /// Larger than any reader accepts.
    #[error("{size} bytes is more than the {max} bytes an evidence file may hold")]
    TooLarge {
        /// The input's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not well-formed JSON.
    #[error("line {line}, column {column}: not valid JSON: {reason}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// Not well-formed XML.
    #[error("line {line}, column {column}: not valid XML: {reason}")]
    Xml {
        /// 1-based line.
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// A JSON field with the wrong type or value.
    #[error("{path}: expected {expected}")]
    Field {
        /// The JSON path of the field (`$.runs[0].results[3].level`).
        path: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// An XML element or attribute with a missing or wrong value.
    #[error("line {line}: <{element}> {problem}")]
    Element {
        /// 1-based line of the element.
        line: usize,
        /// The element's name.
        element: String,
        /// What is wrong (names the attribute).
        problem: String,
    },
    /// A malformed line of a line-oriented format (lcov).
    #[error("line {line}: {problem}")]
    Line {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
}
