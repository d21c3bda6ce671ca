//! Everything that prevents an answer denies, cached positives included.

use std::sync::Arc;
use std::time::Duration;

use provenant_admission::cache::SIZE_INTERVAL;
use provenant_admission::{Decider, Reason};

use crate::decision::{decider, namespaces, rt, source_over};
use crate::fixture::{Fixture, image};
use crate::probe::{Mode, Probe};

#[test]
fn a_removed_ledger_file_denies_even_a_cached_positive() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let d = decider(&fx);
    let rt = rt();
    assert_eq!(
        rt.block_on(d.decide_image(&image(1), "prod")).reason,
        Reason::Promoted
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", fx.ledger.display()));
    }
    std::thread::sleep(SIZE_INTERVAL + Duration::from_millis(200));
    let denied = rt.block_on(d.decide_image(&image(1), "prod"));
    assert_eq!(denied.reason, Reason::LedgerUnavailable, "{}", denied.message);
    assert!(
        denied.message.contains("was removed or replaced"),
        "{}",
        denied.message
    );
    assert!(rt.block_on(d.ready()).is_err());
}

#[test]
fn a_corrupted_ledger_file_denies() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let d = decider(&fx);
    let rt = rt();
    // Overwrite the database and its write-ahead log in place (same inodes, same lengths) with garbage.
    // (The shared-memory index is left alone: SQLite maps it, and truncating a mapped file kills the
    // process with SIGBUS, which no reader can prevent.)
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", fx.ledger.display());
        if let Ok(meta) = std::fs::metadata(&path) {
            std::fs::write(&path, vec![0x5a; meta.len() as usize]).unwrap();
        }
    }
    let denied = rt.block_on(d.decide_image(&image(1), "prod"));
    assert!(
        matches!(
            denied.reason,
            Reason::LedgerUnavailable | Reason::LedgerInconsistent
        ),
        "{:?}: {}",
        denied.reason,
        denied.message
    );
    assert!(
        denied.message.starts_with("image registry.example/shop@"),
        "{}",
        denied.message
    );
    assert!(denied.message.contains("so it is denied"), "{}", denied.message);
}

#[test]
fn a_store_that_errors_denies_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let probe = Probe::new(fx.store());
    probe.set(Mode::Fail);
    let d = Decider::new(
        Arc::new(source_over(&fx, probe.clone())),
        namespaces(),
        Duration::from_secs(5),
    );
    let denied = rt().block_on(d.decide_image(&image(1), "prod"));
    assert_eq!(denied.reason, Reason::LedgerUnavailable);
    assert!(
        denied.message.contains("the ledger cannot be read"),
        "{}",
        denied.message
    );
    // Errors are not cached: once the store answers again, so does the decision.
    probe.set(Mode::Normal);
    assert_eq!(
        rt().block_on(d.decide_image(&image(1), "prod")).reason,
        Reason::Promoted
    );
}

#[test]
fn a_store_that_stalls_is_denied_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let probe = Probe::new(fx.store());
    probe.set(Mode::Stall(Duration::from_secs(3)));
    let d = Decider::new(
        Arc::new(source_over(&fx, probe.clone())),
        namespaces(),
        Duration::from_millis(300),
    );
    let denied = rt().block_on(d.decide_image_with_deadline(&image(1), "prod"));
    assert_eq!(denied.reason, Reason::Timeout);
    assert!(
        denied.message.contains("cannot be decided within 300 ms"),
        "{}",
        denied.message
    );
}

#[test]
fn a_ledger_that_shrinks_is_inconsistent_and_denies() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let probe = Probe::new(fx.store());
    let d = Decider::new(
        Arc::new(source_over(&fx, probe.clone())),
        namespaces(),
        Duration::from_secs(5),
    );
    let rt = rt();
    assert_eq!(
        rt.block_on(d.decide_image(&image(1), "prod")).reason,
        Reason::Promoted
    );
    probe.set(Mode::Shrink(1));
    std::thread::sleep(SIZE_INTERVAL + Duration::from_millis(200));
    let denied = rt.block_on(d.decide_image(&image(1), "prod"));
    assert_eq!(denied.reason, Reason::LedgerInconsistent);
    assert!(
        denied.message.contains("fewer than the 1 seen before"),
        "{}",
        denied.message
    );
}
