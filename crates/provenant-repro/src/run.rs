//! One build: preparing its directory, wrapping the command with the run's variations, running it.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::variation::{self, OTHER_GID, OTHER_UID, OTHER_USER, Plan, Variation};

/// Bytes of a failed build's output kept for the error message.
const LOG_TAIL: u64 = 4096;

/// Why a helper tool (disorderfs, fusermount, a probe) did not do its job. The text is what the run's
/// report shows, after what was being attempted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ToolError {
    /// The tool could not be started.
    #[error("{0}")]
    Start(io::Error),
    /// The tool ran and failed: the line of its standard error that says why.
    #[error("{message}")]
    Failed {
        /// Its message, or a fixed one when it printed none.
        message: String,
    },
}

/// A FUSE mount, unmounted when dropped.
#[derive(Debug)]
pub(crate) struct Mount {
    fusermount: PathBuf,
    point: PathBuf,
    mounted: bool,
}

impl Mount {
    /// Mounts `src` at `point` through disorderfs, listing directory entries in reverse (odd `run`) or
    /// shuffled (even `run`) order.
    pub(crate) fn disorderfs(
        disorderfs: &Path,
        fusermount: &Path,
        src: &Path,
        point: &Path,
        run: u32,
    ) -> Result<Mount, ToolError> {
        let (reverse, shuffle) = if run % 2 == 1 {
            ("yes", "no")
        } else {
            ("no", "yes")
        };
        let out = Command::new(disorderfs)
            .arg(format!("--reverse-dirents={reverse}"))
            .arg(format!("--shuffle-dirents={shuffle}"))
            .args(["--multi-user=yes", "--quiet"])
            .arg(src)
            .arg(point)
            .stdin(Stdio::null())
            .output()
            .map_err(ToolError::Start)?;
        if !out.status.success() {
            let msg = String::from_utf8_lossy(&out.stderr);
            return Err(ToolError::Failed {
                message: msg
                    .lines()
                    .last()
                    .unwrap_or("disorderfs failed")
                    .trim()
                    .to_owned(),
            });
        }
        Ok(Mount {
            fusermount: fusermount.to_path_buf(),
            point: point.to_path_buf(),
            mounted: true,
        })
    }

    /// Unmounts now, reporting failure.
    pub(crate) fn unmount(&mut self) -> Result<(), ToolError> {
        if !self.mounted {
            return Ok(());
        }
        // A build may leave processes holding files briefly; retry a few times before giving up.
        let mut last = ToolError::Failed {
            message: String::new(),
        };
        for attempt in 0..10u64 {
            let out = Command::new(&self.fusermount)
                .arg("-u")
                .arg(&self.point)
                .stdin(Stdio::null())
                .output();
            match out {
                Ok(o) if o.status.success() => {
                    self.mounted = false;
                    return Ok(());
                }
                Ok(o) => {
                    last = ToolError::Failed {
                        message: String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                    };
                }
                Err(e) => last = ToolError::Start(e),
            }
            std::thread::sleep(Duration::from_millis(50 * (attempt + 1)));
        }
        Err(last)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if let Err(e) = self.unmount() {
            tracing::warn!("cannot unmount {}: {e}", self.point.display());
        }
    }
}

/// Everything that differs between runs, resolved for one run.
#[derive(Debug, Clone)]
pub(crate) struct RunSpec {
    /// 0 is the control.
    pub(crate) index: u32,
    /// Where the build runs (the working directory of the command).
    pub(crate) build_dir: PathBuf,
    /// Where the source copy lives when `build_dir` is a disorderfs mount of it.
    pub(crate) raw_dir: Option<PathBuf>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) umask: &'static str,
    pub(crate) faketime: Option<String>,
    pub(crate) hostname: Option<String>,
    pub(crate) other_user: bool,
    pub(crate) one_cpu: bool,
    pub(crate) home: Option<PathBuf>,
}

