//! Sending `CDEvents` to a sink in `CloudEvents`' binary content mode.

use crate::cdevents::Event;
use crate::http::{self, Deadlines, HttpError};

/// POSTs `event` to `url`: the `CDEvent` JSON as the body (`content-type: application/json`), the
/// `CloudEvents` attributes in `ce-*` headers. Returns the HTTP status (2xx); anything else is an error.
pub fn send_event(url: &str, event: &Event, deadlines: Deadlines) -> Result<u16, HttpError> {
    http::post_json(url, &event.cloudevent_headers(), &event.to_json(), deadlines)
}
