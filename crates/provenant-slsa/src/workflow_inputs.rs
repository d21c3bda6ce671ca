//! slsa-verifier's workflow-inputs check (`--build-workflow-input k=v`): every expected input of a
//! `workflow_dispatch` run must be recorded in the provenance with the same value. No I/O.

use std::collections::BTreeMap;

use serde_json::Value;

/// Why the recorded workflow inputs do not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowInputsError {
    /// The provenance records no workflow inputs at all.
    #[error("the provenance records no workflow inputs")]
    NoInputs,
    /// An expected input is not recorded.
    #[error("workflow input {name:?} is not recorded in the provenance")]
    Missing {
        /// The input's name.
        name: String,
    },
    /// An input is recorded with another value.
    #[error("workflow input {name:?} is {found:?}, expected {expected:?}")]
    Mismatch {
        /// The input's name.
        name: String,
        /// The value recorded.
        found: String,
        /// The value expected.
        expected: String,
    },
}

/// The workflow inputs a GitHub provenance records: v0.2 `invocation.environment.github_event_payload.inputs`,
/// v1 `buildDefinition.externalParameters.inputs`.
#[must_use]
pub fn recorded_inputs(predicate: &Value) -> Option<&serde_json::Map<String, Value>> {
    predicate
        .pointer("/invocation/environment/github_event_payload/inputs")
        .or_else(|| predicate.pointer("/buildDefinition/externalParameters/inputs"))
        .and_then(Value::as_object)
}

/// Checks each expected `name → value` against the recorded inputs. Values are compared as text, as
/// slsa-verifier does: a recorded `true` or `123` matches the expected strings `"true"` and `"123"`.
pub fn check_workflow_inputs(
    predicate: &Value,
    expected: &BTreeMap<String, String>,
) -> Result<(), WorkflowInputsError> {
    if expected.is_empty() {
        return Ok(());
    }
    let recorded = recorded_inputs(predicate).ok_or(WorkflowInputsError::NoInputs)?;
    for (name, want) in expected {
        let found = match recorded.get(name) {
            None | Some(Value::Null) => return Err(WorkflowInputsError::Missing { name: name.clone() }),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        if &found != want {
            return Err(WorkflowInputsError::Mismatch {
                name: name.clone(),
                found,
                expected: want.clone(),
            });
        }
    }
    Ok(())
}
