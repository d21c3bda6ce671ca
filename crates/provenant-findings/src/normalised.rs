//! The normalised evidence document: every file read, merged (the gate's input and custom rules' `input`).

use std::collections::{BTreeMap, BTreeSet};

use rayon::iter::{IntoParallelRefMutIterator as _, ParallelIterator as _};
use serde::{Deserialize, Serialize};

use crate::{Category, Evidence, FileCoverage, Finding, Format, TestCase, VexDocument};

/// One evidence file consumed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EvidenceRecord {
    /// The path as given.
    pub path: String,
    /// `sha256:<hex>` of its bytes.
    pub digest: String,
    /// The format it was read as.
    pub format: Format,
    /// The gates it is evidence for, beyond what its format says (scanner reports).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub categories: BTreeSet<Category>,
}

/// All test reports together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestSummary {
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
    /// Passed as a percentage of those that ran (passed, failed, errors); 0 when none ran.
    pub pass_rate: f64,
    /// The cases that did not pass (failed, errored, skipped).
    pub cases: Vec<TestCase>,
}

/// All coverage reports together: lines hit / lines found, merged by file across reports (a line hit in
/// any report is hit).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageSummary {
    /// Distinct files.
    pub files: u64,
    /// Lines found.
    pub lines_found: u64,
    /// Lines hit.
    pub lines_hit: u64,
    /// `lines_hit / lines_found` as a percentage (0 when no line was found).
    pub line_rate: f64,
}

/// One file's coverage across reports: its line flags and the best summary-only report.
type MergedFile = (Vec<(u64, bool)>, Option<(u64, u64)>);

/// Everything the gate evaluates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Normalised {
    /// The files read, sorted by path.
    pub evidence: Vec<EvidenceRecord>,
    /// Test results, when any report was given.
    pub tests: Option<TestSummary>,
    /// Coverage, when any report was given.
    pub coverage: Option<CoverageSummary>,
    /// Findings of every scanner, sorted by category, severity and id; duplicates (same category and id
    /// from two scanners) appear once.
    pub findings: Vec<Finding>,
    /// The formats seen, by gate-relevant kind (sorted).
    pub formats: BTreeSet<Format>,
    #[serde(skip)]
    coverage_files: BTreeMap<String, MergedFile>,
    #[serde(skip)]
    vex: Vec<VexDocument>,
}

impl Normalised {
    /// An empty document.
    #[must_use]
    pub fn new() -> Normalised {
        Normalised::default()
    }

    /// Adds one file's evidence. `digest` is its `sha256:<hex>`.
    pub fn add(&mut self, path: &str, digest: &str, evidence: Evidence) {
        let format = evidence.format();
        self.formats.insert(format);
        let categories = match &evidence {
            Evidence::Findings { categories, .. } => categories.clone(),
            _ => BTreeSet::new(),
        };
        self.evidence.push(EvidenceRecord {
            path: path.to_owned(),
            digest: digest.to_owned(),
            format,
            categories,
        });
        match evidence {
            Evidence::Tests(report) => {
                let t = self.tests.get_or_insert_with(TestSummary::default);
                t.tests += report.tests;
                t.passed += report.passed;
                t.failed += report.failed;
                t.errors += report.errors;
                t.skipped += report.skipped;
                t.cases.extend(report.cases);
            }
            Evidence::Coverage { report, .. } => {
                self.coverage.get_or_insert_with(CoverageSummary::default);
                for (file, cov) in report.files {
                    let entry = self.coverage_files.entry(file).or_default();
                    match cov {
                        FileCoverage::Lines(lines) if entry.0.is_empty() => entry.0 = lines,
                        FileCoverage::Lines(lines) => entry.0.extend(lines),
                        FileCoverage::Summary { found, hit } => {
                            entry.1 = Some(match entry.1 {
                                Some((f, h)) if (h, f) >= (hit, found) => (f, h),
                                _ => (found, hit),
                            });
                        }
                    }
                }
            }
            Evidence::Findings { findings, .. } if self.findings.is_empty() => self.findings = findings,
            Evidence::Findings { findings, .. } => self.findings.extend(findings),
            Evidence::Vex(doc) => self.vex.push(doc),
        }
    }

