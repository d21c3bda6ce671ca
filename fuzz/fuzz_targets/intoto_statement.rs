//! Any bytes given to the in-toto Statement parser give a statement or a `StatementError`, never a
//! panic; a statement that parses and validates is written and parses again to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_attest::Statement;
use provenant_digest::Algorithm;

fuzz_target!(|data: &[u8]| {
    if let Ok(statement) = Statement::from_json(data) {
        let _ = statement.subject_matching(&Algorithm::Sha256.hash_bytes(data));
        for subject in &statement.subject {
            let _ = subject.digests();
        }
        let _ = provenant_attest::predicate::describe(&statement.predicate_type);
        if statement.validate().is_ok() {
            let written = statement.to_json();
            let again = Statement::from_json(&written).expect("a written statement parses");
            assert_eq!(again.to_json(), written);
        }
    }
});
