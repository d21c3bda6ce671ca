//! Snapshot tests of what `provenant` prints: help texts, and text and JSON reports on fixed inputs.
//! Review changes with `cargo insta review`; a changed snapshot is a changed user interface.

// Test code: a failed unwrap is a failed test, which is what we want; casts are on small test data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

mod digest;
mod help;

use std::path::Path;
use std::process::Command;

fn provenant(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_provenant"))
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_LOG")
        .env("COLUMNS", "100")
        .output()
        .expect("run provenant");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