    /// Completes the document: merges coverage, applies every VEX document (`subjects` identify the
    /// evaluated artefact), marks direct dependencies from an SBOM when one is given, sorts and removes
    /// duplicate findings.
    pub fn finish(&mut self, subjects: &[String], sbom: Option<&provenant_sbom::Sbom>) {
        if let Some(t) = self.tests.as_mut() {
            let ran = t.passed + t.failed + t.errors;
            #[allow(clippy::cast_precision_loss)] // counts far below 2^52
            let rate = if ran == 0 {
                0.0
            } else {
                t.passed as f64 * 100.0 / ran as f64
            };
            t.pass_rate = rate;
        }
        for doc in &self.vex {
            doc.apply(&mut self.findings, subjects);
        }
        if let Some(sbom) = sbom {
            mark_direct(&mut self.findings, sbom);
        }
        self.evidence.sort();
        // The coverage count and the findings' sort are independent: each runs beside the other (both
        // are parallel inside, around serial steps).
        let coverage_files = &mut self.coverage_files;
        let counting = self.coverage.is_some();
        let findings = std::mem::take(&mut self.findings);
        let (counts, findings) = rayon::join(
            || {
                // Files are independent: each is sorted and counted in parallel.
                counting.then(|| {
                    coverage_files
                        .par_iter_mut()
                        .map(|(_, (lines, summary))| file_lines(lines, *summary))
                        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
                })
            },
            || sorted_unique(findings),
        );
        self.findings = findings;
        if let Some(c) = self.coverage.as_mut()
            && let Some((found, hit)) = counts
        {
            c.files = self.coverage_files.len() as u64;
            c.lines_found = found;
            c.lines_hit = hit;
            #[allow(clippy::cast_precision_loss)] // line counts far below 2^52
            let rate = if found == 0 {
                0.0
            } else {
                hit as f64 * 100.0 / found as f64
            };
            c.line_rate = rate;
        }
    }
}

/// Lines found and hit in one file: its line flags (sorted here; a line listed more than once is hit when
/// any listing hits it), else its summary.
fn file_lines(lines: &mut [(u64, bool)], summary: Option<(u64, u64)>) -> (u64, u64) {
    if lines.is_empty() {
        return summary.unwrap_or((0, 0));
    }
    lines.sort_unstable();
    let (mut found, mut hit) = (0u64, 0u64);
    let mut previous: Option<u64> = None;
    let mut previous_hit = false;
    for &(line, h) in lines.iter() {
        if previous == Some(line) {
            if h && !previous_hit {
                hit += 1;
                previous_hit = true;
            }
            continue;
        }
        previous = Some(line);
        previous_hit = h;
        found += 1;
        hit += u64::from(h);
    }
    (found, hit)
}

/// `findings` sorted by category, severity, id and tool (a stable sort: equal ones keep their order),
/// then without duplicates: a finding of the same category and id as the one kept before it is dropped.
/// Only a number per finding is sorted: its category, severity and the first 14 bytes of its id (ids
/// are `RULE@` and hex digits: they nearly always differ there); the findings themselves are compared
/// only where those are equal, and then put in place by swaps (no second vector of findings: 100,000
/// of them are tens of megabytes).
fn sorted_unique(mut findings: Vec<Finding>) -> Vec<Finding> {
    use rayon::iter::{IntoParallelRefIterator as _, ParallelIterator as _};
    let prefixes: Vec<u128> = findings
        .par_iter()
        .map(|f| {
            (u128::from(f.category as u8) << 120)
                | (u128::from(f.severity as u8) << 112)
                | (crate::sort_prefix(&f.id) >> 16)
        })
        .collect();
    let key = |i: usize| {
        findings
            .get(i)
            .map(|f| (f.category, f.severity, f.id.as_str(), f.tool.as_str()))
    };
    let order = crate::Order::by_prefix(
        prefixes,
        |i, j| key(i).cmp(&key(j)),
        // The same category and id: their numbers agree but for the severity's byte, and only then are
        // the ids compared (one list after another, 100,000 of them, mostly different).
        |(kept_prefix, kept), (next_prefix, next)| {
            const BUT_SEVERITY: u128 = !(0xff << 112);
            kept_prefix & BUT_SEVERITY == next_prefix & BUT_SEVERITY && {
                let (kept, next) = (key(kept), key(next));
                kept.map(|k| (k.0, k.2)) == next.map(|k| (k.0, k.2))
            }
        },
    );
    order.apply(&mut findings);
    findings
}

