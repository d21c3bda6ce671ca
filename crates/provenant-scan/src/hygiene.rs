//! `scan hygiene`: debug statements left in code (outside tests) and TODO/FIXME comments, in the
//! gate-checked files (globs; [`DEFAULT_INCLUDE`] unless the caller gives its own).

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

use crate::finding::{self, Finding, Problem, Report, RuleInfo, WalkError};
use crate::sarif::Level;

/// The gate-checked files when no `--include` is given: the source files of the languages below.
pub const DEFAULT_INCLUDE: [&str; 14] = [
    "**/*.rs",
    "**/*.py",
    "**/*.js",
    "**/*.jsx",
    "**/*.mjs",
    "**/*.cjs",
    "**/*.ts",
    "**/*.tsx",
    "**/*.go",
    "**/*.java",
    "**/*.kt",
    "**/*.rb",
    "**/*.php",
    "**/*.sh",
];

/// Test code, where debug statements are allowed (TODO/FIXME are still reported).
pub const TEST_PATHS: [&str; 15] = [
    "**/tests/**",
    "**/test/**",
    "**/__tests__/**",
    "**/spec/**",
    "**/testdata/**",
    "**/fixtures/**",
    "**/benches/**",
    "**/*_test.go",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/*.test.*",
    "**/*.spec.*",
    "**/*Test.java",
    "**/*_spec.rb",
];

/// The rules.
pub const RULES: [RuleInfo; 4] = [
    RuleInfo {
        id: "hygiene/debugger",
        description: "A breakpoint or interactive debugger call (dbg!, pdb, breakpoint(), debugger, binding.pry, byebug)",
        level: Level::Error,
    },
    RuleInfo {
        id: "hygiene/debug-print",
        description: "A debug print outside tests (println!/eprintln!, print(), console.log, fmt.Println, System.out, var_dump, puts …)",
        level: Level::Warning,
    },
    RuleInfo {
        id: "hygiene/todo",
        description: "A TODO comment in a gate-checked file",
        level: Level::Warning,
    },
    RuleInfo {
        id: "hygiene/fixme",
        description: "A FIXME comment in a gate-checked file",
        level: Level::Warning,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Rust,
    Python,
    Js,
    Go,
    Java,
    Ruby,
    Php,
    Shell,
    Other,
}

fn lang(path: &str) -> Lang {
    match path.rsplit('.').next().unwrap_or("") {
        "rs" => Lang::Rust,
        "py" => Lang::Python,
        "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" => Lang::Js,
        "go" => Lang::Go,
        "java" | "kt" | "kts" => Lang::Java,
        "rb" => Lang::Ruby,
        "php" => Lang::Php,
        "sh" | "bash" => Lang::Shell,
        _ => Lang::Other,
    }
}

fn line_comment(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Python | Lang::Ruby | Lang::Shell => &["#"],
        Lang::Php | Lang::Other => &["//", "#"],
        Lang::Rust | Lang::Js | Lang::Go | Lang::Java => &["//"],
    }
}

/// Why the options are invalid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HygieneError {
    /// An include glob does not parse.
    #[error("invalid glob {glob}: {message}")]
    Glob {
        /// The glob.
        glob: String,
        /// Why.
        message: String,
    },
    /// The walk could not start.
    #[error(transparent)]
    Walk(#[from] WalkError),
}

struct Patterns {
    debugger: Vec<(Lang, Regex)>,
    print: Vec<(Lang, Regex)>,
    marker: Regex,
}

