//! The rollback notification: a JSON document sent (POST) to a webhook, naming both digests, the reason and
//! the post-incident review task that the rollback opens.

use serde::Serialize;

use crate::http::{self, Deadlines, HttpError};

/// The post-incident review a rollback opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewTask {
    /// The task's title.
    pub title: String,
    /// Who owns it.
    pub owner: String,
    /// When it is due (`YYYY-MM-DD`).
    pub due: String,
}

/// The notification body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollbackNotice {
    /// One line for chat tools (Slack-compatible `text`).
    pub text: String,
    /// The environment.
    pub environment: String,
    /// The digest rolled back from.
    pub from: String,
    /// The digest rolled back to.
    pub to: String,
    /// Why.
    pub reason: String,
    /// The rollback record's ledger index.
    #[serde(rename = "ledgerIndex")]
    pub ledger_index: u64,
    /// The review task.
    #[serde(rename = "reviewTask")]
    pub review_task: ReviewTask,
}

impl RollbackNotice {
    /// A notice with its `text` composed from the other fields.
    #[must_use]
    pub fn new(
        environment: &str,
        from: &str,
        to: &str,
        reason: &str,
        ledger_index: u64,
        review_task: ReviewTask,
    ) -> RollbackNotice {
        RollbackNotice {
            text: format!(
                "Rollback in {environment}: {from} -> {to} ({reason}). Review \"{}\" owned by {}, due {}.",
                review_task.title, review_task.owner, review_task.due
            ),
            environment: environment.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            reason: reason.to_owned(),
            ledger_index,
            review_task,
        }
    }

    /// The notice as JSON, deterministic.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// POSTs `notice` to `url`; a non-2xx answer is an error.
pub fn send_notice(url: &str, notice: &RollbackNotice, deadlines: Deadlines) -> Result<u16, HttpError> {
    http::post_json(url, &[], &notice.to_json(), deadlines)
}

/// The date `days` after the RFC 3339 `timestamp`'s day, as `YYYY-MM-DD` (UTC); `None` when the
/// timestamp is not RFC 3339.
#[must_use]
pub fn due_date(timestamp: &str, days: u32) -> Option<String> {
    let ts: jiff::Timestamp = timestamp.parse().ok()?;
    let date = ts.to_zoned(jiff::tz::TimeZone::UTC).date();
    let due = date.checked_add(jiff::Span::new().days(i64::from(days))).ok()?;
    Some(due.to_string())
}
