//! Validation of `CDEvents` against the specification's 0.5.1 JSON schemas (draft 2020-12, from the
//! third-party vectors `cdevents/`), with format assertions on (`uri-reference`, `date-time`).

use std::path::PathBuf;

/// Validates `doc` against the `CDEvents` schema file `schema` (such as `servicedeployed.json`), returning
/// every violation as text.
pub fn validate_cdevent(schema: &str, doc: &serde_json::Value) -> Result<(), String> {
    let dir = crate::vectors_dir().join("cdevents");
    let text = std::fs::read_to_string(dir.join(schema)).map_err(|e| format!("read schema {schema}: {e}"))?;
    let schema_doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("parse schema {schema}: {e}"))?;
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_retriever(Links(dir.join("links")))
        .build(&schema_doc)
        .map_err(|e| format!("schema {schema}: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Resolves `https://cdevents.dev/0.5.1/schema/links/NAME` to `links/NAME.json`.
struct Links(PathBuf);

impl jsonschema::Retrieve for Links {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .path()
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let text = std::fs::read_to_string(self.0.join(format!("{name}.json")))?;
        Ok(serde_json::from_str(&text)?)
    }
}
