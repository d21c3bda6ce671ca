//! The key readers on arbitrary input: cosign encrypted key files (the JSON inside the PEM, with the
//! cheapest scrypt cost the reader accepts so a run is not all key derivation), plain PEM, private
//! keys and public keys. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_keys::{PublicKey, SigningKey, cosign, pem_decode, pem_encode};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = pem_decode(&text);
    let _ = SigningKey::from_der(data);
    let _ = SigningKey::from_pem(&text);
    let _ = PublicKey::from_spki_der(data);
    let _ = PublicKey::from_pem(&text);
    // The encrypted key body is JSON; keep the scrypt cost at the minimum the reader allows so that
    // the fuzzer explores the parser rather than spending its time in the KDF.
    if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Some(params) = json.pointer_mut("/kdf/params") {
            *params = serde_json::json!({"N": 1024, "r": 1, "p": 1});
        }
        let body = serde_json::to_vec(&json).unwrap_or_default();
        let _ = cosign::decrypt(&pem_encode(cosign::PEM_LABEL, &body), b"");
    } else {
        let _ = cosign::decrypt(&pem_encode(cosign::PEM_LABEL, data), b"");
    }
});
