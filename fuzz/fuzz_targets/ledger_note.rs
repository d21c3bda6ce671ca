//! Signed notes, checkpoints and note keys on arbitrary bytes: never panic; a checkpoint body that
//! parses writes back to the same bytes; a note that opens under the key was signed by it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_ledger::{Checkpoint, NoteSigner, NoteVerifier};

fuzz_target!(|data: &[u8]| {
    if let Ok(cp) = Checkpoint::parse(data) {
        assert_eq!(cp.to_bytes(), data);
        let _ = cp.root();
    }
    let signer = NoteSigner::from_seed("example.com/fuzz", &[9u8; 32]).ok();
    if let Some(signer) = signer {
        if let Ok(verifier) = NoteVerifier::from_text(signer.verifier_key()) {
            let _ = verifier.open(data);
            let _ = verifier.open_checkpoint(data);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = NoteVerifier::from_text(text);
        let _ = NoteSigner::from_text(text);
    }
});