fn patterns() -> Option<Patterns> {
    let re = |s: &str| Regex::new(s).ok();
    Some(Patterns {
        debugger: vec![
            (Lang::Rust, re(r"\bdbg!\s*\(")?),
            (
                Lang::Python,
                re(
                    r"\bbreakpoint\s*\(\s*\)|\b(?:import\s+(?:i?pdb|pudb)\b|from\s+i?pdb\s+import\b)|\b(?:i?pdb|pudb)\.set_trace\s*\(",
                )?,
            ),
            (Lang::Js, re(r"(?:^|[;{}\s])debugger\s*(?:;|$)")?),
            (
                Lang::Ruby,
                re(r"\bbinding\.(?:pry|irb)\b|\bbyebug\b|\bdebugger\b")?,
            ),
            (Lang::Php, re(r"\bxdebug_break\s*\(")?),
            (Lang::Go, re(r"\bruntime\.Breakpoint\s*\(")?),
        ],
        print: vec![
            (Lang::Rust, re(r"\b(?:e?println|e?print)!\s*\(")?),
            (Lang::Python, re(r"(?:^|[;:]\s*)\s*(?:print|pprint)\s*\(")?),
            (
                Lang::Js,
                re(r"\bconsole\.(?:log|debug|trace|dir|table|info)\s*\(")?,
            ),
            (
                Lang::Go,
                re(r"\b(?:fmt\.Print(?:ln|f)?|println|spew\.Dump)\s*\(")?,
            ),
            (
                Lang::Java,
                re(r"\bSystem\.(?:out|err)\.print(?:ln|f)?\s*\(|\.printStackTrace\s*\(\s*\)")?,
            ),
            (Lang::Ruby, re(r"^\s*(?:p|pp|puts)\s*[\(\s]")?),
            (Lang::Php, re(r"\b(?:var_dump|print_r|var_export|dd|dump)\s*\(")?),
            (Lang::Shell, re(r"^\s*set\s+-[a-wyz]*x")?),
        ],
        marker: re(r"\b(TODO|FIXME)\b")?,
    })
}

fn globset(globs: &[String]) -> Result<GlobSet, HygieneError> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| HygieneError::Glob {
                glob: g.clone(),
                message: e.to_string(),
            })?;
        builder.add(glob);
    }
    builder.build().map_err(|e| HygieneError::Glob {
        glob: globs.join(" "),
        message: e.to_string(),
    })
}

fn test_globs() -> Option<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for g in TEST_PATHS {
        builder.add(Glob::new(g).ok()?);
    }
    builder.build().ok()
}

/// Scans `root`: `include` are the gate-checked files' globs (relative to the root; empty:
/// [`DEFAULT_INCLUDE`]).
pub fn scan(root: &Path, include: &[String]) -> Result<Report, HygieneError> {
    let include: Vec<String> = if include.is_empty() {
        DEFAULT_INCLUDE.iter().map(|s| (*s).to_owned()).collect()
    } else {
        include.to_vec()
    };
    // A glob without a directory part matches at any depth, as in .gitignore.
    let include: Vec<String> = include
        .into_iter()
        .map(|g| if g.contains('/') { g } else { format!("**/{g}") })
        .collect();
    let include = globset(&include)?;
    let (Some(tests), Some(p)) = (test_globs(), patterns()) else {
        return Ok(Report::default());
    };
    let mut report = Report::default();
    let files = finding::walk(root, &mut report.problems)?;
    for (rel, path) in files {
        if !include.is_match(&rel) {
            continue;
        }
        let Some(text) = finding::read_text(&rel, &path, &mut report.problems) else {
            continue;
        };
        report.files_scanned += 1;
        let in_tests = tests.is_match(&rel);
        scan_text(&rel, &text, in_tests, &p, &mut report.findings);
    }
    let _: &[Problem] = &report.problems;
    Ok(report.finish())
}

