//! Quality and security evidence read into one model.
//!
//! Test results (`JUnit` XML), coverage reports (lcov, Cobertura, `JaCoCo`, coverage.py JSON, llvm-cov
//! JSON), static analysis and lint results (SARIF 2.1.0, checkstyle XML), vulnerability reports (trivy,
//! grype, OSV-scanner, npm audit v2, `CycloneDX` `vulnerabilities`), secret reports (gitleaks, trivy,
//! detect-secrets) and `OpenVEX` documents are recognised by their content ([`detect`]) and read
//! ([`read`]) into [`Evidence`]; [`Normalised`] merges any number of them into the one document the gate
//! evaluates and custom Rego rules read (`schemas/findings-v1.schema.json`).
//!
//! Every reader takes hostile bytes: it never panics, never recurses on the input's depth (XML through
//! `roxmltree`, which parses iteratively; JSON through `serde_json`, whose nesting is limited to 128), and
//! its errors name the file and the line or JSON path at fault. This crate does no I/O: callers read the
//! files (bounded) and pass their bytes.

use std::collections::BTreeSet;

mod coverage;
mod error;
mod id;
mod json;
mod json_cursor;
mod junit;
mod model;
mod normalised;
mod sarif;
mod sarif_typed;
mod scanner;
mod secrets;
mod vex;
mod vulns;

pub use error::{ReadError, ReadErrorKind};
pub use id::{normalise_path, package_finding_id, rule_finding_id};
pub use model::{
    Category, CoverageReport, Evidence, FileCoverage, Finding, Format, Location, Package, Severity,
    Suppression, TestCase, TestOutcome, TestReport,
};
pub use normalised::{CoverageSummary, EvidenceRecord, Normalised, TestSummary};
pub use scanner::{ScannerInfo, scanner_info};
pub use vex::{VexDocument, VexStatement, VexStatus};

/// Largest input any reader accepts (bytes). Callers should refuse larger files before reading them.
pub const MAX_INPUT: usize = 1 << 30;

/// Most XML nodes one document may hold (`roxmltree`'s node limit): bounds memory on hostile input.
const MAX_XML_NODES: u32 = 50_000_000;

/// Recognises the format of `bytes` by content, or `None` when it is none of the formats read here.
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let text = skip_bom_and_space(bytes);
    match text.first()? {
        b'<' => detect_xml(text),
        b'{' | b'[' => {
            let value: serde_json::Value = serde_json::from_slice(text).ok()?;
            detect_json(&value)
        }
        _ => coverage::looks_like_lcov(text).then_some(Format::Lcov),
    }
}

/// Reads one evidence file. `name` is how errors name the file (its path, as the user gave it).
pub fn read(name: &str, bytes: &[u8]) -> Result<Evidence, ReadError> {
    let err = |kind| ReadError {
        file: name.to_owned(),
        kind,
    };
    if bytes.len() > MAX_INPUT {
        return Err(err(ReadErrorKind::TooLarge {
            size: bytes.len(),
            max: MAX_INPUT,
        }));
    }
    let text = skip_bom_and_space(bytes);
    match text.first() {
        Some(b'<') => read_xml(name, text),
        Some(b'{') if let Some((findings, mut categories)) = sarif_typed::read_sarif(text) => {
            categories.extend(findings.iter().map(|f| f.category));
            Ok(Evidence::Findings {
                format: Format::Sarif,
                findings,
                categories,
            })
        }
        Some(b'{' | b'[') => {
            let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
                err(ReadErrorKind::Json {
                    line: e.line(),
                    column: e.column(),
                    reason: e.to_string(),
                })
            })?;
            let format = detect_json(&value).ok_or_else(|| err(ReadErrorKind::Unrecognised))?;
            read_json(name, format, &value)
        }
        Some(_) if coverage::looks_like_lcov(text) => {
            let report = coverage::read_lcov(text).map_err(err)?;
            Ok(Evidence::Coverage {
                format: Format::Lcov,
                report,
            })
        }
        _ => Err(err(ReadErrorKind::Unrecognised)),
    }
}

