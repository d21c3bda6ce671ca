//! Any bytes given to the bundle parser give a bundle or a `ParseError`, never a panic; a bundle that
//! parses can be written as v0.3, and what is written parses again to the same v0.3 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_sigstore::Bundle;

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = Bundle::from_json(data) {
        let _ = bundle.log_entries();
        let _ = bundle.signing_certificate_pem();
        let _ = bundle.message_digest();
        if let Ok(v3) = bundle.to_json_v0_3() {
            let again = Bundle::from_json(&v3).expect("a written v0.3 bundle parses");
            assert_eq!(again.to_json_v0_3().expect("writes again"), v3);
        }
    }
});