/// Lays out and configures run `index` under `root`.
pub(crate) fn spec(plan: &Plan, root: &Path, index: u32, base_env: &[(OsString, OsString)]) -> RunSpec {
    let varied = index > 0;
    let vary = |v: Variation| varied && plan.applies(v);
    let build_dir = if plan.applies(Variation::BuildPath) && varied {
        let mut p = root.join(format!("v{index}"));
        for level in 0..index {
            p.push(format!("level-{level}"));
        }
        p.join(format!("build-varied-{index}"))
    } else if plan.applies(Variation::BuildPath) {
        root.join("c").join("build")
    } else {
        // Same path in every run: each build is removed before the next one starts.
        root.join("b").join("build")
    };
    let raw_dir = vary(Variation::FileOrder).then(|| root.join(format!("raw-{index}")));

    let mut env: Vec<(OsString, OsString)> = base_env.to_vec();
    let mut set = |key: &str, value: OsString| {
        env.retain(|(k, _)| k != key);
        env.push((key.into(), value));
    };
    if plan.applies(Variation::Locale) {
        let loc = if varied {
            plan.tools.locale.clone().unwrap_or_else(|| "C.UTF-8".to_owned())
        } else {
            "C.UTF-8".to_owned()
        };
        set("LC_ALL", loc.clone().into());
        set("LANG", loc.clone().into());
        set(
            "LANGUAGE",
            if varied {
                format!("{loc}:fr")
            } else {
                "en_US:en".to_owned()
            }
            .into(),
        );
    }
    if plan.applies(Variation::Timezone) {
        set("TZ", if varied { "GMT-14" } else { "GMT+12" }.into());
    }
    let home = if plan.applies(Variation::Home) {
        let h = if varied {
            root.join(format!("h{index}")).join("home-varied")
        } else {
            root.join("home-control")
        };
        set("HOME", h.clone().into_os_string());
        Some(h)
    } else {
        None
    };
    let other_user = vary(Variation::User);
    if other_user {
        set("USER", OTHER_USER.into());
        set("LOGNAME", OTHER_USER.into());
    }
    let faketime = vary(Variation::Time).then(|| format!("+{}d", variation::time_offset_days(index)));
    if faketime.is_some() {
        // As reprotest does: fake the clock, not the file time stamps, which build tools compare.
        set("NO_FAKE_STAT", "1".into());
    }
    env.sort_by(|a, b| a.0.cmp(&b.0));
    if vary(Variation::EnvOrder) {
        if index % 2 == 1 {
            env.reverse();
        } else {
            let len = env.len();
            env.rotate_left(len / 2);
        }
    }
    RunSpec {
        index,
        build_dir,
        raw_dir,
        env,
        umask: if vary(Variation::Umask) { "0002" } else { "0022" },
        faketime,
        hostname: vary(Variation::Hostname).then(|| variation::varied_hostname(index)),
        other_user,
        one_cpu: vary(Variation::Cpus),
        home,
    }
}

/// How a finished build went.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) success: bool,
    pub(crate) status: String,
    pub(crate) duration: Duration,
    pub(crate) log_tail: String,
}