fn skip_bom_and_space(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// The name of the first element of an XML document, found without parsing the whole of it.
fn xml_root_name(text: &[u8]) -> Option<&str> {
    let mut rest = text;
    loop {
        let open = rest.iter().position(|&b| b == b'<')?;
        rest = rest.get(open + 1..)?;
        match rest.first()? {
            b'?' | b'!' => {}
            _ => {
                let end = rest
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')?;
                let name = std::str::from_utf8(rest.get(..end)?).ok()?;
                return Some(name.rsplit(':').next().unwrap_or(name));
            }
        }
    }
}

fn detect_xml(text: &[u8]) -> Option<Format> {
    match xml_root_name(text)? {
        "testsuites" | "testsuite" => Some(Format::Junit),
        "coverage" => Some(Format::Cobertura),
        "report" => Some(Format::Jacoco),
        "checkstyle" => Some(Format::Checkstyle),
        _ => None,
    }
}

fn read_xml(name: &str, text: &[u8]) -> Result<Evidence, ReadError> {
    let err = |kind| ReadError {
        file: name.to_owned(),
        kind,
    };
    let format = detect_xml(text).ok_or_else(|| err(ReadErrorKind::Unrecognised))?;
    let text = std::str::from_utf8(text).map_err(|e| {
        err(ReadErrorKind::Xml {
            line: line_of(text, e.valid_up_to()),
            column: 0,
            reason: "the document is not UTF-8".to_owned(),
        })
    })?;
    let options = roxmltree::ParsingOptions {
        // JaCoCo names its DTD; roxmltree never fetches it and bounds entity expansion.
        allow_dtd: true,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        err(ReadErrorKind::Xml {
            line: pos.row as usize,
            column: pos.col as usize,
            reason: e.to_string(),
        })
    })?;
    match format {
        Format::Junit => Ok(Evidence::Tests(junit::read(&doc).map_err(err)?)),
        Format::Cobertura => Ok(Evidence::Coverage {
            format,
            report: coverage::read_cobertura(&doc).map_err(err)?,
        }),
        Format::Jacoco => Ok(Evidence::Coverage {
            format,
            report: coverage::read_jacoco(&doc).map_err(err)?,
        }),
        Format::Checkstyle => Ok(Evidence::Findings {
            format,
            findings: sarif::read_checkstyle(&doc).map_err(err)?,
            categories: [Category::Lint].into(),
        }),
        _ => Err(err(ReadErrorKind::Unrecognised)),
    }
}

pub(crate) fn line_of(text: &[u8], offset: usize) -> usize {
    text.get(..offset).map_or(0, memchr_count) + 1
}

fn detect_json(v: &serde_json::Value) -> Option<Format> {
    use serde_json::Value;
    if let Value::Array(items) = v {
        // gitleaks writes an array of findings (empty when there are none).
        return items
            .iter()
            .all(|i| i.get("RuleID").is_some() && i.get("File").is_some())
            .then_some(Format::Gitleaks);
    }
    let has = |k: &str| v.get(k).is_some();
    let schema = v.get("$schema").and_then(Value::as_str).unwrap_or_default();
    if schema.contains("sarif") || (has("runs") && v.get("version").and_then(Value::as_str) == Some("2.1.0"))
    {
        return Some(Format::Sarif);
    }
    if has("SchemaVersion") && (has("Results") || has("ArtifactName")) {
        return Some(Format::Trivy);
    }
    if has("matches") && (has("descriptor") || has("source")) {
        return Some(Format::Grype);
    }
    if has("auditReportVersion") {
        return Some(Format::NpmAudit);
    }
    if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return Some(Format::CycloneDx);
    }
    let context = v.get("@context").and_then(Value::as_str).unwrap_or_default();
    if context.starts_with("https://openvex.dev/ns") {
        return Some(Format::OpenVex);
    }
    if has("plugins_used") && v.get("results").is_some_and(Value::is_object) {
        return Some(Format::DetectSecrets);
    }
    if v.get("type").and_then(Value::as_str) == Some("llvm.coverage.json.export") {
        return Some(Format::LlvmCov);
    }
    if has("files") && v.get("meta").is_some_and(|m| m.get("format").is_some()) {
        return Some(Format::CoveragePy);
    }
    if v.get("results").is_some_and(Value::is_array) {
        let osv = v.get("results").and_then(Value::as_array).is_some_and(|r| {
            r.iter().all(|r| {
                r.get("packages").is_some() || r.get("source").is_some() || r.get("packageSource").is_some()
            })
        });
        if osv {
            return Some(Format::OsvScanner);
        }
    }
    None
}

