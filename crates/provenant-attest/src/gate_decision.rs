//! The one reading of a gate-decision predicate
//! ([`PROVENANT_GATE_DECISION_V1`](crate::predicate::PROVENANT_GATE_DECISION_V1)) that every consumer
//! shares: promotion, change records, environment status and lineage judge the same statement the same
//! way. What `schemas/gate-decision-v1.schema.json` requires of the outcome is required here: a
//! `decision` of `pass` or `block`, the `gates` it was made of, and when it was made (`evaluatedAt`). A
//! decision without its gates is not a decision: nothing downstream can say why it passed.

use serde_json::Value;

/// The outcome of a gate decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every gate passed (or was not applicable).
    Pass,
    /// At least one gate blocked.
    Block,
}

/// A gate-decision predicate, read: borrowed from the predicate's JSON.
#[derive(Debug, Clone, Copy)]
pub struct GateDecision<'a> {
    /// `decision`.
    pub outcome: Outcome,
    /// `gates`, each `{"id", "status", …}` as the evaluator wrote it.
    pub gates: &'a [Value],
    /// `evaluatedAt` (RFC 3339, as written).
    pub evaluated_at: &'a str,
}

/// Why a gate-decision predicate cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GateDecisionError {
    /// The predicate is not a JSON object.
    #[error("the gate decision's predicate is not a JSON object")]
    NotAnObject,
    /// A required field is absent or of the wrong JSON type.
    #[error("the gate decision has no {field} ({expected})")]
    Missing {
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `decision` is neither `pass` nor `block`.
    #[error("the gate decision's decision is {found:?}, expected pass or block")]
    UnknownOutcome {
        /// The value found (at most 64 characters).
        found: String,
    },
}

impl<'a> GateDecision<'a> {
    /// Reads a gate-decision predicate.
    ///
    /// # Errors
    /// [`GateDecisionError`] naming the field that is absent or wrong.
    pub fn read(predicate: &'a Value) -> Result<Self, GateDecisionError> {
        let object = predicate.as_object().ok_or(GateDecisionError::NotAnObject)?;
        let decision =
            object
                .get("decision")
                .and_then(Value::as_str)
                .ok_or(GateDecisionError::Missing {
                    field: "decision",
                    expected: "a string, pass or block",
                })?;
        let outcome = match decision {
            "pass" => Outcome::Pass,
            "block" => Outcome::Block,
            other => {
                return Err(GateDecisionError::UnknownOutcome {
                    found: other.chars().take(64).collect(),
                });
            }
        };
        let gates = object
            .get("gates")
            .and_then(Value::as_array)
            .ok_or(GateDecisionError::Missing {
                field: "gates",
                expected: "an array of the gates evaluated",
            })?;
        let evaluated_at = object
            .get("evaluatedAt")
            .and_then(Value::as_str)
            .ok_or(GateDecisionError::Missing {
                field: "evaluatedAt",
                expected: "an RFC 3339 time",
            })?;
        Ok(Self {
            outcome,
            gates,
            evaluated_at,
        })
    }

    /// Whether the decision is `pass`.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Pass
    }

    /// The ids of the gates whose status is `block`, in the decision's order.
    #[must_use]
    pub fn blocking(&self) -> Vec<&'a str> {
        self.gates
            .iter()
            .filter(|gate| gate.get("status").and_then(Value::as_str) == Some("block"))
            .filter_map(|gate| gate.get("id").and_then(Value::as_str))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_decision_is_read_with_its_blocking_gates() {
        let p = json!({"decision": "block", "evaluatedAt": "2026-01-01T00:00:00Z",
            "gates": [{"id": "tests", "status": "pass"}, {"id": "sast", "status": "block"}]});
        let d = GateDecision::read(&p).unwrap();
        assert_eq!(d.outcome, Outcome::Block);
        assert!(!d.passed());
        assert_eq!(d.blocking(), ["sast"]);
        assert_eq!(d.evaluated_at, "2026-01-01T00:00:00Z");
    }

    #[test]
    fn a_decision_without_gates_or_time_or_with_another_outcome_is_refused_naming_the_field() {
        let no_gates = json!({"decision": "pass", "evaluatedAt": "2026-01-01T00:00:00Z"});
        assert_eq!(
            GateDecision::read(&no_gates).unwrap_err(),
            GateDecisionError::Missing {
                field: "gates",
                expected: "an array of the gates evaluated"
            }
        );
        let no_time = json!({"decision": "pass", "gates": []});
        assert!(matches!(
            GateDecision::read(&no_time),
            Err(GateDecisionError::Missing { field: "evaluatedAt", .. })
        ));
        let maybe = json!({"decision": "maybe", "gates": [], "evaluatedAt": "x"});
        assert_eq!(
            GateDecision::read(&maybe).unwrap_err().to_string(),
            "the gate decision's decision is \"maybe\", expected pass or block"
        );
        assert_eq!(GateDecision::read(&json!([])).unwrap_err(), GateDecisionError::NotAnObject);
    }
}
