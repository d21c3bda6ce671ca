//! Structural and semantic validation of CycloneDX JSON documents.
//!
//! [`cyclonedx`] walks a parsed document and reports every [`Finding`] with the JSON path it concerns
//! (`$.components[3].hashes[0].content`). Findings of [`Kind::Schema`] are the ones the official JSON schema
//! also decides (required fields, enumerations, patterns, SPDX licence identifiers); [`Kind::Semantic`] ones go
//! beyond the schema (unparsable PURLs or licence expressions, hash lengths that do not fit their algorithm,
//! duplicate or dangling references).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::purl::Purl;

/// Whether the official schema decides a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// The JSON schema of the version rejects this too.
    Schema,
    /// A rule the schema cannot express.
    Semantic,
}

/// One problem in a document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Finding {
    /// JSON path of the offending value, `$` being the document.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Schema or semantic.
    pub kind: Kind,
}

const COMPONENT_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];
const HASH_ALGS: &[(&str, &[usize])] = &[
    ("MD5", &[32]),
    ("SHA-1", &[40]),
    ("SHA-256", &[64]),
    ("SHA-384", &[96]),
    ("SHA-512", &[128]),
    ("SHA3-256", &[64]),
    ("SHA3-384", &[96]),
    ("SHA3-512", &[128]),
    ("BLAKE2b-256", &[64]),
    ("BLAKE2b-384", &[96]),
    ("BLAKE2b-512", &[128]),
    ("BLAKE3", &[32, 40, 64, 96, 128]),
    ("Streebog-256", &[64]),
    ("Streebog-512", &[128]),
];
const SCOPES: &[&str] = &["required", "optional", "excluded"];
const PATCH_TYPES: &[&str] = &["unofficial", "monkey", "backport", "cherry-pick"];
const ISSUE_TYPES: &[&str] = &["defect", "enhancement", "security"];
const DATA_FLOWS: &[&str] = &["inbound", "outbound", "bi-directional", "unknown"];

struct Walker {
    findings: Vec<Finding>,
    refs: BTreeSet<String>,
    /// Minor version (5 for 1.5), 0 when unknown.
    minor: u8,
}

impl Walker {
    fn schema(&mut self, path: &str, message: impl Into<String>) {
        self.findings.push(Finding {
            path: path.to_owned(),
            message: message.into(),
            kind: Kind::Schema,
        });
    }
    fn semantic(&mut self, path: &str, message: impl Into<String>) {
        self.findings.push(Finding {
            path: path.to_owned(),
            message: message.into(),
            kind: Kind::Semantic,
        });
    }

