//! gitleaks configurations: the input (as text) is parsed as a configuration with `[extend] path`
//! refused; one that loads runs its rules over its own text. The first byte chooses whether the Go
//! patterns are also translated on their own (every `regex = '''…'''` line, bit 0), and whether the
//! rest is instead scanned as encoded text by Provenant's default rules (bit 1) with a decoding depth
//! of the byte's next three bits (base64, hex, percent and Unicode escapes decoded in place and
//! mapped back). Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_scan::gore2;
use provenant_scan::secrets::config::{Config, NoExtend};
use provenant_scan::secrets::detect::{Detector, Fragment};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fragment = Fragment { raw: rest, file: "fuzz.txt", path: "fuzz.txt", start_line: 1 };
    if mode & 2 == 2 {
        if let Ok(config) = Config::default_rules() {
            let depth = usize::from((mode >> 2) & 7);
            let _ = Detector::new(config).with_max_decode_depth(depth).detect(&fragment);
        }
        return;
    }
    let text = String::from_utf8_lossy(rest);
    if mode & 1 == 1 {
        for line in text.lines() {
            let _ = gore2::translate(line);
        }
    }
    if let Ok(config) = Config::parse(&text, "fuzz.toml", &NoExtend) {
        let detector = Detector::new(config);
        let _ = detector.detect(&fragment);
    }
});
