//! `scan pinning`: floating inputs. Manifests without a lockfile, requirements without `==`, lockfile
//! entries without an integrity hash, Dockerfile `FROM` without a digest, and GitHub Actions `uses:`
//! without a full commit SHA.

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;

use crate::finding::{self, Finding, Report, RuleInfo, WalkError};
use crate::sarif::Level;

/// The rules.
pub const RULES: [RuleInfo; 5] = [
    RuleInfo {
        id: "pinning/manifest-without-lockfile",
        description: "A dependency manifest without the lockfile that pins what it resolves to",
        level: Level::Error,
    },
    RuleInfo {
        id: "pinning/requirement-not-pinned",
        description: "A Python requirement without an exact version (==)",
        level: Level::Error,
    },
    RuleInfo {
        id: "pinning/lockfile-without-integrity",
        description: "A lockfile entry fetched from a registry without an integrity hash or checksum",
        level: Level::Error,
    },
    RuleInfo {
        id: "pinning/docker-from-without-digest",
        description: "A Dockerfile FROM that names an image by tag rather than by digest",
        level: Level::Error,
    },
    RuleInfo {
        id: "pinning/action-not-pinned-to-sha",
        description: "A GitHub Actions `uses:` that is not pinned to a full commit SHA",
        level: Level::Error,
    },
];

