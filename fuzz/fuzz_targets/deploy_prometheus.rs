//! Prometheus' instant-query answer reader on arbitrary bytes: never panics, and a value it accepts is
//! finite (a missing value is `None`, never `NaN`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use provenant_deploy::prometheus::parse_query_response;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(value)) = parse_query_response(data) {
        assert!(value.is_finite());
    }
});
