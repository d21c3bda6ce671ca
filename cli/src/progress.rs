//! Progress on stderr for long work: an indicatif bar that appears only when stderr is a terminal and
//! only once the work has taken more than a second, so quick commands and pipelines stay quiet.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before the bar is shown.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A progress reporter for byte-oriented work; implements the libraries' `Progress` traits.
pub(crate) struct Reporter {
    bar: ProgressBar,
    done: Arc<AtomicBool>,
}

impl Reporter {
    /// A reporter counting towards `total` bytes when known.
    pub(crate) fn bytes(total: Option<u64>, message: &str) -> Reporter {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let template = if total.is_some() {
            "{spinner} {msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})"
        } else {
            "{spinner} {msg} {binary_bytes} ({binary_bytes_per_sec})"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_owned());
        let done = Arc::new(AtomicBool::new(false));
        if std::io::stderr().is_terminal() {
            let (bar, done) = (bar.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                std::thread::sleep(SHOW_AFTER);
                if !done.load(Ordering::Acquire) {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        Reporter { bar, done }
    }

    /// Clears the bar; call when the work is done.
    pub(crate) fn finish(&self) {
        self.done.store(true, Ordering::Release);
        self.bar.finish_and_clear();
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.finish();
    }
}

impl provenant_digest::Progress for Reporter {
    fn bytes(&self, bytes: u64) {
        self.bar.inc(bytes);
    }
}
