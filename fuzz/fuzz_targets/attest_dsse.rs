//! The DSSE envelope parser on arbitrary bytes: never panics, round-trips what it accepts, and the
//! statement inside (when the payload type says there is one) parses without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_attest::Envelope;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::from_json(data) {
        let again = Envelope::from_json(&envelope.to_json());
        assert_eq!(again.ok().as_ref(), Some(&envelope));
        let _ = envelope.pae();
        let _ = envelope.statement();
    }
});
