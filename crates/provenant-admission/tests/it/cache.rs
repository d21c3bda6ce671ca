//! The cache: single flight, positives kept, negatives re-checked once the ledger grows.

use std::sync::Arc;
use std::time::Duration;

use provenant_admission::cache::SIZE_INTERVAL;
use provenant_admission::{Decider, Reason};

use crate::decision::{namespaces, rt, source_over};
use crate::fixture::{Fixture, image};
use crate::probe::Probe;

fn probed(fx: &Fixture) -> (Arc<Decider>, Arc<Probe>) {
    let probe = Probe::new(fx.store());
    let source = source_over(fx, probe.clone());
    let decider = Decider::new(Arc::new(source), namespaces(), Duration::from_secs(30));
    (Arc::new(decider), probe)
}

#[test]
fn concurrent_identical_misses_do_one_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(7, "prod");
    let (decider, probe) = probed(&fx);
    let rt = rt();
    let results = rt.block_on(async {
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let d = Arc::clone(&decider);
                tokio::spawn(async move { d.decide_image(&image(7), "prod").await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    assert!(results.iter().all(|d| d.reason == Reason::Promoted));
    assert_eq!(
        probe.queries(),
        1,
        "32 concurrent misses of one key must read the ledger once"
    );
    assert_eq!(decider.cache().lookups(), 1);
    assert_eq!(results.iter().filter(|d| d.cached).count(), 31);
}

#[test]
fn a_positive_is_answered_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    fx.promote(1, "prod");
    let (decider, probe) = probed(&fx);
    let rt = rt();
    assert!(!rt.block_on(decider.decide_image(&image(1), "prod")).cached);
    for _ in 0..10 {
        let d = rt.block_on(decider.decide_image(&image(1), "prod"));
        assert_eq!(d.reason, Reason::Promoted);
        assert!(d.cached);
    }
    assert_eq!(probe.queries(), 1);
    assert_eq!(decider.cache().hits(), 10);
    // Another environment is another key.
    assert_eq!(
        rt.block_on(decider.decide_image(&image(1), "dev")).reason,
        Reason::NotPromoted
    );
    assert_eq!(probe.queries(), 2);
}

#[test]
fn a_negative_is_kept_until_the_ledger_grows_then_a_later_promotion_takes_effect() {
    let dir = tempfile::tempdir().unwrap();
    let fx = Fixture::new(dir.path());
    let (decider, probe) = probed(&fx);
    let rt = rt();
    let first = rt.block_on(decider.decide_image(&image(3), "prod"));
    assert_eq!(first.reason, Reason::NotPromoted);
    // The ledger has not grown: the negative is answered from the cache, however long it waits.
    std::thread::sleep(SIZE_INTERVAL + Duration::from_millis(200));
    let again = rt.block_on(decider.decide_image(&image(3), "prod"));
    assert_eq!(again.reason, Reason::NotPromoted);
    assert!(again.cached);
    assert_eq!(probe.queries(), 1);
    // A promotion is appended: once the size is read again (at most SIZE_INTERVAL later), the
    // negative is looked up again and the digest is allowed.
    fx.promote(3, "prod");
    std::thread::sleep(SIZE_INTERVAL + Duration::from_millis(200));
    let after = rt.block_on(decider.decide_image(&image(3), "prod"));
    assert_eq!(after.reason, Reason::Promoted, "{}", after.message);
    assert!(!after.cached);
    assert_eq!(probe.queries(), 2);
}
