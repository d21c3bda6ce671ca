//! A throwaway `PostgreSQL` server for tests: Debian's `postgresql` (installed by tests/harness/setup.sh),
//! initialised in a temporary directory and started on a free loopback port; a missing installation
//! fails the test with the command that installs it.

// Test support: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A throwaway cluster; stopped (and its directory removed) on drop.
pub struct Cluster {
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
    /// Initialises a cluster (trust authentication, UTF-8, `fsync=on`) and starts it on a free loopback
    /// port, retrying when another test takes the port first.
    #[must_use]
    pub fn start() -> Cluster {
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
            let port = crate::free_port();
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

    /// The `postgres://` URL of its `postgres` database, as the superuser, without TLS.
    #[must_use]
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }
}

impl Cluster {
    /// Kills the server as a crash would: the postmaster is stopped (so that it forks no more), then it
    /// and every process it started get SIGKILL, each by its id; nothing is flushed or shut down.
    pub fn kill_9(&self) {
        let pid_file = self.dir.path().join("data").join("postmaster.pid");
        let text = std::fs::read_to_string(&pid_file).unwrap();
        let postmaster: u32 = text.lines().next().unwrap().trim().parse().unwrap();
        let signal = |sig: &str, pid: u32| {
            let _ = Command::new("kill").args([sig, &pid.to_string()]).output();
        };
        signal("-STOP", postmaster);
        let children: Vec<u32> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after ')'.
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|stat| {
                        let rest = stat.rsplit_once(')')?.1.to_owned();
                        rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                    })
                    == Some(postmaster)
            })
            .collect();
        signal("-KILL", postmaster);
        for c in children {
            signal("-KILL", c);
        }
        // Wait until the port is free again (the processes are gone).
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the killed server still accepts connections");
    }

    /// Starts the server again on its port and data (after [`Cluster::kill_9`]: crash recovery runs).
    pub fn restart(&self) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        // The killed processes' sockets and shared memory take a moment to go away.
        for _ in 0..20 {
            let o = pg(
                &self.bin,
                "pg_ctl",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-o",
                    &opts,
                    "-l",
                    log.to_str().unwrap(),
                    "-w",
                    "start",
                ],
            );
            if o.status.success() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        panic!(
            "the server did not start again: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
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
