//! `JUnit` XML as pytest, cargo-nextest, jest-junit, Maven Surefire and gotestsum write it.
//!
//! Every `<testcase>` anywhere under the root counts once, however deeply suites nest (the document is
//! walked iteratively). A case with a `<failure>` failed, one with an `<error>` errored (an error wins
//! over a failure), one with `<skipped>` was skipped; nextest's `<flakyFailure>`/`<rerunFailure>`
//! children alone do not make a case fail when it finally passed.

use crate::json::one_line;
use crate::{Location, ReadErrorKind, TestCase, TestOutcome, TestReport, normalise_path};

/// Longest failure message kept per case.
const MAX_MESSAGE: usize = 500;

pub(crate) fn read(doc: &roxmltree::Document<'_>) -> Result<TestReport, ReadErrorKind> {
    let mut report = TestReport::default();
    for case in doc
        .root_element()
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "testcase")
    {
        report.tests += 1;
        let mut outcome = TestOutcome::Passed;
        let mut message = None;
        for child in case.children().filter(roxmltree::Node::is_element) {
            let this = match child.tag_name().name() {
                "error" => TestOutcome::Error,
                "failure" => TestOutcome::Failed,
                "skipped" => TestOutcome::Skipped,
                _ => continue,
            };
            // error > failure > skipped
            let rank = |o: TestOutcome| match o {
                TestOutcome::Error => 3,
                TestOutcome::Failed => 2,
                TestOutcome::Skipped => 1,
                TestOutcome::Passed => 0,
            };
            if rank(this) > rank(outcome) {
                outcome = this;
                let text = child
                    .attribute("message")
                    .filter(|m| !m.trim().is_empty())
                    .or_else(|| child.text())
                    .unwrap_or_default();
                message = (!text.trim().is_empty()).then(|| one_line(text, MAX_MESSAGE));
            }
        }
        match outcome {
            TestOutcome::Passed => {
                report.passed += 1;
                continue;
            }
            TestOutcome::Failed => report.failed += 1,
            TestOutcome::Error => report.errors += 1,
            TestOutcome::Skipped => report.skipped += 1,
        }
        let name = case.attribute("name").unwrap_or_default();
        let class = case
            .attribute("classname")
            .or_else(|| case.attribute("class"))
            .unwrap_or_default();
        let name = if class.is_empty() {
            name.to_owned()
        } else {
            format!("{class}::{name}")
        };
        if name.is_empty() {
            let pos = doc.text_pos_at(case.range().start);
            return Err(ReadErrorKind::Element {
                line: pos.row as usize,
                element: "testcase".to_owned(),
                problem: "has neither a name nor a classname attribute".to_owned(),
            });
        }
        let location = case.attribute("file").map(|f| Location {
            path: normalise_path(f),
            line: case.attribute("line").and_then(|l| l.parse().ok()),
        });
        report.cases.push(TestCase {
            name,
            outcome,
            message,
            location,
        });
    }
    Ok(report)
}
