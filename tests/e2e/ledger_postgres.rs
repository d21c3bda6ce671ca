//! Crash safety on `PostgreSQL`: `provenant ledger append` processes appending concurrently to a real
//! `PostgreSQL` ledger (Debian's, started on a loopback port), one of them killed with SIGKILL at a
//! random moment in each round, repeatedly. Afterwards every acknowledged append is at its acknowledged
//! index with its leaf hash and bytes, indexes run from 0 without gaps or duplicates, and the tree is
//! consistent with every checkpoint handed out (`verify` checks every kept checkpoint against the
//! recomputed tree, and each checkpoint saved mid-stream with `--checkpoint`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use provenant_ledger_store::LedgerStore;
use provenant_ledger_store::postgres::PostgresStore;
use provenant_testkit::Lcg;
use provenant_testkit::postgres::Cluster;

use crate::support::{ok_in as ok, provenant};

fn statement(dir: &Path, n: u64) -> PathBuf {
    let path = dir.join(format!("s{n}.json"));
    let doc = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": format!("{n:064x}")}}],
        "predicateType": "https://provenant.dev/attestation/deployment/v1",
        "predicate": {"environment": "prod", "n": n}
    });
    fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

fn append(dir: &Path, url: &str, file: &Path) -> Child {
    provenant()
        .current_dir(dir)
        .env_remove("PROVENANT_LEDGER")
        .env_remove("PROVENANT_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .args([
            "ledger",
            "append",
            "--ledger",
            url,
            "--note-key",
            "note.key",
            "--output",
            "json",
        ])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn acknowledged_appends_survive_kill_9_of_appending_processes_on_postgres() {
    let cluster = Cluster::start();
    let url = cluster.url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "ledger",
            "init",
            "--ledger",
            &url,
            "--origin",
            "example.com/audit",
            "--output-key-prefix",
            "note",
        ],
    );
    let mut acked: Vec<(u64, String, PathBuf)> = Vec::new();
    let mut saved: Vec<PathBuf> = Vec::new();
    let mut rng = Lcg::new(0x0070_6763_7261_7368);
    let mut killed = 0;
    for round in 0..20u64 {
        // Three appenders at once, each a process with its own connection; one is killed at a random
        // moment (before connecting, waiting for the sequencer lock, mid-transaction, or while keeping
        // its checkpoint).
        let files: Vec<PathBuf> = (0..3).map(|k| statement(d, 10 * round + k)).collect();
        let mut children: Vec<Child> = files.iter().map(|f| append(d, &url, f)).collect();
        std::thread::sleep(Duration::from_millis(rng.below(150) as u64));
        let victim = rng.below(3);
        if children[victim].kill().is_ok() {
            killed += 1;
        }
        for (child, f) in children.drain(..).zip(&files) {
            let o = child.wait_with_output().unwrap();
            if o.status.success() {
                let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                acked.push((
                    doc[0]["index"].as_u64().unwrap(),
                    doc[0]["leaf_hash"].as_str().unwrap().to_owned(),
                    f.clone(),
                ));
            }
        }
        // A checkpoint handed out now and then, kept by the auditor.
        if round % 5 == 4 {
            let note = ok(
                d,
                &["ledger", "checkpoint", "--ledger", &url, "--note-key", "note.key"],
            );
            let path = d.join(format!("cp-{round}"));
            fs::write(&path, note).unwrap();
            saved.push(path);
        }
    }
    assert!(killed > 0, "no appender was killed");
    assert!(!acked.is_empty(), "no append was acknowledged");

    check_ledger(d, &url, &acked, &saved);
}

/// Every index from 0 to the size once, in order; every acknowledged append at its index with its
/// bytes and leaf hash; no index acknowledged twice; nothing that was not sent; `verify` with and
/// without each saved checkpoint.
fn check_ledger(d: &Path, url: &str, acked: &[(u64, String, PathBuf)], saved: &[PathBuf]) {
    let store = PostgresStore::connect(url).unwrap();
    let size = store.size().unwrap();
    let entries = store.entries(0, size).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.index).collect::<Vec<_>>(),
        (0..size).collect::<Vec<_>>(),
        "indexes have gaps or duplicates"
    );
    for (index, leaf, file) in acked {
        let e = &entries[usize::try_from(*index).unwrap()];
        assert_eq!(e.leaf_hash.to_base64(), *leaf, "entry {index}");
        assert_eq!(
            e.content.as_deref(),
            Some(fs::read(file).unwrap().as_slice()),
            "entry {index}"
        );
    }
    let mut indexes: Vec<u64> = acked.iter().map(|a| a.0).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), acked.len(), "an index was acknowledged twice");
    // Every entry in the ledger is one this test sent (a killed process's append may or may not have
    // committed, but nothing else appears).
    let sent: Vec<Vec<u8>> = (0..200)
        .map(|n| d.join(format!("s{n}.json")))
        .filter(|f| f.exists())
        .map(|f| fs::read(f).unwrap())
        .collect();
    for e in &entries {
        assert!(
            sent.iter().any(|s| Some(s.as_slice()) == e.content.as_deref()),
            "entry {} was never sent",
            e.index
        );
    }
    // The tree recomputed from the entries agrees with every checkpoint kept and with each one saved.
    ok(d, &["ledger", "verify", "--ledger", url, "--key", "note.pub"]);
    for cp in saved {
        ok(
            d,
            &[
                "ledger",
                "verify",
                "--ledger",
                url,
                "--key",
                "note.pub",
                "--checkpoint",
                cp.to_str().unwrap(),
            ],
        );
    }
}
