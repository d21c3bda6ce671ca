//! Accuracy on the fixtures in `testdata/sbom` (made by the real package managers, see
//! `make-fixtures.sh`): the component set we find equals the ground truth (`expected.txt`), with no package
//! missed and none invented. The same fixtures go through syft and cdxgen, and their recall and precision are
//! printed beside ours (run with `--no-capture` to see the table).
#![allow(clippy::cast_precision_loss)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

type Key = (String, String, String);

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn norm_name(ty: &str, name: &str) -> String {
    if ty == "pypi" {
        name.to_lowercase().replace(['_', '.'], "-")
    } else {
        name.to_owned()
    }
}

/// `pkg:type/ns/name@version?q#s` → (type, ns/name, version).
fn purl_key(purl: &str) -> Option<Key> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (path, version) = rest.rsplit_once('@')?;
    let (ty, name) = path.split_once('/')?;
    let mut name = percent_decode(name);
    if ty == "deb" || ty == "rpm" || ty == "apk" {
        // The namespace is the distribution, not part of the package name.
        name = name.rsplit('/').next().unwrap_or_default().to_owned();
    }
    if ty == "maven" {
        // expected.txt spells Maven names groupId:artifactId.
        name = name.replacen('/', ":", 1);
    }
    Some((ty.to_owned(), norm_name(ty, &name), percent_decode(version)))
}

fn truth(dir: &Path) -> BTreeSet<Key> {
    std::fs::read_to_string(dir.join("expected.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(' ');
            let ty = f.next()?;
            let name = f.next()?;
            Some((ty.to_owned(), norm_name(ty, name), f.next()?.to_owned()))
        })
        .collect()
}

fn ours(dir: &Path) -> BTreeSet<Key> {
    let cat = provenant_catalog::catalog(dir).unwrap();
    assert!(cat.warnings.is_empty(), "{}: {:?}", dir.display(), cat.warnings);
    cat.components
        .iter()
        .filter_map(|c| purl_key(c.purl.as_str()))
        .collect()
}

fn from_cyclonedx(path: &Path) -> BTreeSet<Key> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    let mut stack: Vec<&serde_json::Value> = doc["components"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    while let Some(c) = stack.pop() {
        if let Some(k) = c["purl"].as_str().and_then(purl_key) {
            out.insert(k);
        }
        if let Some(a) = c["components"].as_array() {
            stack.extend(a.iter());
        }
    }
    out
}

fn syft(dir: &Path, out: &Path) -> Option<BTreeSet<Key>> {
    let syft = provenant_testkit::require_venv_tool("syft", "syft");
    let status = Command::new(syft)
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .arg(format!("dir:{}", dir.display()))
        .arg("-q")
        .arg("-o")
        .arg(format!("cyclonedx-json={}", out.display()))
        .status()
        .unwrap();
    status.success().then(|| from_cyclonedx(out))
}

fn cdxgen(dir: &Path, ty: &str, out: &Path) -> Option<BTreeSet<Key>> {
    let bin = provenant_testkit::oracles_dir().join("npm/cdxgen/node_modules/.bin/cdxgen");
    assert!(
        bin.exists(),
        "cdxgen is not installed at {}: run tests/harness/setup.sh",
        bin.display()
    );
    let status = Command::new("node")
        .arg(bin)
        .env("CDXGEN_NO_BANNER", "true")
        .env("FETCH_LICENSE", "false")
        .env("CDXGEN_DEBUG_MODE", "")
        .args(["-t", ty, "--no-install-deps", "-o"])
        .arg(out)
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    (status.success() && out.exists()).then(|| from_cyclonedx(out))
}

fn score(found: &BTreeSet<Key>, truth: &BTreeSet<Key>) -> (f64, f64) {
    let hit = found.intersection(truth).count() as f64;
    let recall = if truth.is_empty() {
        1.0
    } else {
        hit / truth.len() as f64
    };
    let precision = if found.is_empty() {
        0.0
    } else {
        hit / found.len() as f64
    };
    (recall, precision)
}

fn cell(r: Option<(f64, f64)>) -> String {
    r.map_or_else(
        || "      n/a      ".to_owned(),
        |(r, p)| format!("{:>6.1}% {:>6.1}%", r * 100.0, p * 100.0),
    )
}

#[test]
fn fixtures_match_ground_truth_and_beat_syft_and_cdxgen() {
    let root = provenant_testkit::repo_root().join("testdata/sbom");
    let tmp = tempfile::tempdir().unwrap();
    // (fixture, cdxgen project type; None where cdxgen has no mode for it)
    let fixtures = [
        ("cargo-v4", Some("rust")),
        ("cargo-v3", Some("rust")),
        ("npm-v1", Some("js")),
        ("npm-v2", Some("js")),
        ("npm-v3", Some("js")),
        ("pip-req", Some("python")),
        ("pip-site", Some("python")),
        ("uv-lock", Some("python")),
        ("dpkg", None),
        ("yarn-v1", Some("js")),
        ("yarn-berry", Some("js")),
        ("pnpm-v6", Some("js")),
        ("pnpm-v9", Some("js")),
        ("node-modules", Some("js")),
        ("poetry-lock", Some("python")),
        ("pipfile-lock", Some("python")),
        ("go-mod", Some("go")),
        ("go-bin", Some("go")),
        ("cargo-auditable", None),
        ("java-jars", Some("java")),
        ("maven-pom", Some("java")),
        ("gradle-lock", Some("gradle")),
        ("gemfile-lock", Some("ruby")),
        ("composer-lock", Some("php")),
        ("apk", None),
        ("rpm", None),
    ];
    let mut table = String::from(
        "fixture         truth | ours recall/precision | syft recall/precision | cdxgen recall/precision\n",
    );
    let mut failures = Vec::new();
    for (name, cdx_type) in fixtures {
        let dir = root.join(name);
        let truth = truth(&dir);
        assert!(!truth.is_empty(), "{name}: empty ground truth");
        let mine = ours(&dir);
        let s = syft(&dir, &tmp.path().join(format!("{name}.syft.json"))).map(|f| score(&f, &truth));
        let c = cdx_type
            .and_then(|t| cdxgen(&dir, t, &tmp.path().join(format!("{name}.cdxgen.json"))))
            .map(|f| score(&f, &truth));
        writeln!(
            table,
            "{name:<15} {:>5} | {} | {} | {}",
            truth.len(),
            cell(Some(score(&mine, &truth))),
            cell(s),
            cell(c)
        )
        .unwrap();
        if mine != truth {
            failures.push(format!(
                "{name}: missed {:?}, invented {:?}",
                truth.difference(&mine).take(10).collect::<Vec<_>>(),
                mine.difference(&truth).take(10).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{failures:#?}");
}
