//! AdmissionReview request bodies on arbitrary bytes: never panic; a review that parses lists its
//! images (or says why its object cannot be read), and its response echoes the request's uid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_admission::review;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = review::parse_review(data) {
        let _ = review::workload(&request);
        let response = review::respond(&request, Some("denied"));
        let echoed = response.response.map(|r| r.uid);
        assert_eq!(echoed.as_deref(), Some(request.uid.as_str()));
    }
});