fn scan_text(rel: &str, text: &str, in_tests: bool, p: &Patterns, out: &mut Vec<Finding>) {
    let lang = lang(rel);
    let comments = line_comment(lang);
    let c_like = matches!(lang, Lang::Rust | Lang::Js | Lang::Go | Lang::Java | Lang::Php);
    let mut in_block = false;
    // Rust: `#[cfg(test)]` modules are tests; skip them by brace depth.
    let mut cfg_test_pending = false;
    let mut skip_depth: Option<i64> = None;
    let mut depth: i64 = 0;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let trimmed = line.trim_start();
        // Where the code part of the line ends (a line comment starts).
        let mut code_end = comments
            .iter()
            .filter_map(|c| line.find(c))
            .min()
            .unwrap_or(line.len());
        let block_start = c_like.then(|| line.find("/*")).flatten();
        let starts_in_block = in_block;
        if c_like {
            if in_block {
                code_end = 0;
                if line.contains("*/") {
                    in_block = false;
                }
            } else if let Some(b) = block_start {
                code_end = code_end.min(b);
                if !line.get(b..).is_some_and(|rest| rest.contains("*/")) {
                    in_block = true;
                }
            }
        }
        for m in p.marker.captures_iter(line) {
            let Some(word) = m.get(1) else { continue };
            let in_comment = starts_in_block || word.start() >= code_end || trimmed.starts_with('*');
            if in_comment {
                let rule = if word.as_str() == "TODO" {
                    "hygiene/todo"
                } else {
                    "hygiene/fixme"
                };
                out.push(Finding {
                    path: rel.to_owned(),
                    line: number,
                    column: finding::column(line, word.start()),
                    end_column: finding::column(line, word.end()),
                    rule_id: rule.to_owned(),
                    message: format!("{} comment: {}", word.as_str(), line.trim()),
                });
            }
        }
        let code = line.get(..code_end).unwrap_or("");
        if lang == Lang::Rust {
            let t = code.trim();
            if t.starts_with("#[cfg(test)]") {
                cfg_test_pending = true;
            } else if cfg_test_pending && !t.is_empty() && !t.starts_with("#[") {
                if t.starts_with("mod ") || t.starts_with("pub mod ") || t.contains(" mod ") {
                    skip_depth = Some(depth);
                }
                cfg_test_pending = false;
            }
            depth += i64::try_from(code.matches('{').count()).unwrap_or(0)
                - i64::try_from(code.matches('}').count()).unwrap_or(0);
            if let Some(d) = skip_depth {
                if depth <= d && code.contains('}') {
                    skip_depth = None;
                }
                continue;
            }
        }
        if in_tests || code.trim().is_empty() {
            continue;
        }
        for (rules, rule_id, what) in [
            (&p.debugger, "hygiene/debugger", "debugger call"),
            (&p.print, "hygiene/debug-print", "debug print"),
        ] {
            for (l, re) in rules {
                if *l != lang {
                    continue;
                }
                if let Some(m) = re.find(code) {
                    let start = m.start() + m.as_str().len()
                        - m.as_str()
                            .trim_start_matches([';', '{', '}', ' ', '\t', ':'])
                            .len();
                    out.push(Finding {
                        path: rel.to_owned(),
                        line: number,
                        column: finding::column(line, start),
                        end_column: finding::column(line, m.end()),
                        rule_id: rule_id.to_owned(),
                        message: format!("{what} outside tests: {}", line.trim()),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{patterns, scan_text};

    fn rules(path: &str, text: &str, in_tests: bool) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        if let Some(p) = patterns() {
            scan_text(path, text, in_tests, &p, &mut out);
        }
        out.into_iter().map(|f| (f.line, f.rule_id)).collect()
    }

    #[test]
    fn per_language_statements_and_markers() {
        let rs = "fn main() {\n    dbg!(x);\n    println!(\"hi\");\n    // println!(\"commented\");\n}\n// TODO: later\n#[cfg(test)]\nmod tests {\n    fn t() { println!(\"ok in tests\"); }\n}\nfn after() { eprintln!(\"x\"); }\n";
        assert_eq!(
            rules("src/main.rs", rs, false),
            vec![
                (2, "hygiene/debugger".to_owned()),
                (3, "hygiene/debug-print".to_owned()),
                (6, "hygiene/todo".to_owned()),
                (11, "hygiene/debug-print".to_owned()),
            ]
        );
        let py = "import pdb\nx = 1  # FIXME\nprint(x)\nbreakpoint()\ns = 'TODO not a comment'\n";
        assert_eq!(
            rules("app.py", py, false),
            vec![
                (1, "hygiene/debugger".to_owned()),
                (2, "hygiene/fixme".to_owned()),
                (3, "hygiene/debug-print".to_owned()),
                (4, "hygiene/debugger".to_owned()),
            ]
        );
        let js = "console.log('x');\n/* TODO\n   FIXME */\ndebugger;\n";
        assert_eq!(
            rules("a.test.js", js, true),
            vec![(2, "hygiene/todo".to_owned()), (3, "hygiene/fixme".to_owned())]
        );
        assert_eq!(rules("a.js", js, false).len(), 4);
    }
}
