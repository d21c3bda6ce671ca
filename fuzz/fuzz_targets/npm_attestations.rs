//! npm's registry documents: the first input byte selects the parser. 0 mod 3: the rest is an
//! attestation set (`AttestationSet::from_json`, which also parses both bundles); 1 mod 3: npm's
//! `keys.json` (`RegistryKeys::from_json`, which decodes every key); 2 mod 3: a version document with
//! its `dist.signatures` (`VersionSignatures::from_json`), checked against an empty key set. Each gives a
//! value or an error, never a panic, and the accessors of what parses never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_provenance::npm::{ATTESTATION_KEY_USAGE, AttestationSet, RegistryKeys};
use provenant_provenance::npm_registry::{VersionSignatures, verify_registry_signatures};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 3 == 2 {
        if let Ok(version) = VersionSignatures::from_json(rest) {
            let _ = version.message();
            let digest = provenant_digest::Algorithm::Sha512.hash_bytes(rest);
            let _ = verify_registry_signatures(&RegistryKeys::default(), &version, &digest, None);
        }
    } else if selector % 3 == 0 {
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
