//! The `PostgreSQL` store: the conformance suite against a real server (Debian's `postgresql`, installed
//! by tests/harness/setup.sh) started for each test on a free loopback port, and writers on separate
//! connections appending concurrently without gaps or duplicates.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use provenant_ledger::tree::MemoryTree;
use provenant_ledger_store::LedgerStore;
use provenant_ledger_store::postgres::PostgresStore;

use crate::conformance::{VKEY, numbered};

/// A throwaway cluster; stopped (and its directory removed) on drop.
pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run tests/harness/setup.sh (apt-get install -y postgresql)")
    })
}

/// Runs a `PostgreSQL` binary as the `postgres` user when we are root (the server refuses root), else as
/// ourselves.
fn pg(bin: &Path, program: &str, args: &[&str]) -> std::process::Output {
    let exe = bin.join(program);
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(args).current_dir("/").output().unwrap()
}

impl Cluster {
    pub(crate) fn start() -> Cluster {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
        if root {
            let o = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(o.status.success());
        }
        let data = dir.path().join("data");
        let d = data.to_str().unwrap();
        let o = pg(
            &bin,
            "initdb",
            &["-D", d, "--auth=trust", "-U", "postgres", "-E", "UTF8"],
        );
        assert!(
            o.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let log = dir.path().join("log");
        // A free port can be taken by another test between the check and the bind: try a few.
        let mut started = None;
        for _ in 0..5 {
            let port = provenant_testkit::free_port();
            let opts = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
                dir.path().display()
            );
            let o = pg(
                &bin,
                "pg_ctl",
                &["-D", d, "-o", &opts, "-l", log.to_str().unwrap(), "-w", "start"],
            );
            if o.status.success() {
                started = Some(port);
                break;
            }
        }
        let port = started.unwrap_or_else(|| {
            panic!(
                "pg_ctl start failed five times: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        Cluster { dir, bin, port }
    }

    pub(crate) fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = pg(
            &self.bin,
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
    }
}

fn fresh() -> (Cluster, Arc<dyn LedgerStore>) {
    let cluster = Cluster::start();
    let store = PostgresStore::connect(&cluster.url()).unwrap();
    (cluster, Arc::new(store))
}

conformance_suite!(fresh);

/// Four connections (as four machines would have) open and append concurrently, without deadlocking on
/// the schema (the first version created it on every connect and deadlocked against the writers); then a
/// fresh connection sees every index once, in order, and the tree of exactly those entries.
#[test]
fn connecting_while_others_append_does_not_deadlock_and_indexes_have_no_gaps() {
    let cluster = Cluster::start();
    let first = PostgresStore::connect(&cluster.url()).unwrap();
    first.init("example.com/ledger", VKEY).unwrap();
    let url = cluster.url();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let store = PostgresStore::connect(&url).unwrap();
                (0..10u64)
                    .flat_map(|b| {
                        let batch: Vec<Vec<u8>> =
                            (0..4).map(|i| numbered(1000 * (t + 1) + 10 * b + i)).collect();
                        store
                            .append(&batch, 1)
                            .unwrap()
                            .into_iter()
                            .zip(batch)
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<_> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    all.sort_by_key(|(a, _)| a.index);
    assert_eq!(
        all.iter().map(|(a, _)| a.index).collect::<Vec<_>>(),
        (0..160).collect::<Vec<_>>()
    );
    // The state is the tables: a new connection rebuilds the same tree.
    let again = PostgresStore::connect(&url).unwrap();
    let mut reference = MemoryTree::new();
    for (_, bytes) in &all {
        reference.push(bytes).unwrap();
    }
    assert_eq!(again.tree_head().unwrap().root, reference.root().unwrap());
}

/// A server that accepts the connection and never answers gives the typed deadline error for
/// connecting, instead of hanging.
#[test]
fn a_server_that_never_answers_gives_the_connect_deadline_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold the connections without a word.
    let held = std::thread::spawn(move || {
        let mut kept = Vec::new();
        for s in listener.incoming().take(1) {
            kept.push(s.unwrap());
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
        drop(kept);
    });
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    let err = PostgresStore::connect_with_deadline(&url, std::time::Duration::from_millis(500)).unwrap_err();
    match err {
        provenant_ledger_store::StoreError::Deadline { operation, deadline } => {
            assert_eq!(operation, "connecting to PostgreSQL");
            assert_eq!(deadline, std::time::Duration::from_millis(500));
        }
        other => panic!("expected a deadline error, got {other}"),
    }
    held.join().unwrap();
}

/// Another session holding the sequencer lock stalls an append: the append gives the typed deadline
/// error naming the operation, appends nothing, and the store works again once the lock is released.
#[test]
fn an_append_stalled_on_a_held_lock_gives_the_deadline_error() {
    let cluster = Cluster::start();
    let deadline = std::time::Duration::from_secs(1);
    let store = PostgresStore::connect_with_deadline(&cluster.url(), deadline).unwrap();
    store.init("example.com/ledger", VKEY).unwrap();
    store.append(&[numbered(0)], 1).unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (other, connection) = rt
        .block_on(tokio_postgres::connect(&cluster.url(), tokio_postgres::NoTls))
        .unwrap();
    let driver = rt.spawn(connection);
    rt.block_on(other.execute(
        "SELECT pg_advisory_lock($1)",
        &[&provenant_ledger_store::postgres::SEQUENCER_LOCK],
    ))
    .unwrap();

    let err = store.append(&[numbered(1)], 1).unwrap_err();
    match &err {
        provenant_ledger_store::StoreError::Deadline {
            operation,
            deadline: d,
        } => {
            assert_eq!(*operation, "appending");
            assert_eq!(*d, deadline);
        }
        other => panic!("expected a deadline error, got {other}"),
    }
    assert!(err.to_string().contains("appending within 1s"), "{err}");

    rt.block_on(other.execute(
        "SELECT pg_advisory_unlock($1)",
        &[&provenant_ledger_store::postgres::SEQUENCER_LOCK],
    ))
    .unwrap();
    drop(other);
    drop(driver);
    // Nothing of the stalled append was kept, and the next one gets the next index.
    assert_eq!(store.size().unwrap(), 1);
    assert_eq!(store.append(&[numbered(2)], 1).unwrap()[0].index, 1);
}
