//! The auditor's report of a whole governed chain, opened in headless Chromium: the DOM shows the
//! digest, the commit and the environments, and a screenshot is kept under `target/` as a test artefact.

use std::path::PathBuf;
use std::process::Command;

use provenant_lineage::html::{ReportContext, render};

use crate::fixture::Chain;
use crate::governed::World;

fn artefacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artefacts/lineage");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_report_of_a_governed_chain_renders_in_chromium_with_digest_commit_and_environments() {
    let chromium = provenant_testkit::require_chromium();
    let c = Chain::complete();
    let mut report = c.verify(&c.expectations());
    let w = World::governed_for(c.image);
    for edge in w.verify("prod") {
        report.lineage.push(edge);
    }
    report.verified = report.lineage.broken_edges().is_empty();
    assert!(report.verified, "{report:#?}");
    let html = render(
        &report,
        &ReportContext {
            image: format!("oci:{}@{}", c.path().display(), c.image),
            environment: Some("prod".to_owned()),
            environments: vec!["dev".to_owned(), "test".to_owned(), "prod".to_owned()],
            ledger: Some("sqlite:ledger.db".to_owned()),
            verify_command: format!("provenant lineage verify oci:app@{} --env prod", c.image),
        },
    );
    let dir = artefacts();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-javascript",
    ];
    let dom = Command::new(&chromium)
        .args(base)
        .args(["--dump-dom", &url])
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8(dom.stdout).unwrap();
    assert!(
        dom.contains(&format!("<code id=\"digest\">{}</code>", c.image)),
        "{dom}"
    );
    assert!(dom.contains(&c.commit), "the commit");
    assert!(
        dom.contains("<span id=\"environments\">dev → test → prod</span>"),
        "{dom}"
    );
    assert!(dom.contains("Lineage verified: every edge holds."));
    assert!(dom.contains("<svg"), "the graph is inline");
    let shot = dir.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let out = Command::new(&chromium)
        .args(base)
        .arg(format!("--screenshot={}", shot.display()))
        .args(["--window-size=1280,1600", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "a screenshot of the page"
    );
}
