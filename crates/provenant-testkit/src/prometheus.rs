//! A real Prometheus (Debian's `prometheus`, installed by `setup.sh`) on a free loopback port, scraping
//! loopback targets every second.

use std::process::Command;

use crate::{Service, free_port, require_on_path};

/// The Prometheus server binary, or a failure naming the installer.
#[must_use]
pub fn require_prometheus() -> std::path::PathBuf {
    require_on_path("prometheus")
}

/// Starts Prometheus scraping `targets` (`127.0.0.1:PORT`, path `/metrics`) every second, with its own
/// storage in the service's scratch directory. The first samples appear after one interval.
#[must_use]
pub fn start_prometheus(targets: &[String]) -> Service {
    let program = require_prometheus();
    let dir = tempfile::tempdir().expect("prometheus scratch dir");
    let list = targets
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: test\n    \
         static_configs:\n      - targets: [{list}]\n"
    );
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).expect("write prometheus.yml");
    let port = free_port();
    let mut command = Command::new(program);
    command
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"));
    Service::spawn(command, port, dir, "prometheus.log")
}