/// Sets `package.direct` from the SBOM: a component of direct scope (or that the root depends on) is
/// direct, any other component the SBOM lists is transitive; a package the SBOM does not list keeps what
/// the scanner said.
fn mark_direct(findings: &mut [Finding], sbom: &provenant_sbom::Sbom) {
    use provenant_sbom::Scope;
    let bare = |p: &str| p.split(['?', '#']).next().unwrap_or(p).to_owned();
    let mut by_purl: BTreeMap<String, bool> = BTreeMap::new();
    let mut by_name: BTreeMap<(String, String), bool> = BTreeMap::new();
    for c in sbom.components.values() {
        let direct = c.scope == Scope::Direct;
        let purl = bare(c.purl.as_str());
        by_purl.entry(purl).and_modify(|d| *d |= direct).or_insert(direct);
        by_name
            .entry((c.name.clone(), c.version.clone()))
            .and_modify(|d| *d |= direct)
            .or_insert(direct);
    }
    for f in findings {
        let Some(p) = f.package.as_mut() else { continue };
        let known = p
            .purl
            .as_deref()
            .and_then(|purl| by_purl.get(&bare(purl)))
            .or_else(|| by_name.get(&(p.name.clone(), p.version.clone())));
        if let Some(&direct) = known {
            p.direct = Some(direct);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn finding(category: Category, severity: Severity, id: &str, tool: &str, message: &str) -> Finding {
        Finding {
            id: id.to_owned(),
            category,
            severity,
            rule: id.to_owned(),
            location: None,
            message: message.to_owned(),
            tool: tool.to_owned(),
            package: None,
            aliases: Vec::new(),
            fixed_version: None,
            layer: None,
            layer_index: None,
            suppressed: None,
        }
    }

    #[test]
    fn id_prefixes_never_order_ids_against_their_bytes() {
        let ids = [
            "",
            "a",
            "a\0",
            "a\u{1}",
            "ab",
            "rule@0123456789abcdef",
            "rule@0123456789abcdee",
            "rule@0123456789abcd",
            "rule@0123456789abcdef0",
            "\u{ff}",
            "é",
        ];
        for a in ids {
            for b in ids {
                if crate::sort_prefix(a) != crate::sort_prefix(b) {
                    assert_eq!(
                        crate::sort_prefix(a) < crate::sort_prefix(b),
                        a < b,
                        "{a:?} {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn findings_sort_and_dedup_as_a_stable_sort_then_dedup_would() {
        let categories = [Category::Sast, Category::Lint, Category::Secrets];
        let severities = [Severity::Critical, Severity::High, Severity::Low];
        let mut random = provenant_testkit::Lcg::new(91);
        let mut next = |n: usize| random.below(n);
        let mut findings = Vec::new();
        for i in 0..2_000 {
            findings.push(finding(
                categories[next(3)],
                severities[next(3)],
                // Short ids, and long ones alike in their first 14 bytes (the sort's number) or more.
                &match next(3) {
                    0 => format!("rule-{}", next(40)),
                    1 => format!("a-long-rule-id-{}@{:x}", next(3), next(4)),
                    _ => format!("a-long-rule-{}", ["", "\0", "id", "id\0"][next(4)]),
                },
                ["semgrep", "codeql"][next(2)],
                &format!("finding {i}"),
            ));
        }
        let mut expected = findings.clone();
        expected.sort_by(|a, b| {
            (a.category, a.severity, &a.id, &a.tool).cmp(&(b.category, b.severity, &b.id, &b.tool))
        });
        expected.dedup_by(|b, a| a.category == b.category && a.id == b.id);
        let got = sorted_unique(findings);
        assert!(got.len() < 2_000 && got.len() > 100, "{}", got.len());
        assert_eq!(got, expected);
    }
}
