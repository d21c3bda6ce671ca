//! The normalised evidence model: what every reader produces.

use serde::{Deserialize, Serialize};

/// The formats read, as recorded in a decision's evidence list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Format {
    /// `JUnit` XML (pytest, cargo-nextest, jest-junit, Maven Surefire, gotestsum).
    Junit,
    /// lcov tracefile.
    Lcov,
    /// Cobertura XML.
    Cobertura,
    /// `JaCoCo` XML.
    Jacoco,
    /// coverage.py JSON report.
    #[serde(rename = "coverage-py")]
    CoveragePy,
    /// `llvm-cov export` JSON.
    LlvmCov,
    /// SARIF 2.1.0.
    Sarif,
    /// checkstyle XML.
    Checkstyle,
    /// trivy JSON (vulnerabilities and secrets; filesystem and image).
    Trivy,
    /// grype JSON.
    Grype,
    /// OSV-scanner JSON.
    OsvScanner,
    /// npm audit JSON, report version 2.
    NpmAudit,
    /// `CycloneDX` JSON with `vulnerabilities`.
    #[serde(rename = "cyclonedx")]
    CycloneDx,
    /// `OpenVEX` JSON.
    #[serde(rename = "openvex")]
    OpenVex,
    /// gitleaks JSON report.
    Gitleaks,
    /// detect-secrets JSON baseline.
    DetectSecrets,
}

impl Format {
    /// The spelling used in documents (`junit`, `coverage-py`, `osv-scanner`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Junit => "junit",
            Format::Lcov => "lcov",
            Format::Cobertura => "cobertura",
            Format::Jacoco => "jacoco",
            Format::CoveragePy => "coverage-py",
            Format::LlvmCov => "llvm-cov",
            Format::Sarif => "sarif",
            Format::Checkstyle => "checkstyle",
            Format::Trivy => "trivy",
            Format::Grype => "grype",
            Format::OsvScanner => "osv-scanner",
            Format::NpmAudit => "npm-audit",
            Format::CycloneDx => "cyclonedx",
            Format::OpenVex => "openvex",
            Format::Gitleaks => "gitleaks",
            Format::DetectSecrets => "detect-secrets",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity names, the same everywhere. Ordered from most to least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks and notifies.
    Critical,
    /// Blocks unless excepted.
    High,
    /// Backlog.
    Medium,
    /// Backlog.
    Low,
    /// Recorded only.
    Info,
}

impl Severity {
    /// `critical`, `high`, `medium`, `low` or `info`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// A scanner's severity word (any case: `CRITICAL`, `High`, `moderate`, `negligible`, ...), or
    /// `None` for `unknown` and words not known.
    #[must_use]
    pub fn from_word(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(Severity::Critical),
            "high" | "error" => Some(Severity::High),
            "medium" | "moderate" | "warning" => Some(Severity::Medium),
            "low" | "note" => Some(Severity::Low),
            "info" | "informational" | "negligible" | "none" => Some(Severity::Info),
            _ => None,
        }
    }

    /// A CVSS or `security-severity` score: 9.0+ critical, 7.0+ high, 4.0+ medium, above 0 low, else info.
    #[must_use]
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which gate a finding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Category {
    /// Static application security testing.
    Sast,
    /// Lint.
    Lint,
    /// A vulnerable dependency.
    Dependencies,
    /// A vulnerability in a container image's packages.
    Container,
    /// A secret.
    Secrets,
    /// Debug statements and TODO/FIXME comments.
    Hygiene,
    /// Floating inputs.
    Pinning,
}

impl Category {
    /// The gate id.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sast => "sast",
            Category::Lint => "lint",
            Category::Dependencies => "dependencies",
            Category::Container => "container",
            Category::Secrets => "secrets",
            Category::Hygiene => "hygiene",
            Category::Pinning => "pinning",
        }
    }
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Normalised path (forward slashes, no `./`, no `file://`).
    pub path: String,
    /// 1-based line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// A vulnerable package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// Name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Package URL, when the scanner gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Ecosystem or package type (`npm`, `pypi`, `deb`, ...), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// Whether the package is a direct dependency: from an SBOM's dependency graph or the scanner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
}

/// Why a finding is suppressed (recorded, never dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `vex` or `sarif`.
    pub source: String,
    /// `not_affected`, `fixed`, or the SARIF suppression kind.
    pub status: String,
    /// The justification or impact statement, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The VEX document's `@id`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// One finding of any scanner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: rule id + normalised location fingerprint, or vulnerability id + package.
    pub id: String,
    /// The gate it belongs to.
    pub category: Category,
    /// Normalised severity.
    pub severity: Severity,
    /// Rule id or vulnerability id.
    pub rule: String,
    /// Where, when the scanner says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What the scanner says (never a secret's value).
    pub message: String,
    /// The tool that reported it.
    pub tool: String,
    /// The vulnerable package (vulnerability findings). Boxed, as is `suppressed`: most findings have
    /// neither, and 100,000 findings are moved and sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Box<Package>>,
    /// Other ids of the same vulnerability (CVE, GHSA, ...), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Fixed version(s), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// The image layer (diff id or digest) a container finding was attributed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The layer's position in the image (0 = bottom), when the scanner lists the layers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_index: Option<u64>,
    /// Set when a VEX statement or a SARIF suppression covers the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Box<Suppression>>,
}

/// A test case's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestOutcome {
    /// Passed (including flaky passes).
    Passed,
    /// An assertion failed (`<failure>`).
    Failed,
    /// The test could not run to its end (`<error>`).
    Error,
    /// Skipped.
    Skipped,
}

/// A test case that did not pass or was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    /// `classname::name` (or `name` alone).
    pub name: String,
    /// Its outcome.
    pub outcome: TestOutcome,
    /// The failure's or error's message (first line, bounded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Where, when the report says (`file` attribute and `line`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// One test report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    /// Test cases.
    pub tests: u64,
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Errors.
    pub errors: u64,
    /// Skipped.
    pub skipped: u64,
    /// The cases that failed, errored or were skipped, in document order.
    pub cases: Vec<TestCase>,
}

/// Line coverage of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileCoverage {
    /// Per-line hit flags (line, hit), unsorted, possibly repeated.
    Lines(Vec<(u64, bool)>),
    /// Totals only (llvm-cov's per-file summary).
    Summary {
        /// Lines found.
        found: u64,
        /// Lines hit.
        hit: u64,
    },
}

/// One coverage report: per normalised file path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageReport {
    /// Files, in document order (a file may appear more than once: merged later).
    pub files: Vec<(String, FileCoverage)>,
}

/// What one evidence file holds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Evidence {
    /// Test results.
    Tests(TestReport),
    /// Coverage.
    Coverage {
        /// Which coverage format.
        format: Format,
        /// The report.
        report: CoverageReport,
    },
    /// Findings of a scanner.
    Findings {
        /// Which format.
        format: Format,
        /// The findings.
        findings: Vec<Finding>,
        /// The gates this file is evidence for (a SARIF run's tool, a scan's kind), even when it has
        /// no findings.
        categories: std::collections::BTreeSet<Category>,
    },
    /// An `OpenVEX` document.
    Vex(crate::vex::VexDocument),
}

impl Evidence {
    /// The format it was read from.
    #[must_use]
    pub fn format(&self) -> Format {
        match self {
            Evidence::Tests(_) => Format::Junit,
            Evidence::Coverage { format, .. } | Evidence::Findings { format, .. } => *format,
            Evidence::Vex(_) => Format::OpenVex,
        }
    }
}
