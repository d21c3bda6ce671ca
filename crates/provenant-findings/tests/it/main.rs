//! provenant-findings: every reader against the real tools' output where they run here, and against
//! documented examples of the formats no tool here produces offline.
// Test helpers fail the test loudly like the tests themselves; tool and format names read better as
// prose than as code in these descriptions; exact float comparisons are on values computed from small
// integers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::doc_markdown,
    clippy::float_cmp
)]

mod documented;
mod hostile;
mod model;
mod real_tools;

use std::path::{Path, PathBuf};

use provenant_findings::{Evidence, Finding, read};

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) fn read_file(path: &Path) -> Evidence {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read(&path.display().to_string(), &bytes).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn findings(e: Evidence) -> Vec<Finding> {
    match e {
        Evidence::Findings { findings, .. } => findings,
        other => panic!("expected findings, got {other:?}"),
    }
}
