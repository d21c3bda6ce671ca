//! npm's registry documents: the first input byte selects the parser. Even: the rest is an attestation
//! set (`AttestationSet::from_json`, which also parses both bundles); odd: npm's `keys.json`
//! (`RegistryKeys::from_json`, which decodes every key). Either gives a value or an `NpmError`, never a
//! panic, and the accessors of what parses never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_provenance::npm::{ATTESTATION_KEY_USAGE, AttestationSet, RegistryKeys};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        if let Ok(set) = AttestationSet::from_json(rest) {
            for bundle in [&set.provenance.bundle, &set.publish.bundle] {
                let _ = (bundle.dsse_payload(), bundle.public_key_hint(), bundle.log_entries());
            }
        }
    } else if let Ok(keys) = RegistryKeys::from_json(rest) {
        for key in keys.keys() {
            let found = keys.find(&key.key_id, &key.usage).expect("a key read is found by its id");
            let _ = (found.valid_from, found.valid_until, found.public_key.spki_der());
        }
        let _ = keys.find("SHA256:none", ATTESTATION_KEY_USAGE);
    }
});
