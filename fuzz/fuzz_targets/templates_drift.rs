//! Pipeline files as `provenant init --check` reads them from a repository: the input (as text) is
//! read for its stamp and recorded parameters, and the drift check renders the template it names again
//! and compares it with the input (every other file missing). Never a panic; a check that runs reports
//! the pipeline file as drifted unless it is exactly the rendering.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_templates::drift;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = drift::read_stamp("fuzz.yml", &text);
    if let Ok(report) = drift::check("fuzz.yml", &text, &|_| None) {
        assert_eq!(report.checked.len(), 4);
        assert!(report.drifted.len() >= 3);
    }
});