fn read_json(name: &str, format: Format, v: &serde_json::Value) -> Result<Evidence, ReadError> {
    let err = |kind| ReadError {
        file: name.to_owned(),
        kind,
    };
    let findings = |findings: Vec<Finding>, mut categories: BTreeSet<Category>| {
        categories.extend(findings.iter().map(|f| f.category));
        Ok(Evidence::Findings {
            format,
            findings,
            categories,
        })
    };
    let scanned = |f: &[Finding]| {
        let image = f.iter().any(|f| f.category == Category::Container) || vulns::is_image_scan(v);
        BTreeSet::from([if image {
            Category::Container
        } else {
            Category::Dependencies
        }])
    };
    let coverage = |report| Ok(Evidence::Coverage { format, report });
    match format {
        Format::Sarif => {
            let (f, categories) = sarif::read_sarif(v).map_err(err)?;
            findings(f, categories)
        }
        Format::Trivy => {
            let f = vulns::read_trivy(v).map_err(err)?;
            let c = scanned(&f);
            findings(f, c)
        }
        Format::Grype => {
            let f = vulns::read_grype(v).map_err(err)?;
            let c = scanned(&f);
            findings(f, c)
        }
        Format::OsvScanner => {
            let f = vulns::read_osv(v).map_err(err)?;
            let c = scanned(&f);
            findings(f, c)
        }
        Format::NpmAudit => {
            let f = vulns::read_npm_audit(v).map_err(err)?;
            let c = scanned(&f);
            findings(f, c)
        }
        Format::CycloneDx => {
            let f = vulns::read_cyclonedx(v).map_err(err)?;
            let c = scanned(&f);
            findings(f, c)
        }
        Format::Gitleaks => findings(
            secrets::read_gitleaks(v).map_err(err)?,
            BTreeSet::from([Category::Secrets]),
        ),
        Format::DetectSecrets => findings(
            secrets::read_detect_secrets(v).map_err(err)?,
            BTreeSet::from([Category::Secrets]),
        ),
        Format::OpenVex => Ok(Evidence::Vex(vex::read_openvex(v).map_err(err)?)),
        Format::CoveragePy => coverage(coverage::read_coveragepy(v).map_err(err)?),
        Format::LlvmCov => coverage(coverage::read_llvm_cov(v).map_err(err)?),
        _ => Err(err(ReadErrorKind::Unrecognised)),
    }
}

/// A sort key for strings: the first 16 bytes of `s`, big-endian, zero-padded. `sort_prefix(a) <
/// sort_prefix(b)` implies `a < b`, so a key `(sort_prefix(s), s)` orders as `s` does while most
/// comparisons of distinct strings (ids: `RULE@` and hex digits) need no `memcmp`.
#[must_use]
pub fn sort_prefix(s: &str) -> u128 {
    let mut bytes = [0u8; 16];
    for (b, c) in bytes.iter_mut().zip(s.as_bytes()) {
        *b = *c;
    }
    u128::from_be_bytes(bytes)
}

/// Where a sort by small keys puts each item of a large list (100,000 findings are tens of megabytes:
/// the keys are sorted, in parallel, and the items are then moved once, by swaps, with no second
/// vector). Build it with [`Order::by_keys`] from the items' keys, then [`Order::apply`] it to them.
#[derive(Debug)]
pub struct Order {
    /// Where the item at each position goes.
    target: Vec<usize>,
    /// How many items are kept (the first ones once the order is applied).
    kept: usize,
}

impl Order {
    /// The order of a stable sort by `keys` (`keys[i]` the key of item `i`: equal keys keep their
    /// items' order), keeping of each run of consecutive keys for which `same(kept, next)` holds only
    /// the first (`|_, _| false` keeps every item).
    pub fn by_keys<K: Ord + Send>(keys: Vec<K>, mut same: impl FnMut(&K, &K) -> bool) -> Order {
        use rayon::slice::ParallelSliceMut as _;
        let n = keys.len();
        let mut keys: Vec<(K, usize)> = keys.into_iter().zip(0..).collect();
        // The index makes every key distinct: an unstable sort orders them as a stable one would.
        keys.par_sort_unstable();
        keys.dedup_by(|next, kept| same(&kept.0, &next.0));
        Order::of_sorted(n, keys.iter().map(|(_, i)| *i))
    }

