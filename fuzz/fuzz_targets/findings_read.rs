//! Evidence readers: any bytes are detected and read as an evidence file (JUnit, coverage, SARIF,
//! vulnerability, secret and VEX formats) into a value or a `ReadError`, never a panic; what reads is
//! merged into a normalised document and serialised.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_findings::{Normalised, detect, read};

fuzz_target!(|data: &[u8]| {
    let _ = detect(data);
    if let Ok(evidence) = read("fuzz", data) {
        let mut n = Normalised::new();
        n.add("fuzz", "sha256:00", evidence);
        n.finish(&["pkg:oci/x".to_owned()], None);
        let _ = serde_json::to_vec(&n).expect("a normalised document serialises");
    }
});
