//! The webhook's Prometheus metrics, in the text exposition format 0.0.4.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::decision::Reason;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 13] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Counters and the latency histogram.
#[derive(Debug, Default)]
pub struct Metrics {
    by_reason: [AtomicU64; Reason::ALL.len()],
    malformed: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    /// Counts a decision and its latency.
    pub fn record(&self, reason: Reason, elapsed: Duration) {
        if let Some(c) = Reason::ALL
            .iter()
            .position(|r| *r == reason)
            .and_then(|i| self.by_reason.get(i))
        {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.observe(elapsed);
    }

    /// Counts a malformed request (answered with HTTP 400) and its latency.
    pub fn record_malformed(&self, elapsed: Duration) {
        self.malformed.fetch_add(1, Ordering::Relaxed);
        self.observe(elapsed);
    }

    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The exposition text, with the cache's counters.
    #[must_use]
    pub fn render(&self, cache_hits: u64, cache_misses: u64) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP provenant_admission_requests_total Admission requests by decision and reason.\n",
        );
        out.push_str("# TYPE provenant_admission_requests_total counter\n");
        for (reason, count) in Reason::ALL.iter().zip(&self.by_reason) {
            let decision = if reason.allows() { "allowed" } else { "denied" };
            let _ = writeln!(
                out,
                "provenant_admission_requests_total{{decision=\"{decision}\",reason=\"{reason}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "provenant_admission_requests_total{{decision=\"invalid\",reason=\"malformed-request\"}} {}",
            self.malformed.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP provenant_admission_request_duration_seconds Time to answer an admission request.\n",
        );
        out.push_str("# TYPE provenant_admission_request_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "provenant_admission_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "provenant_admission_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        #[allow(clippy::cast_precision_loss)] // Microsecond sums stay far below 2^53 in any real run.
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "provenant_admission_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "provenant_admission_request_duration_seconds_count {count}");
        out.push_str(
            "# HELP provenant_admission_cache_hits_total Image decisions answered from the cache.\n",
        );
        out.push_str("# TYPE provenant_admission_cache_hits_total counter\n");
        let _ = writeln!(out, "provenant_admission_cache_hits_total {cache_hits}");
        out.push_str("# HELP provenant_admission_cache_misses_total Image decisions that read the ledger.\n");
        out.push_str("# TYPE provenant_admission_cache_misses_total counter\n");
        let _ = writeln!(out, "provenant_admission_cache_misses_total {cache_misses}");
        out
    }
}
