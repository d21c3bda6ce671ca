//! PEP 740 documents: the first input byte selects the parser. Even: the rest is a provenance object
//! (`ProvenanceObject::from_json`, which reads every attestation into a bundle); odd: a single
//! attestation (`Attestation::from_json`). Either gives a value or a `PyPiError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_provenance::pypi::{Attestation, ProvenanceObject};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        if let Ok(object) = ProvenanceObject::from_json(rest) {
            for (_, attestations) in &object.bundles {
                for a in attestations {
                    let _ = (a.bundle().dsse_payload(), a.bundle().log_entries());
                }
            }
        }
    } else if let Ok(a) = Attestation::from_json(rest) {
        let _ = a.bundle().signing_certificate_pem();
    }
});
