//! Any bytes given to the trusted-root parser, and any root that parses given to the verifier's
//! preparation, give a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_sigstore::{TrustedRoot, Verifier};

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = TrustedRoot::from_json(data) {
        let _ = root.summary();
        let _ = Verifier::new(&root);
    }
});
