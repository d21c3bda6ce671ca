//! Any bytes read as a cosign attestation logged as Rekor `intoto/0.0.1` (two big-endian u16 lengths,
//! then the envelope, the certificate DER and the base64 entry body) give a bundle or a `ParseError`,
//! never a panic; such a bundle is never written out as a sigstore bundle.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_sigstore::{Bundle, RekorV1Entry};

fuzz_target!(|data: &[u8]| {
    let Some((lengths, rest)) = data.split_at_checked(4) else {
        return;
    };
    let envelope_len = usize::from(u16::from_be_bytes([lengths[0], lengths[1]]));
    let certificate_len = usize::from(u16::from_be_bytes([lengths[2], lengths[3]]));
    let Some((envelope, rest)) = rest.split_at_checked(envelope_len) else {
        return;
    };
    let Some((certificate, body)) = rest.split_at_checked(certificate_len) else {
        return;
    };
    let entry = RekorV1Entry {
        body: String::from_utf8_lossy(body).into_owned(),
        integrated_time: 1_673_455_977,
        log_index: 10_957_770,
        log_id: "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d".into(),
        signed_entry_timestamp: "AA==".into(),
    };
    if let Ok(bundle) = Bundle::from_cosign_intoto_v001(envelope, certificate, &entry) {
        assert_eq!(bundle.log_entries().len(), 1);
        assert!(bundle.to_json_v0_3().is_err());
        let _ = bundle.dsse_payload();
    }
});