fn base(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

fn dir(rel: &str) -> &str {
    rel.rfind('/').and_then(|i| rel.get(..i)).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Whether one of `names` exists in `dir` or in a directory above it (workspaces keep one lockfile
/// at their root).
fn lock_at_or_above(files: &BTreeSet<&str>, mut d: &str, names: &[&str]) -> bool {
    loop {
        if names.iter().any(|n| files.contains(join(d, n).as_str())) {
            return true;
        }
        if d.is_empty() {
            return false;
        }
        d = dir(d);
    }
}

fn whole_file(rel: &str, rule: &str, message: String) -> Finding {
    Finding {
        path: rel.to_owned(),
        line: 0,
        column: 0,
        end_column: 0,
        rule_id: rule.to_owned(),
        message,
    }
}

fn at(
    rel: &str,
    line_no: usize,
    line: &str,
    start: usize,
    end: usize,
    rule: &str,
    message: String,
) -> Finding {
    Finding {
        path: rel.to_owned(),
        line: line_no,
        column: finding::column(line, start),
        end_column: finding::column(line, end),
        rule_id: rule.to_owned(),
        message,
    }
}

/// Scans `root`.
pub fn scan(root: &Path) -> Result<Report, WalkError> {
    let mut report = Report::default();
    let files = finding::walk(root, &mut report.problems)?;
    let names: BTreeSet<&str> = files.iter().map(|(r, _)| r.as_str()).collect();
    let Some(re) = Patterns::new() else {
        return Ok(report);
    };
    for (rel, path) in &files {
        let name = base(rel);
        let d = dir(rel);
        let kind = classify(rel, name);
        if kind == Kind::None {
            continue;
        }
        let Some(text) = finding::read_text(rel, path, &mut report.problems) else {
            continue;
        };
        report.files_scanned += 1;
        let out = &mut report.findings;
        match kind {
            Kind::PackageJson => {
                let has_deps = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .is_some_and(|v| {
                        [
                            "dependencies",
                            "devDependencies",
                            "optionalDependencies",
                            "peerDependencies",
                        ]
                        .iter()
                        .any(|k| {
                            v.get(k)
                                .and_then(|d| d.as_object())
                                .is_some_and(|o| !o.is_empty())
                        })
                    });
                let locks = [
                    "package-lock.json",
                    "npm-shrinkwrap.json",
                    "yarn.lock",
                    "pnpm-lock.yaml",
                    "bun.lock",
                    "bun.lockb",
                ];
                if has_deps && !lock_at_or_above(&names, d, &locks) {
                    out.push(whole_file(rel, "pinning/manifest-without-lockfile", "package.json declares dependencies but no package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml or bun.lock pins them: commit the lockfile".into()));
                }
            }
            Kind::CargoToml => {
                let binary = text.contains("[[bin]]")
                    || names.contains(join(d, "src/main.rs").as_str())
                    || text.lines().any(|l| l.trim() == "[workspace]");
                if binary && !lock_at_or_above(&names, d, &["Cargo.lock"]) {
                    out.push(whole_file(rel, "pinning/manifest-without-lockfile", "Cargo.toml builds a binary (or is a workspace) but no Cargo.lock pins its dependencies: commit Cargo.lock".into()));
                }
            }
            Kind::Pyproject => {
                let has_deps = text.lines().any(|l| {
                    let t = l.trim();
                    t.starts_with("dependencies")
                        || t == "[tool.poetry.dependencies]"
                        || t.starts_with("requires-python")
                });
                let locks = [
                    "poetry.lock",
                    "uv.lock",
                    "pdm.lock",
                    "pylock.toml",
                    "Pipfile.lock",
                ];
                if has_deps && !lock_at_or_above(&names, d, &locks) {
                    out.push(whole_file(rel, "pinning/manifest-without-lockfile", "pyproject.toml declares dependencies but no poetry.lock, uv.lock, pdm.lock or pylock.toml pins them: commit the lockfile".into()));
                }
            }
            Kind::Other(manifest, lock) => {
                if !lock_at_or_above(&names, d, &[lock]) && (manifest != "go.mod" || text.contains("require"))
                {
                    out.push(whole_file(
                        rel,
                        "pinning/manifest-without-lockfile",
                        format!("{manifest} without {lock}: commit {lock}"),
                    ));
                }
            }
            Kind::Requirements => requirements(rel, &text, &re, out),
            Kind::PackageLock => package_lock(rel, &text, out),
            Kind::YarnLock => yarn_lock(rel, &text, out),
            Kind::CargoLock => cargo_lock(rel, &text, out),
            Kind::Dockerfile => dockerfile(rel, &text, &re, out),
            Kind::Workflow => workflow(rel, &text, &re, out),
            Kind::None => {}
        }
    }
    Ok(report.finish())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    None,
    PackageJson,
    CargoToml,
    Pyproject,
    Other(&'static str, &'static str),
    Requirements,
    PackageLock,
    YarnLock,
    CargoLock,
    Dockerfile,
    Workflow,
}

#[allow(clippy::case_sensitive_file_extension_comparisons)] // `lower` is already lower-cased
fn classify(rel: &str, name: &str) -> Kind {
    let lower = name.to_ascii_lowercase();
    match name {
        "package.json" => return Kind::PackageJson,
        "Cargo.toml" => return Kind::CargoToml,
        "pyproject.toml" => return Kind::Pyproject,
        "Pipfile" => return Kind::Other("Pipfile", "Pipfile.lock"),
        "Gemfile" => return Kind::Other("Gemfile", "Gemfile.lock"),
        "composer.json" => return Kind::Other("composer.json", "composer.lock"),
        "go.mod" => return Kind::Other("go.mod", "go.sum"),
        "package-lock.json" | "npm-shrinkwrap.json" => return Kind::PackageLock,
        "yarn.lock" => return Kind::YarnLock,
        "Cargo.lock" => return Kind::CargoLock,
        _ => {}
    }
    if (lower.starts_with("requirements") && lower.ends_with(".txt")) || lower.ends_with(".requirements.txt")
    {
        return Kind::Requirements;
    }
    if lower == "dockerfile"
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
        || lower == "containerfile"
    {
        return Kind::Dockerfile;
    }
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    if yaml
        && (rel.starts_with(".github/workflows/")
            || rel.contains("/.github/workflows/")
            || lower == "action.yml"
            || lower == "action.yaml")
    {
        return Kind::Workflow;
    }
    Kind::None
}

struct Patterns {
    requirement: Regex,
    from: Regex,
    uses: Regex,
    sha: Regex,
}

impl Patterns {
    fn new() -> Option<Patterns> {
        Some(Patterns {
            requirement: Regex::new(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$").ok()?,
            from: Regex::new(r"(?i)^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?").ok()?,
            uses: Regex::new(r#"^\s*(?:-\s+)?uses\s*:\s*["']?([^"'\s#]+)"#).ok()?,
            sha: Regex::new(r"^[0-9a-f]{40}$").ok()?,
        })
    }
}

fn requirements(rel: &str, text: &str, re: &Patterns, out: &mut Vec<Finding>) {
    for (i, line) in text.lines().enumerate() {
        let code = line.split(" #").next().unwrap_or("").trim();
        let code = code.trim_end_matches('\\').trim();
        if code.is_empty()
            || code.starts_with('#')
            || code.starts_with('-')
            || code.contains("://")
            || code.starts_with('.')
            || code.starts_with('/')
        {
            continue;
        }
        let Some(c) = re.requirement.captures(code) else {
            continue;
        };
        let spec = c.get(3).map_or("", |m| m.as_str());
        let spec = spec.split(';').next().unwrap_or("").trim();
        let exact =
            spec.starts_with("==") && !spec.contains('*') && !spec.contains(',') || spec.starts_with("===");
        if !exact {
            let start = line.find(code).unwrap_or(0);
            let name = c.get(1).map_or("", |m| m.as_str());
            out.push(at(rel, i + 1, line, start, start + code.len(), "pinning/requirement-not-pinned", format!("requirement {name} is not pinned to an exact version: write {name}==VERSION (and --hash=…)")));
        }
    }
}

fn package_lock(rel: &str, text: &str, out: &mut Vec<Finding>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let mut missing: Vec<String> = Vec::new();
    if let Some(pkgs) = v.get("packages").and_then(|p| p.as_object()) {
        for (path, p) in pkgs {
            let registry = p
                .get("resolved")
                .and_then(|r| r.as_str())
                .is_some_and(|r| r.starts_with("http"));
            if registry && p.get("integrity").is_none() {
                missing.push(path.clone());
            }
        }
    } else if let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) {
        // lockfileVersion 1: nested `dependencies`, walked with an explicit stack.
        let mut stack: Vec<(String, &serde_json::Map<String, serde_json::Value>)> =
            vec![(String::new(), deps)];
        while let Some((prefix, map)) = stack.pop() {
            for (name, p) in map {
                let registry = p
                    .get("resolved")
                    .and_then(|r| r.as_str())
                    .is_some_and(|r| r.starts_with("http"));
                if registry && p.get("integrity").is_none() {
                    missing.push(format!("{prefix}{name}"));
                }
                if let Some(inner) = p.get("dependencies").and_then(|d| d.as_object()) {
                    stack.push((format!("{prefix}{name}/"), inner));
                }
            }
        }
    }
    for path in missing {
        let needle = format!("\"{path}\"");
        let (line_no, line, col) = text
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find(&needle).map(|c| (i + 1, l, c)))
            .unwrap_or((0, "", 0));
        out.push(at(
            rel,
            line_no,
            line,
            col,
            col + needle.len(),
            "pinning/lockfile-without-integrity",
            format!("{path} is fetched from a registry without an integrity hash"),
        ));
    }
}

fn yarn_lock(rel: &str, text: &str, out: &mut Vec<Finding>) {
    // Yarn v1: entries separated by blank lines; `resolved` without `integrity`.
    let lines: Vec<&str> = text.lines().collect();
    let mut start = 0;
    while start < lines.len() {
        let end = lines
            .iter()
            .skip(start)
            .position(|l| l.trim().is_empty())
            .map_or(lines.len(), |p| start + p);
        let entry = lines.get(start..end).unwrap_or_default();
        let resolved = entry
            .iter()
            .any(|l| l.trim_start().starts_with("resolved ") && l.contains("http"));
        let integrity = entry
            .iter()
            .any(|l| l.trim_start().starts_with("integrity ") || l.trim_start().starts_with("checksum:"));
        if resolved
            && !integrity
            && let Some(header) = entry
                .iter()
                .position(|l| !l.starts_with(' ') && !l.starts_with('#') && l.ends_with(':'))
        {
            {
                let line = entry.get(header).copied().unwrap_or("");
                out.push(at(
                    rel,
                    start + header + 1,
                    line,
                    0,
                    line.len(),
                    "pinning/lockfile-without-integrity",
                    format!(
                        "{} is resolved from a registry without an integrity hash",
                        line.trim_end_matches(':')
                    ),
                ));
            }
        }
        start = end + 1;
    }
}

fn cargo_lock(rel: &str, text: &str, out: &mut Vec<Finding>) {
    let lines: Vec<&str> = text.lines().collect();
    let blocks: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[package]]")
        .map(|(i, _)| i)
        .collect();
    for (k, &b) in blocks.iter().enumerate() {
        let end = blocks.get(k + 1).copied().unwrap_or(lines.len());
        let entry = lines.get(b..end).unwrap_or_default();
        let registry = entry
            .iter()
            .any(|l| l.starts_with("source = \"registry+") || l.starts_with("source = \"sparse+"));
        let checksum = entry.iter().any(|l| l.starts_with("checksum = "));
        if registry && !checksum {
            let name = entry
                .iter()
                .find_map(|l| l.strip_prefix("name = "))
                .unwrap_or("\"?\"");
            let line = entry.get(1).copied().unwrap_or("");
            out.push(at(
                rel,
                b + 2,
                line,
                0,
                line.len(),
                "pinning/lockfile-without-integrity",
                format!(
                    "crate {} comes from a registry without a checksum",
                    name.trim_matches('"')
                ),
            ));
        }
    }
}

fn dockerfile(rel: &str, text: &str, re: &Patterns, out: &mut Vec<Finding>) {
    let mut stages: BTreeSet<String> = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let Some(c) = re.from.captures(line) else { continue };
        let Some(image) = c.get(1) else { continue };
        let name = image.as_str();
        let pinned =
            name.contains("@sha256:") || name == "scratch" || stages.contains(&name.to_ascii_lowercase());
        if !pinned {
            out.push(at(
                rel,
                i + 1,
                line,
                image.start(),
                image.end(),
                "pinning/docker-from-without-digest",
                format!("FROM {name} is not pinned by digest: write {name}@sha256:…"),
            ));
        }
        if let Some(alias) = c.get(2) {
            stages.insert(alias.as_str().to_ascii_lowercase());
        }
    }
}

fn workflow(rel: &str, text: &str, re: &Patterns, out: &mut Vec<Finding>) {
    for (i, line) in text.lines().enumerate() {
        let Some(c) = re.uses.captures(line) else { continue };
        let Some(target) = c.get(1) else { continue };
        let value = target.as_str();
        if value.starts_with("./") {
            continue;
        }
        let pinned = if let Some(image) = value.strip_prefix("docker://") {
            image.contains("@sha256:")
        } else {
            value.rsplit_once('@').is_some_and(|(_, r)| re.sha.is_match(r))
        };
        if !pinned {
            out.push(at(rel, i + 1, line, target.start(), target.end(), "pinning/action-not-pinned-to-sha", format!("uses: {value} is not pinned to a full commit SHA: write {}@<40-hex commit> (the tag in a comment)", value.split('@').next().unwrap_or(value))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Patterns, dockerfile, requirements, workflow};

    #[test]
    fn line_rules() {
        let Some(re) = Patterns::new() else { return };
        let mut out = Vec::new();
        requirements(
            "r.txt",
            "requests==2.32.3\nflask>=2\n# c\n-r other.txt\nnumpy\nuvicorn[standard]==0.30.0 ; python_version>'3'\n",
            &re,
            &mut out,
        );
        assert_eq!(out.iter().map(|f| f.line).collect::<Vec<_>>(), vec![2, 5]);
        out.clear();
        dockerfile(
            "Dockerfile",
            "FROM rust:1.95 AS build\nFROM build\nFROM debian@sha256:abc\nFROM scratch\n",
            &re,
            &mut out,
        );
        assert_eq!(
            out.iter().map(|f| (f.line, f.column)).collect::<Vec<_>>(),
            vec![(1, 6)]
        );
        out.clear();
        let sha = "0123456789abcdef0123456789abcdef01234567";
        workflow(
            ".github/workflows/ci.yml",
            &format!(
                "steps:\n  - uses: actions/checkout@v4\n  - uses: actions/setup-node@{sha} # v4\n  - uses: ./local\n  - uses: docker://alpine:3\n"
            ),
            &re,
            &mut out,
        );
        assert_eq!(out.iter().map(|f| f.line).collect::<Vec<_>>(), vec![2, 5]);
    }
}
