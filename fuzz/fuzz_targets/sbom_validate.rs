//! SBOM validation: any JSON document given to the CycloneDX and SPDX 2.3 validators gives findings,
//! never a panic; any text given to the package-URL parser gives a purl or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_sbom::Purl;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(purl) = text.parse::<Purl>() {
            let _ = purl.to_string().parse::<Purl>().expect("a written purl parses");
        }
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = provenant_sbom::validate::cyclonedx(&value);
    let _ = provenant_sbom::spdx_validate::spdx(&value);
});