    /// [`Order::by_keys`] for items whose keys begin with a number: `prefixes[i]` for item `i`, such
    /// that a smaller number means a smaller key. Only the numbers are sorted (with the items'
    /// positions); `tie(i, j)` compares the whole keys of items `i` and `j` when their numbers are equal,
    /// and `same(kept, next)` is given each item's number and position. Sorting sixteen bytes a key
    /// instead of whole keys of strings is what makes this the faster of the two for 100,000 findings.
    pub fn by_prefix(
        prefixes: Vec<u128>,
        tie: impl Fn(usize, usize) -> std::cmp::Ordering + Sync,
        mut same: impl FnMut((u128, usize), (u128, usize)) -> bool,
    ) -> Order {
        use rayon::slice::ParallelSliceMut as _;
        let n = prefixes.len();
        let mut keys: Vec<(u128, usize)> = prefixes.into_iter().zip(0..).collect();
        // Equal whole keys are ordered by position: the unstable sort orders them as a stable one would.
        keys.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| tie(a.1, b.1)).then(a.1.cmp(&b.1)));
        keys.dedup_by(|next, kept| same(*kept, *next));
        Order::of_sorted(n, keys.iter().map(|(_, i)| *i))
    }

    /// The order that puts the items at positions `sorted` first, in that order, and the `n` items'
    /// others after them.
    fn of_sorted(n: usize, sorted: impl ExactSizeIterator<Item = usize>) -> Order {
        let kept = sorted.len();
        // The kept items go to their place in the order, the dropped ones after them.
        let mut target = vec![usize::MAX; n];
        for (position, i) in sorted.enumerate() {
            if let Some(t) = target.get_mut(i) {
                *t = position;
            }
        }
        let mut next_dropped = kept;
        for t in &mut target {
            if *t == usize::MAX {
                *t = next_dropped;
                next_dropped += 1;
            }
        }
        Order { target, kept }
    }

    /// Puts `items` (the ones the keys were taken from, in the same order) in this order, without
    /// the dropped ones.
    pub fn apply<T>(mut self, items: &mut Vec<T>) {
        permute_in_place(items, &mut self.target);
        items.truncate(self.kept);
    }
}

/// Moves the item at each position `i` of `items` to position `target[i]` (`target` a permutation of the
/// positions; it is left as the identity), by swaps: at most one per item, and no second vector. The
/// sorts of large lists (100,000 findings) order small keys, then move the items once this way.
pub fn permute_in_place<T>(items: &mut [T], target: &mut [usize]) {
    let n = items.len().min(target.len());
    for i in 0..n {
        loop {
            let t = target.get(i).copied().unwrap_or(i);
            if t == i || t >= n {
                break;
            }
            items.swap(i, t);
            target.swap(i, t);
        }
    }
}

/// Newlines in `text`.
fn memchr_count(text: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', text).count()
}

/// The pieces of `text` between newlines, as `text.split(|&b| b == b'\n')` gives them (each newline
/// found by `memchr`, not byte by byte: a million-line tracefile).
pub(crate) fn split_lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let r = rest?;
        if let Some(i) = memchr::memchr(b'\n', r) {
            rest = r.get(i + 1..);
            r.get(..i)
        } else {
            rest = None;
            Some(r)
        }
    })
}

#[cfg(test)]
mod tests {
    use provenant_testkit::Lcg;

    #[test]
    fn split_lines_gives_the_pieces_split_gives() {
        for text in [
            &b""[..],
            b"\n",
            b"a",
            b"a\n",
            b"\na",
            b"a\nb",
            b"a\n\nb\n\n",
            b"\r\n\r\n",
        ] {
            let expected: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
            assert_eq!(super::split_lines(text).collect::<Vec<_>>(), expected, "{text:?}");
            assert_eq!(super::memchr_count(text), expected.len() - 1);
        }
    }

    #[test]
    fn permute_in_place_moves_each_item_to_its_target() {
        let mut random = Lcg::new(7);
        for n in [0usize, 1, 2, 3, 10, 257] {
            // A shuffled permutation of 0..n.
            let mut target: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                target.swap(i, random.below(i + 1));
            }
            let items: Vec<String> = (0..n).map(|i| format!("item {i}")).collect();
            let mut expected = vec![String::new(); n];
            for (i, &t) in target.iter().enumerate() {
                expected[t].clone_from(&items[i]);
            }
            let mut moved = items.clone();
            super::permute_in_place(&mut moved, &mut target);
            assert_eq!(moved, expected);
            assert!(target.iter().enumerate().all(|(i, &t)| i == t));
        }
    }

    #[test]
    fn order_by_keys_is_a_stable_sort_then_dedup() {
        let mut random = Lcg::new(5);
        for n in [0usize, 1, 2, 9, 3_000] {
            let items: Vec<(usize, usize, usize)> =
                (0..n).map(|i| (random.below(7), random.below(50), i)).collect();
            for dedup in [false, true] {
                let mut expected = items.clone();
                expected.sort_by_key(|&(a, b, _)| (a, b));
                if dedup {
                    expected.dedup_by_key(|&mut (a, _, _)| a);
                }
                let keys: Vec<(usize, usize)> = items.iter().map(|&(a, b, _)| (a, b)).collect();
                let mut got = items.clone();
                super::Order::by_keys(keys, |kept, next| dedup && kept.0 == next.0).apply(&mut got);
                assert_eq!(got, expected, "{n} items, dedup {dedup}");
            }
        }
    }
}
