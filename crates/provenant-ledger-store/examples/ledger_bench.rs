//! Measurements for tests/harness/bench/90-ledger.sh (no figure is asserted anywhere).
//!
//! - `ledger_bench append DB N BATCH`: appends N statements (each about a distinct subject) in batches
//!   of BATCH through the `SQLite` store, each batch acknowledged after its fsynced commit; prints
//!   `entries seconds`.
//! - `ledger_bench rows N`: writes the same N statements, one JSON line each, for the raw-insert
//!   comparison.
//! - `ledger_bench latency DB K`: K inclusion proofs of random entries at the current size (each verified
//!   once outside the timing) and K queries by a random entry's subject; prints the mean microseconds of
//!   each.
//! - `ledger_bench pg-append URL N BATCH FIRST`: appends the statements `FIRST..FIRST+N` in batches of
//!   BATCH to the `PostgreSQL` ledger at URL (one connection; several such processes run at once);
//!   prints `entries seconds`.
//! - `ledger_bench pg-check URL EXPECTED`: reads the whole `PostgreSQL` ledger and checks that it holds
//!   EXPECTED entries numbered from 0 without gaps or duplicates, each one of the benchmark's statements
//!   exactly once, and that the tree recomputed from the entries is the stored tree; prints `entries`.
// A benchmark driver: it prints its figures, stops on the first failure, and averages in floating point.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use provenant_ledger::tree;
use provenant_ledger_store::postgres::PostgresStore;
use provenant_ledger_store::sqlite::SqliteStore;
use provenant_ledger_store::{LedgerStore, Query};
use sha2::{Digest as _, Sha256};

fn subject(i: u64) -> String {
    let h: [u8; 32] = Sha256::digest(i.to_be_bytes()).into();
    provenant_ledger::Hash(h).to_hex()
}

fn statement(i: u64) -> Vec<u8> {
    format!(
        concat!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app-{i}","digest":{{"sha256":"{s}"}}}}],"#,
            r#""predicateType":"https://provenant.dev/attestation/deployment/v1","#,
            r#""predicate":{{"environment":"prod","commit":"{c}","actor":"ci","pipelineRun":"run-{r}"}}}}"#
        ),
        i = i,
        s = subject(i),
        c = &subject(i + 1)[..40],
        r = i / 100
    )
    .into_bytes()
}

/// A cheap deterministic sequence (xorshift), so that runs repeat.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("append") => {
            let (n, batch): (u64, u64) = (args[3].parse().unwrap(), args[4].parse().unwrap());
            let store = SqliteStore::open(Path::new(&args[2])).unwrap();
            if store.origin().is_err() {
                store
                    .init("bench.example/ledger", "bench.example/ledger+00000000+AQ==")
                    .unwrap();
            }
            let start_index = store.size().unwrap();
            let batches: Vec<Vec<Vec<u8>>> = (0..n.div_ceil(batch))
                .map(|b| {
                    (b * batch..((b + 1) * batch).min(n))
                        .map(|i| statement(start_index + i))
                        .collect()
                })
                .collect();
            let t = Instant::now();
            for b in &batches {
                store.append(b, 1_700_000_000).unwrap();
            }
            println!("{n} {:.3}", t.elapsed().as_secs_f64());
        }
        Some("rows") => {
            let n: u64 = args[2].parse().unwrap();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for i in 0..n {
                out.write_all(&statement(i)).unwrap();
                out.write_all(b"\n").unwrap();
            }
        }
        Some("latency") => {
            let k: u64 = args[3].parse().unwrap();
            let store = SqliteStore::open(Path::new(&args[2])).unwrap();
            let size = store.size().unwrap();
            let root = store.tree_head().unwrap().root;
            let mut x = 0x9E37_79B9_7F4A_7C15_u64;
            let picks: Vec<u64> = (0..k).map(|_| next(&mut x) % size).collect();
            let t = Instant::now();
            let mut proofs = Vec::with_capacity(picks.len());
            for &i in &picks {
                proofs.push(store.prove_inclusion(i, size).unwrap());
            }
            let prove_us = t.elapsed().as_secs_f64() * 1e6 / k as f64;
            for (&i, p) in picks.iter().zip(&proofs) {
                let leaf = store.entry(i).unwrap().leaf_hash;
                tree::verify_inclusion(p, i, size, &leaf, &root).unwrap();
            }
            let queries: Vec<Query> = picks
                .iter()
                .map(|&i| Query {
                    subject: Some(format!("sha256:{}", subject(i))),
                    ..Query::default()
                })
                .collect();
            let t = Instant::now();
            for (q, &i) in queries.iter().zip(&picks) {
                let found = store.query(q).unwrap();
                assert_eq!(found, [i]);
            }
            let query_us = t.elapsed().as_secs_f64() * 1e6 / k as f64;
            println!("{size} {prove_us:.1} {query_us:.1}");
        }
        Some("pg-append") => pg_append(&args),
        Some("pg-check") => pg_check(&args),
        _ => {
            eprintln!(
                "usage: ledger_bench append DB N BATCH | rows N | latency DB K | pg-append URL N BATCH FIRST | pg-check URL EXPECTED"
            );
            std::process::exit(2);
        }
    }
}

/// `pg-append URL N BATCH FIRST`.
fn pg_append(args: &[String]) {
    let (n, batch, first): (u64, u64, u64) = (
        args[3].parse().unwrap(),
        args[4].parse().unwrap(),
        args[5].parse().unwrap(),
    );
    let store = PostgresStore::connect(&args[2]).unwrap();
    let batches: Vec<Vec<Vec<u8>>> = (0..n.div_ceil(batch))
        .map(|b| {
            (b * batch..((b + 1) * batch).min(n))
                .map(|i| statement(first + i))
                .collect()
        })
        .collect();
    let t = Instant::now();
    for b in &batches {
        store.append(b, 1_700_000_000).unwrap();
    }
    println!("{n} {:.3}", t.elapsed().as_secs_f64());
}

/// `pg-check URL EXPECTED`.
fn pg_check(args: &[String]) {
    let expected: u64 = args[3].parse().unwrap();
    let store = PostgresStore::connect(&args[2]).unwrap();
    let size = store.size().unwrap();
    assert_eq!(
        size, expected,
        "the ledger has {size} entries, {expected} were appended"
    );
    let mut seen = vec![false; usize::try_from(size).unwrap()];
    let mut tree = tree::MemoryTree::new();
    let mut next_index = 0;
    while next_index < size {
        let end = size.min(next_index + 10_000);
        for e in store.entries(next_index, end).unwrap() {
            assert_eq!(e.index, next_index, "a gap or duplicate at index {next_index}");
            let content = e.content.unwrap();
            let text = std::str::from_utf8(&content).unwrap();
            let app = text.split("\"name\":\"app-").nth(1).unwrap();
            let n: usize = app[..app.find('"').unwrap()].parse().unwrap();
            assert_eq!(content, statement(n as u64), "entry {next_index}");
            assert!(!seen[n], "statement {n} appended twice");
            seen[n] = true;
            tree.push(&content).unwrap();
            next_index += 1;
        }
    }
    assert!(seen.iter().all(|s| *s), "a statement is missing");
    assert_eq!(
        store.tree_head().unwrap().root,
        tree.root().unwrap(),
        "the stored tree differs"
    );
    println!("{size}");
}
