//! Key files: the first byte chooses the reader, the rest is the file.
//!
//! 0: PEM decoding; 1: DER private keys (PKCS#8, SEC1); 2: PEM private keys; 3: public keys (SPKI PEM);
//! 4 and up: cosign `ENCRYPTED SIGSTORE PRIVATE KEY` files, decrypted with the password "fuzz".
//! Every reader gives a value or an error, never a panic, and hostile scrypt parameters are refused
//! before any memory is allocated for them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_keys::{SigningKey, cosign, pem_decode};
use provenant_sigstore::PublicKey;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match mode {
        0 => {
            let _ = pem_decode(&text);
        }
        1 => {
            if let Ok(key) = SigningKey::from_der(rest) {
                let _ = key.public_key_pem();
            }
        }
        2 => {
            if let Ok(key) = SigningKey::from_pem(&text) {
                let _ = key.sign(b"fuzz");
            }
        }
        3 => {
            let _ = PublicKey::from_pem(&text);
        }
        _ => {
            let _ = cosign::decrypt(&text, b"fuzz");
        }
    }
});