/// The full argument vector: the run's wrappers around the user's command.
pub(crate) fn argv(plan: &Plan, spec: &RunSpec, command: &[OsString]) -> Vec<OsString> {
    let mut argv: Vec<OsString> = Vec::new();
    let tools = &plan.tools;
    if let (Some(host), Some(unshare)) = (&spec.hostname, &tools.unshare) {
        argv.extend([
            unshare.as_os_str().into(),
            "--uts".into(),
            "--".into(),
            "/bin/sh".into(),
            "-c".into(),
        ]);
        argv.push(r#"hostname "$1" && shift && exec "$@""#.into());
        argv.extend(["provenant-repro".into(), host.into()]);
    }
    if spec.other_user
        && let Some(setpriv) = &tools.setpriv
    {
        argv.push(setpriv.as_os_str().into());
        argv.push(format!("--reuid={OTHER_UID}").into());
        argv.push(format!("--regid={OTHER_GID}").into());
        argv.push("--clear-groups".into());
        argv.push("--".into());
    }
    if spec.one_cpu
        && let Some(taskset) = &tools.taskset
    {
        argv.extend([taskset.as_os_str().into(), "-c".into(), "0".into()]);
    }
    // `env -i` sets the variables in exactly this order (std::process::Command would sort them).
    argv.extend(["/usr/bin/env".into(), "-i".into()]);
    for (k, v) in &spec.env {
        let mut kv = k.clone();
        kv.push("=");
        kv.push(v);
        argv.push(kv);
    }
    if let (Some(offset), Some(faketime)) = (&spec.faketime, &tools.faketime) {
        argv.extend([faketime.as_os_str().into(), "-f".into(), offset.into()]);
    }
    argv.extend(["/bin/sh".into(), "-c".into()]);
    argv.push(format!(r#"umask {} && exec "$@""#, spec.umask).into());
    argv.push("provenant-repro".into());
    argv.extend(command.iter().cloned());
    argv
}

/// Runs the build, its output going to `log`.
pub(crate) fn execute(full: &[OsString], cwd: &Path, log: &Path) -> io::Result<Finished> {
    let (program, args) = full
        .split_first()
        .ok_or_else(|| io::Error::other("empty command"))?;
    let out = fs::File::create(log)?;
    let err = out.try_clone()?;
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()?;
    let duration = start.elapsed();
    Ok(Finished {
        success: status.success(),
        status: status.to_string(),
        duration,
        log_tail: tail(log).unwrap_or_default(),
    })
}

fn tail(log: &Path) -> io::Result<String> {
    let mut f = fs::File::open(log)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL)))?;
    let mut buf = Vec::new();
    f.take(LOG_TAIL).read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Copies a tree preserving modes, symlinks and modification times; `skip_top` names top-level
/// entries not to copy. Uses an explicit stack.
pub(crate) fn copy_tree(from: &Path, to: &Path, skip_top: &[&str]) -> io::Result<()> {
    fs::create_dir_all(to)?;
    let mut stack: Vec<(PathBuf, PathBuf, bool)> = vec![(from.to_path_buf(), to.to_path_buf(), true)];
    let mut dirs: Vec<(PathBuf, fs::Metadata)> = Vec::new();
    while let Some((src, dst, top)) = stack.pop() {
        for item in fs::read_dir(&src)? {
            let item = item?;
            let name = item.file_name();
            if top && skip_top.iter().any(|s| OsStr::new(s) == name) {
                continue;
            }
            let (s, d) = (item.path(), dst.join(&name));
            let meta = fs::symlink_metadata(&s)?;
            let ft = meta.file_type();
            if ft.is_dir() {
                fs::create_dir(&d)?;
                stack.push((s, d.clone(), false));
                dirs.push((d, meta));
            } else if ft.is_symlink() {
                std::os::unix::fs::symlink(fs::read_link(&s)?, &d)?;
            } else if ft.is_file() {
                fs::copy(&s, &d)?;
                fs::set_permissions(&d, fs::Permissions::from_mode(meta.permissions().mode() & 0o7777))?;
                let f = fs::File::options().write(true).open(&d)?;
                f.set_modified(meta.modified()?)?;
            }
            // Sockets, FIFOs and devices are not source files: not copied.
        }
    }
    // Directory times and modes last, once their content is written.
    for (d, meta) in dirs.iter().rev() {
        fs::set_permissions(d, fs::Permissions::from_mode(meta.permissions().mode() & 0o7777))?;
        if let Ok(t) = meta.modified()
            && let Ok(dir) = fs::File::open(d)
        {
            let _ = dir.set_modified(t);
        }
    }
    Ok(())
}

/// Gives a tree to the uid/gid the varied build runs as.
pub(crate) fn chown_tree(root: &Path) -> io::Result<()> {
    let mut stack = vec![root.to_path_buf()];
    std::os::unix::fs::lchown(root, Some(OTHER_UID), Some(OTHER_GID))?;
    while let Some(dir) = stack.pop() {
        for item in fs::read_dir(&dir)? {
            let p = item?.path();
            std::os::unix::fs::lchown(&p, Some(OTHER_UID), Some(OTHER_GID))?;
            if fs::symlink_metadata(&p)?.is_dir() {
                stack.push(p);
            }
        }
    }
    Ok(())
}

/// Makes every directory from `root` down to `dir` traversable by other users.
pub(crate) fn open_path(root: &Path, dir: &Path) -> io::Result<()> {
    let mut p = root.to_path_buf();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?;
    if let Ok(rest) = dir.strip_prefix(root) {
        for c in rest.components() {
            p.push(c);
            if p.is_dir() {
                fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?;
            }
        }
    }
    Ok(())
}

/// The printable form of an argument vector, for reports.
pub(crate) fn display_command(command: &[OsString]) -> Vec<String> {
    command
        .iter()
        .map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned())
        .collect()
}