    fn array<'v>(&mut self, obj: &'v Map<String, Value>, key: &str, path: &str) -> Vec<(String, &'v Value)> {
        match obj.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{path}.{key}[{i}]"), v))
                .collect(),
            Some(_) => {
                self.schema(&format!("{path}.{key}"), "must be an array");
                Vec::new()
            }
        }
    }

    fn string_enum(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        allowed: &[&str],
        required: bool,
    ) {
        match obj.get(key) {
            None if required => self.schema(
                &format!("{path}.{key}"),
                format!("required field {key:?} is missing"),
            ),
            None => {}
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
            Some(v) => self.schema(&format!("{path}.{key}"), format!("{v} is not one of {allowed:?}")),
        }
    }

    fn bom_ref(&mut self, obj: &Map<String, Value>, path: &str) {
        match obj.get("bom-ref") {
            Some(Value::String(s)) if s.is_empty() => {
                self.schema(&format!("{path}.bom-ref"), "bom-ref must not be empty");
            }
            Some(Value::String(s)) if !self.refs.insert(s.clone()) => {
                self.semantic(&format!("{path}.bom-ref"), format!("bom-ref {s:?} is not unique"));
            }
            None | Some(Value::String(_)) => {}
            Some(_) => self.schema(&format!("{path}.bom-ref"), "bom-ref must be a string"),
        }
    }

    fn properties(&mut self, obj: &Map<String, Value>, path: &str) {
        for (p, prop) in self.array(obj, "properties", path) {
            match prop.as_object() {
                Some(o) => {
                    if !matches!(o.get("name"), Some(Value::String(_))) {
                        self.schema(&format!("{p}.name"), "property needs a string name");
                    }
                    if let Some(k) = o.keys().find(|k| *k != "name" && *k != "value") {
                        self.schema(&format!("{p}.{k}"), format!("unexpected property field {k:?}"));
                    }
                }
                None => self.schema(&p, "property must be an object"),
            }
        }
    }

    fn licenses(&mut self, obj: &Map<String, Value>, path: &str) {
        let items = self.array(obj, "licenses", path);
        let expressions = items
            .iter()
            .filter(|(_, v)| v.get("expression").is_some())
            .count();
        // Before 1.7 a list holds either licences or one expression; 1.7 allows mixing.
        if expressions > 0 && items.len() > 1 && self.minor < 7 {
            self.schema(
                &format!("{path}.licenses"),
                "an expression must be the only entry of a licence list",
            );
        }
        for (p, item) in items {
            let Some(o) = item.as_object() else {
                self.schema(&p, "licence entry must be an object");
                continue;
            };
            match (o.get("license"), o.get("expression")) {
                (Some(_), Some(_)) => self.schema(
                    &p,
                    "a licence entry has either `license` or `expression`, not both",
                ),
                (None, None) => self.schema(&p, "a licence entry needs `license` or `expression`"),
                (None, Some(Value::String(e))) => {
                    if spdx::Expression::parse_mode(e, spdx::ParseMode::LAX).is_err() {
                        self.semantic(
                            &format!("{p}.expression"),
                            format!("{e:?} is not a valid SPDX licence expression"),
                        );
                    }
                }
                (None, Some(_)) => self.schema(&format!("{p}.expression"), "expression must be a string"),
                (Some(l), None) => self.license(l, &format!("{p}.license")),
            }
            if let Some(a) = o.get("acknowledgement")
                && !matches!(a.as_str(), Some("declared" | "concluded"))
            {
                self.schema(
                    &format!("{p}.acknowledgement"),
                    "acknowledgement must be declared or concluded",
                );
            }
        }
    }

    fn license(&mut self, l: &Value, path: &str) {
        let Some(o) = l.as_object() else {
            self.schema(path, "license must be an object");
            return;
        };
        match (o.get("id"), o.get("name")) {
            (Some(_), Some(_)) => self.schema(path, "license has either id or name, not both"),
            (None, None) => self.schema(path, "license needs an id or a name"),
            (Some(Value::String(id)), None)
                if spdx::license_id(id).is_none() && spdx::exception_id(id).is_none() =>
            {
                self.schema(
                    &format!("{path}.id"),
                    format!("{id:?} is not an SPDX licence identifier"),
                );
            }
            _ => {}
        }
        if let Some(t) = o.get("text").and_then(Value::as_object)
            && let Some(enc) = t.get("encoding")
            && enc.as_str() != Some("base64")
        {
            self.schema(&format!("{path}.text.encoding"), "the only encoding is base64");
        }
        if let Some(ack) = o.get("acknowledgement")
            && !matches!(ack.as_str(), Some("declared" | "concluded"))
        {
            self.schema(
                &format!("{path}.acknowledgement"),
                "acknowledgement must be declared or concluded",
            );
        }
        self.properties(o, path);
    }

    fn hashes(&mut self, obj: &Map<String, Value>, path: &str) {
        for (p, h) in self.array(obj, "hashes", path) {
            let alg = h.get("alg").and_then(Value::as_str);
            let content = h.get("content").and_then(Value::as_str);
            let lengths = alg
                .and_then(|a| HASH_ALGS.iter().find(|(n, _)| *n == a))
                .map(|(_, l)| *l);
            if lengths.is_none() {
                self.schema(
                    &format!("{p}.alg"),
                    format!("unknown hash algorithm {:?}", h.get("alg")),
                );
            }
            let Some(c) = content else {
                self.schema(&format!("{p}.content"), "hash content is missing");
                continue;
            };
            let hex = c.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex || ![32, 40, 64, 96, 128].contains(&c.len()) {
                self.schema(
                    &format!("{p}.content"),
                    "hash content is not 32, 40, 64, 96 or 128 hex digits",
                );
            } else if let Some(l) = lengths
                && !l.contains(&c.len())
            {
                self.semantic(
                    &format!("{p}.content"),
                    format!("{} hex digits do not fit {:?}", c.len(), alg),
                );
            }
        }
    }

    fn component(&mut self, c: &Value, path: &str) {
        let Some(o) = c.as_object() else {
            self.schema(path, "component must be an object");
            return;
        };
        self.string_enum(o, "type", path, COMPONENT_TYPES, true);
        if !matches!(o.get("name"), Some(Value::String(_))) {
            self.schema(&format!("{path}.name"), "required field \"name\" is missing");
        }
        self.bom_ref(o, path);
        self.string_enum(o, "scope", path, SCOPES, false);
        self.hashes(o, path);
        self.licenses(o, path);
        self.properties(o, path);
        if let Some(p) = o.get("purl") {
            match p.as_str() {
                Some(s) if s.parse::<Purl>().is_ok() => {}
                Some(s) => self.semantic(
                    &format!("{path}.purl"),
                    format!("{s:?} is not a valid package URL"),
                ),
                None => self.schema(&format!("{path}.purl"), "purl must be a string"),
            }
        }
        if let Some(range) = o.get("versionRange") {
            let rp = format!("{path}.versionRange");
            if o.contains_key("version") {
                self.schema(&rp, "a component has either version or versionRange, not both");
            }
            if range.is_string() && o.get("isExternal") != Some(&Value::Bool(true)) {
                self.schema(
                    &rp,
                    "versionRange is allowed only on external components (isExternal: true)",
                );
            }
        }
        if let Some(swid) = o.get("swid").and_then(Value::as_object) {
            for key in ["tagId", "name"] {
                if !swid.contains_key(key) {
                    self.schema(
                        &format!("{path}.swid.{key}"),
                        format!("required field {key:?} is missing"),
                    );
                }
            }
        }
        if let Some(pedigree) = o.get("pedigree").and_then(Value::as_object) {
            let pp = format!("{path}.pedigree");
            for key in ["ancestors", "descendants", "variants"] {
                for (p, child) in self.array(pedigree, key, &pp) {
                    self.component(child, &p);
                }
            }
            for (p, patch) in self.array(pedigree, "patches", &pp) {
                if let Some(po) = patch.as_object() {
                    self.string_enum(po, "type", &p, PATCH_TYPES, true);
                    for (ip, issue) in self.array(po, "resolves", &p) {
                        if let Some(io) = issue.as_object() {
                            self.string_enum(io, "type", &ip, ISSUE_TYPES, true);
                        }
                    }
                }
            }
        }
        for (p, child) in self.array(o, "components", path) {
            self.component(child, &p);
        }
    }

    fn service(&mut self, s: &Value, path: &str) {
        let Some(o) = s.as_object() else {
            self.schema(path, "service must be an object");
            return;
        };
        if !matches!(o.get("name"), Some(Value::String(_))) {
            self.schema(&format!("{path}.name"), "required field \"name\" is missing");
        }
        self.bom_ref(o, path);
        self.licenses(o, path);
        self.properties(o, path);
        for (p, d) in self.array(o, "data", path) {
            if let Some(dobj) = d.as_object() {
                self.string_enum(dobj, "flow", &p, DATA_FLOWS, true);
            }
        }
        for (p, child) in self.array(o, "services", path) {
            self.service(child, &p);
        }
    }
}

