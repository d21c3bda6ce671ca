//! The conditions a build is varied under, and which of them this machine can apply.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::run::ToolError;

/// One condition that differs between the control build and the varied builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Variation {
    /// The clock: varied builds run under faketime, hundreds of days ahead.
    Time,
    /// The absolute path of the build directory: different names and depths.
    BuildPath,
    /// The file-creation mask: 0022 in the control, 0002 varied.
    Umask,
    /// `LC_ALL`/`LANG`/`LANGUAGE`: C.UTF-8 in the control, another installed locale varied.
    Locale,
    /// `TZ`: GMT+12 in the control, GMT-14 varied.
    Timezone,
    /// The order of the environment variables: sorted in the control, reversed or rotated varied.
    EnvOrder,
    /// `HOME`: a different (fresh) directory in each build.
    Home,
    /// The user the build runs as: another uid in varied builds (needs root).
    User,
    /// The host name, changed in a private UTS namespace (needs root or user namespaces).
    Hostname,
    /// The CPUs the build may use: all in the control, one varied.
    Cpus,
    /// The order in which directories list their entries, changed through a disorderfs mount.
    FileOrder,
}

impl Variation {
    /// Every variation, in report order.
    pub const ALL: [Variation; 11] = [
        Variation::Time,
        Variation::BuildPath,
        Variation::Umask,
        Variation::Locale,
        Variation::Timezone,
        Variation::EnvOrder,
        Variation::Home,
        Variation::User,
        Variation::Hostname,
        Variation::Cpus,
        Variation::FileOrder,
    ];

    /// The name used on the command line and in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Variation::Time => "time",
            Variation::BuildPath => "build-path",
            Variation::Umask => "umask",
            Variation::Locale => "locale",
            Variation::Timezone => "timezone",
            Variation::EnvOrder => "env-order",
            Variation::Home => "home",
            Variation::User => "user",
            Variation::Hostname => "hostname",
            Variation::Cpus => "cpus",
            Variation::FileOrder => "file-order",
        }
    }
}

