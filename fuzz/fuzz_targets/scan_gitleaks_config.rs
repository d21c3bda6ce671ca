//! gitleaks configurations: the input (as text) is parsed as a configuration with `[extend] path`
//! refused; one that loads runs its rules over its own text. The first byte chooses whether the Go
//! patterns are also translated on their own (every `regex = '''…'''` line). Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_scan::gore2;
use provenant_scan::secrets::config::{Config, NoExtend};
use provenant_scan::secrets::detect::{Detector, Fragment};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if mode & 1 == 1 {
        for line in text.lines() {
            let _ = gore2::translate(line);
        }
    }
    if let Ok(config) = Config::parse(&text, "fuzz.toml", &NoExtend) {
        let detector = Detector::new(config);
        let _ = detector.detect(&Fragment { raw: rest, file: "fuzz.txt", path: "fuzz.txt", start_line: 1 });
    }
});