fn is_uuid_urn(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = u.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    groups.len() == 5
        && groups
            .iter()
            .zip(lens)
            .all(|(g, l)| g.len() == l && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_date_time(s: &str) -> bool {
    // RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4) && at(4, b'-') && digits(5..7) && at(7, b'-') && digits(8..10)) {
        return false;
    }
    if !(matches!(b.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            digits(i + 1..i + 3) && at(i + 3, b':') && digits(i + 4..i + 6) && i + 6 == b.len()
        }
        _ => false,
    }
}

/// Validates a CycloneDX JSON document (any version 1.2–1.7) and returns its findings, sorted.
#[must_use]
pub fn cyclonedx(doc: &Value) -> Vec<Finding> {
    let mut w = Walker {
        findings: Vec::new(),
        refs: BTreeSet::new(),
        minor: 0,
    };
    let Some(o) = doc.as_object() else {
        w.schema("$", "a CycloneDX document is a JSON object");
        return w.findings;
    };
    if o.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        w.schema("$.bomFormat", "bomFormat must be \"CycloneDX\"");
    }
    match o.get("specVersion").and_then(Value::as_str) {
        Some(v) if ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"].contains(&v) => {
            w.minor = v.strip_prefix("1.").and_then(|m| m.parse().ok()).unwrap_or(0);
        }
        _ => w.schema(
            "$.specVersion",
            "specVersion must be a CycloneDX version 1.2 to 1.7",
        ),
    }
    if let Some(s) = o.get("serialNumber")
        && !s.as_str().is_some_and(is_uuid_urn)
    {
        w.schema("$.serialNumber", "serialNumber must be a urn:uuid: RFC 4122 UUID");
    }
    if let Some(v) = o.get("version")
        && v.as_u64().is_none_or(|n| n < 1)
    {
        w.schema("$.version", "version must be an integer of at least 1");
    }
    if let Some(m) = o.get("metadata").and_then(Value::as_object) {
        let mut allowed = vec![
            "authors",
            "component",
            "licenses",
            "lifecycles",
            "manufacture",
            "properties",
            "supplier",
            "timestamp",
            "tools",
        ];
        if w.minor >= 6 {
            allowed.push("manufacturer");
        }
        if w.minor >= 7 {
            allowed.push("distributionConstraints");
        }
        if w.minor >= 5 {
            for k in m.keys().filter(|k| !allowed.contains(&k.as_str())) {
                w.schema(
                    &format!("$.metadata.{k}"),
                    format!("metadata has no field {k:?} in this version"),
                );
            }
        }
        if let Some(t) = m.get("timestamp")
            && !t.as_str().is_some_and(is_date_time)
        {
            w.schema("$.metadata.timestamp", "timestamp must be an RFC 3339 date-time");
        }
        w.licenses(m, "$.metadata");
        w.properties(m, "$.metadata");
        if let Some(c) = m.get("component") {
            w.component(c, "$.metadata.component");
        }
    }
    for (p, c) in w.array(o, "components", "$") {
        w.component(c, &p);
    }
    for (p, s) in w.array(o, "services", "$") {
        w.service(s, &p);
    }
    w.properties(o, "$");
    references(&mut w, o);
    w.findings.sort();
    w.findings
}