impl fmt::Display for Variation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A variation name that is not one of [`Variation::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown variation {name:?}: expected one of time, build-path, umask, locale, timezone, env-order, home, user, hostname, cpus, file-order"
)]
pub struct UnknownVariation {
    /// The name given (truncated to 40 characters).
    pub name: String,
}

impl FromStr for Variation {
    type Err = UnknownVariation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variation::ALL
            .into_iter()
            .find(|v| v.name() == s || v.name().replace('-', "_") == s)
            .ok_or_else(|| UnknownVariation {
                name: s.chars().take(40).collect(),
            })
    }
}

/// A variation that will be applied, with what the control and the varied builds get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Which variation.
    pub variation: Variation,
    /// The setting in the control build.
    pub control: String,
    /// The setting in the varied builds (the first one when they differ between runs).
    pub varied: String,
}

/// A variation that was asked for but cannot be applied here, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotApplied {
    /// Which variation.
    pub variation: Variation,
    /// Why it cannot be applied (a missing tool, missing privilege, ...).
    pub reason: String,
}

/// What the machine offers for each requested variation, probed once before the builds.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) applied: Vec<Applied>,
    pub(crate) not_applied: Vec<NotApplied>,
    pub(crate) tools: Tools,
}

/// Programs and facts the runs need, found while probing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tools {
    pub(crate) faketime: Option<PathBuf>,
    pub(crate) locale: Option<String>,
    pub(crate) setpriv: Option<PathBuf>,
    pub(crate) unshare: Option<PathBuf>,
    pub(crate) taskset: Option<PathBuf>,
    pub(crate) disorderfs: Option<PathBuf>,
    pub(crate) fusermount: Option<PathBuf>,
    pub(crate) hostname: String,
    pub(crate) user_name: String,
}

impl Plan {
    pub(crate) fn applies(&self, variation: Variation) -> bool {
        self.applied.iter().any(|a| a.variation == variation)
    }
}

/// The uid and gid varied builds run as when the user variation applies (`nobody`/`nogroup`).
pub(crate) const OTHER_UID: u32 = 65534;
pub(crate) const OTHER_GID: u32 = 65534;
pub(crate) const OTHER_USER: &str = "nobody";

/// Locales preferred for the varied build: each collates ASCII differently from C.
const PREFERRED_LOCALES: [&str; 6] = [
    "et_EE.utf8",
    "fr_CH.utf8",
    "tr_TR.utf8",
    "de_DE.utf8",
    "en_US.utf8",
    "en_GB.utf8",
];

/// Looks a program up on `PATH` (and in the sbin directories, where runuser and friends live).
pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The effective uid of this process, read from `/proc/self/status`.
pub(crate) fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn current_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn current_user() -> String {
    if let Ok(u) = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        return u;
    }
    let Some(uid) = effective_uid() else {
        return "unknown".to_owned();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)? == uid.to_string()).then(|| name.to_owned())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// Runs a probe command quietly; `Err` carries the first line it printed on stderr.
fn probe(program: &Path, args: &[&str]) -> Result<(), ToolError> {
    match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            Err(ToolError::Failed {
                message: stderr
                    .lines()
                    .next()
                    .unwrap_or("failed without a message")
                    .trim()
                    .to_owned(),
            })
        }
        Err(e) => Err(ToolError::Start(e)),
    }
}

fn installed_locale() -> Option<String> {
    let out = Command::new("locale")
        .arg("-a")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let list = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = list.lines().map(str::trim).collect();
    let norm = |s: &str| s.to_ascii_lowercase().replace("utf-8", "utf8");
    PREFERRED_LOCALES
        .iter()
        .find_map(|want| names.iter().find(|n| norm(n) == *want).map(|n| (*n).to_owned()))
        .or_else(|| {
            names
                .iter()
                .find(|n| !matches!(norm(n).as_str(), "c" | "posix" | "c.utf8"))
                .map(|n| (*n).to_owned())
        })
}

/// Probes the machine for every requested variation. `scratch` is a directory the file-order probe may
/// mount into.
pub(crate) fn plan(requested: &BTreeSet<Variation>, scratch: &Path) -> Plan {
    let mut tools = Tools {
        hostname: current_hostname(),
        user_name: current_user(),
        ..Tools::default()
    };
    let mut applied = Vec::new();
    let mut not_applied = Vec::new();
    let root = effective_uid() == Some(0);
    for &variation in &Variation::ALL {
        if !requested.contains(&variation) {
            continue;
        }
        let outcome: Result<(String, String), String> = match variation {
            Variation::Time => match which("faketime") {
                Some(p) => {
                    tools.faketime = Some(p);
                    Ok(("the real clock".to_owned(), format!("the clock {} days ahead (faketime)", time_offset_days(1))))
                }
                None => Err("faketime is not installed (apt-get install faketime)".to_owned()),
            },
            Variation::BuildPath => Ok((
                "a build directory one level deep".to_owned(),
                "a differently named build directory, deeper in the tree".to_owned(),
            )),
            Variation::Umask => Ok(("umask 0022".to_owned(), "umask 0002".to_owned())),
            Variation::Locale => match installed_locale() {
                Some(loc) => {
                    let varied = format!("LC_ALL={loc} LANG={loc}");
                    tools.locale = Some(loc);
                    Ok(("LC_ALL=C.UTF-8 LANG=C.UTF-8".to_owned(), varied))
                }
                None => Err("no locale other than C/POSIX is installed (generate one, e.g. `localedef -i et_EE -f UTF-8 et_EE.UTF-8`)".to_owned()),
            },
            Variation::Timezone => Ok(("TZ=GMT+12".to_owned(), "TZ=GMT-14".to_owned())),
            Variation::EnvOrder => Ok((
                "environment variables in sorted order".to_owned(),
                "environment variables in reversed order".to_owned(),
            )),
            Variation::Home => Ok(("HOME=<fresh directory>/home-control".to_owned(), "HOME=<another fresh directory>/home-varied".to_owned())),
            Variation::User => {
                if !root {
                    Err("running the build as another uid needs root".to_owned())
                } else if let Some(p) = which("setpriv") {
                    tools.setpriv = Some(p);
                    Ok((format!("user {}", tools.user_name), format!("user {OTHER_USER} (uid {OTHER_UID}, gid {OTHER_GID}) via setpriv")))
                } else {
                    Err("setpriv (util-linux) is not installed".to_owned())
                }
            }
            Variation::Hostname => match which("unshare") {
                None => Err("unshare (util-linux) is not installed".to_owned()),
                Some(p) => match probe(&p, &["--uts", "true"]) {
                    Ok(()) => {
                        tools.unshare = Some(p);
                        Ok((format!("host name {}", tools.hostname), format!("host name {} (private UTS namespace)", varied_hostname(1))))
                    }
                    Err(e) => Err(format!("cannot create a UTS namespace to change the host name: {e}")),
                },
            },
            Variation::Cpus => {
                let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
                match which("taskset") {
                    _ if cpus < 2 => Err("only one CPU is available, so the CPU count cannot differ".to_owned()),
                    None => Err("taskset (util-linux) is not installed".to_owned()),
                    Some(p) => {
                        tools.taskset = Some(p);
                        Ok((format!("{cpus} CPUs"), "1 CPU (taskset -c 0)".to_owned()))
                    }
                }
            }
            Variation::FileOrder => probe_disorderfs(&mut tools, scratch)
                .map(|()| {
                    ("directory entries in the file system's order".to_owned(), "directory entries reversed (disorderfs)".to_owned())
                })
                .map_err(|e| e.to_string()),
        };
        match outcome {
            Ok((control, varied)) => applied.push(Applied {
                variation,
                control,
                varied,
            }),
            Err(reason) => not_applied.push(NotApplied { variation, reason }),
        }
    }
    Plan {
        applied,
        not_applied,
        tools,
    }
}

/// Why the file-order variation cannot be applied on this machine.
#[derive(Debug, thiserror::Error)]
enum FileOrderUnavailable {
    /// No disorderfs on the PATH.
    #[error("disorderfs is not installed (apt-get install disorderfs)")]
    NoDisorderfs,
    /// No FUSE device.
    #[error("/dev/fuse does not exist, so disorderfs cannot mount")]
    NoFuseDevice,
    /// No fusermount3 or fusermount on the PATH.
    #[error("fusermount is not installed (apt-get install fuse3)")]
    NoFusermount,
    /// The probe's scratch directories cannot be made (the error is part of the message, not a source,
    /// as the message is all the report keeps).
    #[error("cannot create {}: {error}", path.display())]
    Scratch { path: PathBuf, error: std::io::Error },
    /// The probe mount failed.
    #[error("cannot mount disorderfs (FUSE): {0}")]
    Mount(ToolError),
}

fn probe_disorderfs(tools: &mut Tools, scratch: &Path) -> Result<(), FileOrderUnavailable> {
    let disorderfs = which("disorderfs").ok_or(FileOrderUnavailable::NoDisorderfs)?;
    if !Path::new("/dev/fuse").exists() {
        return Err(FileOrderUnavailable::NoFuseDevice);
    }
    let fusermount = which("fusermount3")
        .or_else(|| which("fusermount"))
        .ok_or(FileOrderUnavailable::NoFusermount)?;
    let (src, mnt) = (scratch.join("probe-src"), scratch.join("probe-mnt"));
    for dir in [&src, &mnt] {
        std::fs::create_dir_all(dir).map_err(|error| FileOrderUnavailable::Scratch {
            path: dir.clone(),
            error,
        })?;
    }
    let mount = crate::run::Mount::disorderfs(&disorderfs, &fusermount, &src, &mnt, 1)
        .map_err(FileOrderUnavailable::Mount)?;
    drop(mount);
    let _ = std::fs::remove_dir(&mnt);
    let _ = std::fs::remove_dir(&src);
    tools.disorderfs = Some(disorderfs);
    tools.fusermount = Some(fusermount);
    Ok(())
}

/// Days the clock is moved ahead in varied run `run` (1-based).
pub(crate) fn time_offset_days(run: u32) -> u32 {
    373 * run
}

/// The host name of varied run `run`.
pub(crate) fn varied_hostname(run: u32) -> String {
    format!("provenant-varied-{run}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A probe that fails says why in its first line on standard error, or that it said nothing; one that
    /// cannot start says so.
    #[test]
    fn a_failed_probe_carries_its_reason() {
        let sh = which("sh").unwrap();
        assert!(probe(&sh, &["-c", "true"]).is_ok());
        let err = probe(
            &sh,
            &["-c", "echo '  no namespaces here  ' >&2; echo second >&2; exit 1"],
        )
        .unwrap_err();
        assert!(
            matches!(&err, ToolError::Failed { message } if message == "no namespaces here"),
            "{err:?}"
        );
        let err = probe(&sh, &["-c", "exit 3"]).unwrap_err();
        assert_eq!(err.to_string(), "failed without a message");
        let err = probe(Path::new("/nonexistent/provenant-probe"), &[]).unwrap_err();
        // The spawn error itself is the message, as it was when it was a string.
        assert!(
            matches!(&err, ToolError::Start(e) if err.to_string() == e.to_string()),
            "{err:?}"
        );
    }

    #[test]
    fn file_order_reasons_read_as_before() {
        assert_eq!(
            FileOrderUnavailable::NoDisorderfs.to_string(),
            "disorderfs is not installed (apt-get install disorderfs)"
        );
        let mount = FileOrderUnavailable::Mount(ToolError::Failed {
            message: "fuse: device not found".to_owned(),
        });
        assert_eq!(
            mount.to_string(),
            "cannot mount disorderfs (FUSE): fuse: device not found"
        );
        let scratch = FileOrderUnavailable::Scratch {
            path: PathBuf::from("/s/probe-src"),
            error: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(
            scratch.to_string().starts_with("cannot create /s/probe-src: "),
            "{scratch}"
        );
    }
}
