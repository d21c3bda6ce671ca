//! SLSA predicates: any JSON given as a provenance predicate (v0.2, v1, and an unknown type) or as a
//! VSA gives a value or a `PredicateError`, never a panic; the accessors of what parses never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_slsa::Provenance;
use provenant_slsa::vsa::VsaV1;

const TYPES: [&str; 3] = [
    "https://slsa.dev/provenance/v1",
    "https://slsa.dev/provenance/v0.2",
    "https://example.com/unknown/v1",
];

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for t in TYPES {
        if let Ok(p) = Provenance::parse(t, &value) {
            let _ = (p.version(), p.builder_id(), p.build_type());
            let _ = (p.config_source_uri(), p.material_source_uri());
            let _ = (p.source_ref(), p.tag_base_ref());
        }
    }
    if let Ok(vsa) = VsaV1::from_json(&value) {
        if vsa.validate().is_ok() {
            let _ = VsaV1::from_json(&vsa.to_json()).expect("a written VSA parses");
        }
    }
    if let Some(subject) = value.get("subject") {
        let _ = provenant_slsa::parse_subjects(subject);
    }
});
