//! A Markdown changelog from Conventional Commits: breaking changes first, then one section per type in a
//! fixed order (features, bug fixes, performance, reverts, documentation, …, then other types
//! alphabetically), then the commits whose messages are not Conventional Commits. Entries keep the
//! range's order, oldest first; merge commits are left out. With the repository's web address each entry
//! links its commit (`URL/commit/ID`, which GitHub and GitLab both serve). The same input gives the same
//! bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::conventional::{self, Message};

/// One commit offered to the changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The full commit id.
    pub id: &'a str,
    /// The full message.
    pub message: &'a str,
    /// Whether it is a merge commit (left out).
    pub merge: bool,
}

/// Section titles of the known types, in the order they are written.
pub const SECTIONS: &[(&str, &str)] = &[
    ("feat", "Features"),
    ("fix", "Bug Fixes"),
    ("perf", "Performance Improvements"),
    ("revert", "Reverts"),
    ("docs", "Documentation"),
    ("style", "Styles"),
    ("refactor", "Code Refactoring"),
    ("test", "Tests"),
    ("build", "Build System"),
    ("ci", "Continuous Integration"),
    ("chore", "Miscellaneous Chores"),
];

/// A changelog as data (what the Markdown is rendered from).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changelog {
    /// Breaking changes: (commit id, scope, note).
    pub breaking: Vec<Item>,
    /// Sections in order: (title, items).
    pub sections: Vec<Section>,
}

/// A section.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Section {
    /// The type (`feat`), or empty for commits that are not Conventional Commits.
    #[serde(rename = "type")]
    pub kind: String,
    /// The title.
    pub title: String,
    /// The entries.
    pub items: Vec<Item>,
}

/// One line of the changelog.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    /// The commit id.
    pub commit: String,
    /// The scope, if any.
    pub scope: Option<String>,
    /// The text.
    pub text: String,
}

/// The changelog of the commits of a range as [`crate::git::read_range`] lists them (newest first):
/// offered oldest first, in the order they were made.
#[must_use]
pub fn of_range(range: &crate::git::RangeRead) -> Changelog {
    let entries: Vec<Entry<'_>> = range
        .commits
        .iter()
        .rev()
        .map(|c| Entry {
            id: &c.id,
            message: &c.message,
            merge: c.is_merge(),
        })
        .collect();
    build(&entries)
}

/// Groups the entries.
#[must_use]
pub fn build(entries: &[Entry<'_>]) -> Changelog {
    let mut by_type: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    let mut other = Vec::new();
    let mut breaking = Vec::new();
    for entry in entries.iter().filter(|e| !e.merge) {
        match conventional::parse(entry.message) {
            Ok(m) => {
                add_breaking(&mut breaking, entry.id, &m);
                by_type.entry(m.kind_lowercase()).or_default().push(Item {
                    commit: entry.id.to_owned(),
                    scope: m.scope.clone(),
                    text: m.description.clone(),
                });
            }
            Err(_) => other.push(Item {
                commit: entry.id.to_owned(),
                scope: None,
                text: entry.message.lines().next().unwrap_or_default().trim().to_owned(),
            }),
        }
    }
    let mut sections = Vec::new();
    for (kind, title) in SECTIONS {
        if let Some(items) = by_type.remove(*kind) {
            sections.push(Section {
                kind: (*kind).to_owned(),
                title: (*title).to_owned(),
                items,
            });
        }
    }
    for (kind, items) in by_type {
        let title = format!("Type {kind}");
        sections.push(Section { kind, title, items });
    }
    if !other.is_empty() {
        sections.push(Section {
            kind: String::new(),
            title: "Other Changes".to_owned(),
            items: other,
        });
    }
    Changelog { breaking, sections }
}

fn add_breaking(out: &mut Vec<Item>, id: &str, m: &Message) {
    for note in m.breaking_notes() {
        out.push(Item {
            commit: id.to_owned(),
            scope: m.scope.clone(),
            text: note.to_owned(),
        });
    }
}

/// Escapes what Markdown would read as markup at the start of or inside an entry.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        if c == '\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

impl Changelog {
    /// Renders Markdown under the heading `title`; `repo_url` (no trailing slash) links commits.
    #[must_use]
    pub fn to_markdown(&self, title: &str, repo_url: Option<&str>) -> String {
        let mut out = format!("## {}\n", escape(title));
        let line = |out: &mut String, item: &Item| {
            let short = item.commit.get(..7).unwrap_or(&item.commit);
            let scope = item
                .scope
                .as_deref()
                .map(|s| format!("**{}:** ", escape(s)))
                .unwrap_or_default();
            let link = match repo_url {
                Some(url) => format!("[{short}]({}/commit/{})", url.trim_end_matches('/'), item.commit),
                None => short.to_owned(),
            };
            let _ = writeln!(out, "* {scope}{} ({link})", escape(&item.text));
        };
        if !self.breaking.is_empty() {
            out.push_str("\n### ⚠ BREAKING CHANGES\n\n");
            for item in &self.breaking {
                line(&mut out, item);
            }
        }
        for section in &self.sections {
            let _ = write!(out, "\n### {}\n\n", section.title);
            for item in &section.items {
                line(&mut out, item);
            }
        }
        if self.breaking.is_empty() && self.sections.is_empty() {
            out.push_str("\nNo changes.\n");
        }
        out
    }
}
