//! Embeds the commit and its date into `provenant --version`, reproducibly: both come from git (or from
//! `PROVENANT_BUILD_COMMIT` and `SOURCE_DATE_EPOCH` when building from a source archive), never from the
//! wall clock.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm), so that `SOURCE_DATE_EPOCH` needs
/// no date crate at build time.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn main() {
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=PROVENANT_BUILD_COMMIT");
    // Rebuild when HEAD moves: HEAD itself, the branch it points to, and packed refs.
    for path in [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["rev-parse", "--git-path", "packed-refs"]),
    ]
    .into_iter()
    .flatten()
    {
        println!("cargo:rerun-if-changed={path}");
    }
    if let Some(path) =
        git(&["symbolic-ref", "-q", "HEAD"]).and_then(|branch| git(&["rev-parse", "--git-path", &branch]))
    {
        println!("cargo:rerun-if-changed={path}");
    }

    let commit = std::env::var("PROVENANT_BUILD_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| git(&["log", "-1", "--format=%ct"]))
        .and_then(|s| s.parse::<i64>().ok());
    let date = epoch.map_or_else(
        || "unknown".to_owned(),
        |epoch| {
            let (y, m, d) = civil_from_days(epoch.div_euclid(86_400));
            format!("{y:04}-{m:02}-{d:02}")
        },
    );
    println!("cargo:rustc-env=PROVENANT_COMMIT={commit}");
    println!("cargo:rustc-env=PROVENANT_BUILD_DATE={date}");
}