/// Citations and the dependency graph, checked once every bom-ref is known.
fn references(w: &mut Walker, o: &Map<String, Value>) {
    for (p, c) in w.array(o, "citations", "$") {
        let Some(co) = c.as_object() else { continue };
        if !co.contains_key("timestamp") {
            w.schema(
                &format!("{p}.timestamp"),
                "required field \"timestamp\" is missing",
            );
        }
        if !co.contains_key("attributedTo") && !co.contains_key("process") {
            w.schema(&p, "a citation needs attributedTo or process");
        }
        if co.contains_key("pointers") == co.contains_key("expressions") {
            w.schema(&p, "a citation has exactly one of pointers and expressions");
        }
        w.bom_ref(co, &p);
    }
    // Dependencies last, so that every bom-ref is known.
    for (p, d) in w.array(o, "dependencies", "$") {
        let Some(dobj) = d.as_object() else {
            w.schema(&p, "dependency must be an object");
            continue;
        };
        match dobj.get("ref").and_then(Value::as_str) {
            None => w.schema(&format!("{p}.ref"), "required field \"ref\" is missing"),
            Some("") => w.schema(&format!("{p}.ref"), "ref must not be empty"),
            Some(r) if !w.refs.contains(r) => {
                w.semantic(&format!("{p}.ref"), format!("{r:?} refers to no bom-ref"));
            }
            Some(_) => {}
        }
        for (dp, target) in w.array(dobj, "dependsOn", &p) {
            match target.as_str() {
                Some("") => w.schema(&dp, "reference must not be empty"),
                Some(t) if !w.refs.contains(t) => w.semantic(&dp, format!("{t:?} refers to no bom-ref")),
                Some(_) => {}
                None => w.schema(&dp, "reference must be a string"),
            }
        }
    }
}
