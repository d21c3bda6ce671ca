//! Prometheus text-format metrics: requests by route and status, append latency, tree size.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the append latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's counters.
#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    appends: Mutex<Histogram>,
    entries_appended: AtomicU64,
    tree_size: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Metrics {
    pub(crate) fn request(&self, route: &str, method: &'static str, status: u16) {
        *lock(&self.requests)
            .entry((route.to_owned(), method, status))
            .or_default() += 1;
    }

    pub(crate) fn append(&self, took: Duration, entries: u64) {
        let secs = took.as_secs_f64();
        let mut h = lock(&self.appends);
        for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if secs <= bound {
                *count += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
        self.entries_appended.fetch_add(entries, Ordering::Relaxed);
    }

    pub(crate) fn set_tree_size(&self, size: u64) {
        self.tree_size.store(size, Ordering::Relaxed);
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP provenant_ledger_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE provenant_ledger_http_requests_total counter\n");
        for ((route, method, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "provenant_ledger_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP provenant_ledger_append_seconds Time to append a batch, sign and keep its checkpoint.\n",
        );
        out.push_str("# TYPE provenant_ledger_append_seconds histogram\n");
        {
            let h = lock(&self.appends);
            for (count, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "provenant_ledger_append_seconds_bucket{{le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "provenant_ledger_append_seconds_bucket{{le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "provenant_ledger_append_seconds_sum {}", h.sum);
            let _ = writeln!(out, "provenant_ledger_append_seconds_count {}", h.count);
        }
        out.push_str(
            "# HELP provenant_ledger_entries_appended_total Entries appended through this server.\n",
        );
        out.push_str("# TYPE provenant_ledger_entries_appended_total counter\n");
        let _ = writeln!(
            out,
            "provenant_ledger_entries_appended_total {}",
            self.entries_appended.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP provenant_ledger_tree_size Entries in the tree of the latest signed checkpoint.\n",
        );
        out.push_str("# TYPE provenant_ledger_tree_size gauge\n");
        let _ = writeln!(
            out,
            "provenant_ledger_tree_size {}",
            self.tree_size.load(Ordering::Relaxed)
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
