//! The lockfile catalogers: the first byte chooses the parser, the rest is the file. Every parser
//! gives components and warnings, never a panic.
//!
//! 0: Cargo.lock; 1: package-lock.json; 2: package-lock.json with the rest also as package.json;
//! 3: requirements.txt; 4: uv.lock; 5: dpkg status; 6: Python METADATA; 7: pnpm-lock.yaml; 8: yarn.lock
//! (classic or berry); 9: poetry.lock; 10: pdm.lock; 11 and up: Python METADATA.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_catalog::{cargo, dpkg, npm, pip, pnpm, pydist, pylock, uvlock, yarn};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            let _ = cargo::parse("Cargo.lock", rest);
        }
        1 => {
            let _ = npm::parse("package-lock.json", rest, None);
        }
        2 => {
            let _ = npm::parse("package-lock.json", rest, Some(rest));
        }
        3 => {
            let _ = pip::parse("requirements.txt", rest);
        }
        4 => {
            let _ = uvlock::parse("uv.lock", rest);
        }
        5 => {
            let _ = dpkg::parse("var/lib/dpkg/status", rest);
        }
        7 => {
            let _ = pnpm::parse("pnpm-lock.yaml", rest);
        }
        8 => {
            let _ = yarn::parse("yarn.lock", rest, None);
        }
        9 => {
            let _ = pylock::parse_poetry("poetry.lock", rest, None);
        }
        10 => {
            let _ = pylock::parse_pdm("pdm.lock", rest, Some(rest));
        }
        _ => {
            let _ = pydist::parse("site-packages/x-1.0.dist-info/METADATA", rest);
        }
    }
});
