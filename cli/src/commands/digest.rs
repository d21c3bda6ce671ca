//! `provenant digest`: digests of files and trees, and `--check` of checksum lists.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::Read as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use provenant_digest::checklist::{self, Style};
use provenant_digest::{Algorithm, Digest, DigestedPath, HashError, PathKind, Progress};
use rayon::prelude::*;
use serde::Serialize;

use crate::Outcome;
use crate::args::{DigestArgs, GlobalArgs, OutputFormat};
use crate::output::{print_bytes, print_json};
use crate::progress::Reporter;

/// Upper bound on a checksum list read into memory.
const MAX_LIST_BYTES: u64 = 64 << 20;

pub(crate) fn run(global: &GlobalArgs, args: &DigestArgs) -> anyhow::Result<Outcome> {
    match &args.check {
        Some(list) => check(global, list, args.strict),
        None => digest(global, args),
    }
}

#[derive(Serialize)]
struct DigestReport {
    algorithm: &'static str,
    results: Vec<DigestResult>,
}

#[derive(Serialize)]
struct DigestResult {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<PathKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn digest_one(algorithm: Algorithm, path: &Path, progress: &dyn Progress) -> Result<DigestedPath, HashError> {
    if is_stdin(path) {
        let digest = algorithm.hash_reader(std::io::stdin().lock(), progress)?;
        Ok(DigestedPath {
            digest,
            kind: PathKind::File,
        })
    } else {
        provenant_digest::digest_path(algorithm, path, progress)
    }
}

fn known_total(paths: &[PathBuf]) -> Option<u64> {
    paths.iter().try_fold(0u64, |acc, p| {
        let meta = std::fs::metadata(p).ok()?;
        meta.is_file().then(|| acc + meta.len())
    })
}

fn digest(global: &GlobalArgs, args: &DigestArgs) -> anyhow::Result<Outcome> {
    let algorithm: Algorithm = args.algorithm.into();
    let progress = Reporter::bytes(known_total(&args.paths), "hashing");
    // Paths are digested in parallel (each tree is parallel inside too); results keep argument order.
    let results: Vec<(&PathBuf, Result<DigestedPath, HashError>)> = args
        .paths
        .par_iter()
        .map(|p| (p, digest_one(algorithm, p, &progress)))
        .collect();
    progress.finish();

    let mut outcome = Outcome::Success;
    match global.output {
        OutputFormat::Json => {
            let results = results
                .into_iter()
                .map(|(path, result)| {
                    let path = path.to_string_lossy().into_owned();
                    match result {
                        Ok(d) => DigestResult {
                            path,
                            kind: Some(d.kind),
                            digest: Some(d.digest),
                            error: None,
                        },
                        Err(e) => {
                            outcome = Outcome::Error;
                            DigestResult {
                                path,
                                kind: None,
                                digest: None,
                                error: Some(e.to_string()),
                            }
                        }
                    }
                })
                .collect();
            print_json(&DigestReport {
                algorithm: algorithm.name(),
                results,
            })?;
        }
        OutputFormat::Text => {
            let style = if args.plain {
                Style::Coreutils
            } else {
                Style::Prefixed
            };
            let mut buf = Vec::new();
            for (path, result) in results {
                match result {
                    Ok(d) => checklist::format_line(&mut buf, &d.digest, path.as_os_str().as_bytes(), style),
                    Err(e) => {
                        print_bytes(&buf)?;
                        buf.clear();
                        eprintln!("error: {e}");
                        outcome = Outcome::Error;
                    }
                }
            }
            print_bytes(&buf)?;
        }
    }
    Ok(outcome)
}

#[derive(Serialize)]
struct CheckReport {
    ok: bool,
    checked: usize,
    mismatched: usize,
    unreadable: usize,
    malformed_lines: Vec<usize>,
    results: Vec<CheckResult>,
}

#[derive(Serialize)]
struct CheckResult {
    line: usize,
    path: String,
    status: CheckStatus,
    expected: Digest,
    #[serde(skip_serializing_if = "Option::is_none")]
    actual: Option<Digest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum CheckStatus {
    Ok,
    Mismatch,
    Unreadable,
}

fn read_list(list: &Path) -> anyhow::Result<Vec<u8>> {
    let mut data = Vec::new();
    if is_stdin(list) {
        std::io::stdin()
            .lock()
            .take(MAX_LIST_BYTES + 1)
            .read_to_end(&mut data)
            .context("reading the list from stdin")?;
    } else {
        let file = std::fs::File::open(list)
            .with_context(|| format!("cannot open checksum list {}", list.display()))?;
        file.take(MAX_LIST_BYTES + 1)
            .read_to_end(&mut data)
            .with_context(|| format!("cannot read checksum list {}", list.display()))?;
    }
    anyhow::ensure!(
        data.len() as u64 <= MAX_LIST_BYTES,
        "checksum list is larger than {MAX_LIST_BYTES} bytes"
    );
    Ok(data)
}

fn check(global: &GlobalArgs, list: &Path, strict: bool) -> anyhow::Result<Outcome> {
    let data = read_list(list)?;
    let (entries, malformed) = checklist::parse(&data);
    for m in &malformed {
        tracing::warn!("{}: {m}", list.display());
    }
    if entries.is_empty() {
        anyhow::bail!("{}: no properly formatted checksum lines found", list.display());
    }
    if strict && !malformed.is_empty() {
        anyhow::bail!(
            "{}: {} malformed line(s) and --strict was given",
            list.display(),
            malformed.len()
        );
    }

    let progress = Reporter::bytes(None, "checking");
    let results: Vec<CheckResult> = entries
        .par_iter()
        .map(|entry| {
            let path = Path::new(OsStr::from_bytes(&entry.path));
            let computed = digest_one(entry.expected.algorithm(), path, &progress);
            let path = path.to_string_lossy().into_owned();
            match computed {
                Ok(d) if d.digest.verify(&entry.expected).is_ok() => CheckResult {
                    line: entry.line,
                    path,
                    status: CheckStatus::Ok,
                    expected: entry.expected,
                    actual: Some(d.digest),
                    error: None,
                },
                Ok(d) => CheckResult {
                    line: entry.line,
                    path,
                    status: CheckStatus::Mismatch,
                    expected: entry.expected,
                    actual: Some(d.digest),
                    error: None,
                },
                Err(e) => CheckResult {
                    line: entry.line,
                    path,
                    status: CheckStatus::Unreadable,
                    expected: entry.expected,
                    actual: None,
                    error: Some(e.to_string()),
                },
            }
        })
        .collect();
    progress.finish();

    let count = |s| results.iter().filter(|r| r.status == s).count();
    let (mismatched, unreadable) = (count(CheckStatus::Mismatch), count(CheckStatus::Unreadable));
    let ok = mismatched == 0 && unreadable == 0;
    match global.output {
        OutputFormat::Json => print_json(&CheckReport {
            ok,
            checked: results.len(),
            mismatched,
            unreadable,
            malformed_lines: malformed.iter().map(|m| m.line).collect(),
            results,
        })?,
        OutputFormat::Text => {
            let mut text = String::new();
            for r in &results {
                let _ = match (r.status, &r.actual, &r.error) {
                    (CheckStatus::Ok, _, _) => writeln!(text, "{}: OK", r.path),
                    (CheckStatus::Mismatch, Some(actual), _) => {
                        writeln!(text, "{}: FAILED (expected {}, got {actual})", r.path, r.expected)
                    }
                    (_, _, error) => writeln!(
                        text,
                        "{}: FAILED open or read ({})",
                        r.path,
                        error.as_deref().unwrap_or("unknown error")
                    ),
                };
            }
            print_bytes(text.as_bytes())?;
            if mismatched > 0 {
                eprintln!(
                    "provenant: {mismatched} of {} computed digests did NOT match",
                    results.len()
                );
            }
            if unreadable > 0 {
                eprintln!("provenant: {unreadable} listed file(s) could not be read");
            }
        }
    }
    Ok(if ok { Outcome::Success } else { Outcome::Failure })
}
