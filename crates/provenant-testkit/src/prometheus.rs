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
    start(targets, "")
}

/// Starts Prometheus scraping `targets` over HTTPS every second, verifying each target's certificate
/// against the CA certificate `ca_file` (PEM); the targets' certificates must name `127.0.0.1`.
#[must_use]
pub fn start_prometheus_https(targets: &[String], ca_file: &std::path::Path) -> Service {
    let ca = ca_file
        .canonicalize()
        .expect("the CA file of the scraped targets");
    start(
        targets,
        &format!(
            "    scheme: https\n    tls_config:\n      ca_file: '{}'\n",
            ca.display()
        ),
    )
}

/// Starts Prometheus with one scrape job over `targets`; `extra` is added to the job (YAML, indented
/// for it).
fn start(targets: &[String], extra: &str) -> Service {
    let program = require_prometheus();
    let dir = tempfile::tempdir().expect("prometheus scratch dir");
    let list = targets
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: test\n{extra}    \
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
    let service = Service::spawn(command, port, dir, "prometheus.log");
    // The port opens before the storage is ready (queries answer 503 until then): wait for /-/ready.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready(port) {
        assert!(
            std::time::Instant::now() < deadline,
            "prometheus on 127.0.0.1:{port} was not ready within 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    service
}

/// Whether `GET /-/ready` answers 200.
fn ready(port: u16) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    if stream
        .write_all(b"GET /-/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}
