//! Environments files: the input is read as `environments.yaml` (YAML, strict fields, the promotion
//! path's checks with line and column). One that loads has its change windows asked about instants.
//! Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_env::EnvironmentsFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = EnvironmentsFile::from_yaml("fuzz.yaml", data) {
        for env in &file.environments {
            for window in &env.requires.change_windows {
                let _ = window.contains(0);
                let _ = window.contains(i64::MAX / 2);
                let _ = window.describe();
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = provenant_env::Duration::parse(text);
    }
});
