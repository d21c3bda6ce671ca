//! Benchmark driver for `tests/harness/bench/93-lineage-where.sh`: fills an `SQLite` ledger with
//! releases (build provenance, packaging provenance, SBOM, gate decision, deployment: five entries
//! each) and times the reverse queries against it.
//!
//! `where_bench fill DB ENTRIES` then `where_bench query DB ROUNDS`, which prints, in milliseconds,
//! the mean time of a `--purl` range, a `--cve`, a `--commit` and a `--file` query.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // a benchmark driver: prints its figures and fails loudly on a bad argument

use std::path::Path;
use std::time::Instant;

use provenant_digest::Algorithm;
use provenant_ledger_store::LedgerStore;
use provenant_ledger_store::sqlite::SqliteStore;
use provenant_lineage::reverse::{Needle, find};
use provenant_lineage::version::PurlQuery;
use serde_json::{Value, json};

const PER_RELEASE: u64 = 5;

fn statement(subject_hex: &str, predicate_type: &str, predicate: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": subject_hex}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .unwrap()
}

fn release(r: u64) -> Vec<Vec<u8>> {
    let binary = Algorithm::Sha256
        .hash_bytes(format!("binary {r}").as_bytes())
        .hex();
    let image = Algorithm::Sha256
        .hash_bytes(format!("image {r}").as_bytes())
        .hex();
    let commit = format!("{:040x}", r + 1);
    // Twenty packages per SBOM, drawn from a pool of 2,000 names and 50 versions.
    let components: Vec<Value> = (0..20)
        .map(|k| {
            let name = (r * 7 + k * 13) % 2000;
            let version = (r + k) % 50;
            json!({"type": "library", "name": format!("p{name}"), "purl": format!("pkg:npm/p{name}@1.{version}.0")})
        })
        .collect();
    let cves: Vec<Value> = (0..3)
        .map(|k| json!({"id": "f", "severity": "high", "rule": format!("CVE-2024-{:05}", (r * 3 + k) % 5000), "location": null, "message": "m", "exception": null}))
        .collect();
    let environment = ["dev", "test", "prod"][usize::try_from(r % 3).unwrap()];
    vec![
        statement(
            &binary,
            "https://slsa.dev/provenance/v1",
            &json!({"buildDefinition": {"buildType": "b", "resolvedDependencies": [{"uri": "git+https://example.com/app", "digest": {"gitCommit": commit}}]}}),
        ),
        statement(
            &image,
            "https://slsa.dev/provenance/v1",
            &json!({"buildDefinition": {"buildType": "https://github.com/provenant-dev/provenant/buildtypes/oci-image/v1", "resolvedDependencies": [{"name": "usr/bin/app", "digest": {"sha256": binary}}]}}),
        ),
        statement(
            &image,
            "https://cyclonedx.org/bom",
            &json!({"bomFormat": "CycloneDX", "components": components}),
        ),
        statement(
            &image,
            "https://provenant.dev/attestation/gate-decision/v1",
            &json!({"decision": "pass", "gates": [{"id": "vulnerabilities", "status": "pass", "findings": cves, "exceptions": []}]}),
        ),
        statement(
            &image,
            "https://provenant.dev/attestation/deployment/v1",
            &json!({"environment": environment, "strategy": "rolling", "timestamp": "2026-01-01T00:00:00Z"}),
        ),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let store = SqliteStore::open(Path::new(&args[2])).unwrap();
    match args[1].as_str() {
        "fill" => {
            store
                .init("example.com/bench", "example.com/bench+00000000+AQ==")
                .unwrap();
            let n: u64 = args[3].parse().unwrap();
            let releases = n / PER_RELEASE;
            let mut batch = Vec::new();
            for r in 0..releases {
                batch.extend(release(r));
                if batch.len() >= 1000 {
                    store.append(&batch, 1_700_000_000 + r).unwrap();
                    batch.clear();
                }
            }
            if !batch.is_empty() {
                store.append(&batch, 1_700_000_000 + releases).unwrap();
            }
            println!("{}", store.size().unwrap());
        }
        "query" => {
            let rounds: u64 = args[3].parse().unwrap();
            let releases = store.size().unwrap() / PER_RELEASE;
            let mut totals = [0f64; 4];
            let mut found = 0usize;
            for i in 0..rounds {
                let r = (i * 7919) % releases;
                let needles = [
                    Needle::Purl(PurlQuery::parse(&format!("pkg:npm/p{}@<1.25.0", (r * 7) % 2000)).unwrap()),
                    Needle::Cve(format!("CVE-2024-{:05}", (r * 3) % 5000)),
                    Needle::Commit(format!("{:040x}", r + 1)),
                    Needle::File(Algorithm::Sha256.hash_bytes(format!("binary {r}").as_bytes())),
                ];
                for (k, needle) in needles.iter().enumerate() {
                    let t = Instant::now();
                    let report = find(&store, needle).unwrap();
                    totals[k] += t.elapsed().as_secs_f64();
                    found += report.artefacts.len();
                }
            }
            #[allow(clippy::cast_precision_loss)] // rounds is small
            let mean = |k: usize| totals[k] * 1000.0 / rounds as f64;
            println!(
                "{} {:.2} {:.2} {:.2} {:.2} {found}",
                store.size().unwrap(),
                mean(0),
                mean(1),
                mean(2),
                mean(3)
            );
        }
        other => panic!("unknown mode {other}"),
    }
}
