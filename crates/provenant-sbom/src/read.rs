//! Reading CycloneDX (1.2 to 1.7) and SPDX (2.2, 2.3) JSON documents back into the model, whichever tool
//! wrote them, so that a document can be converted between formats and versions.
//!
//! The model keeps components (by PURL), their hashes, SPDX licence expressions, suppliers, evidence and
//! scope, the dependency graph and the root. Everything else the source states is listed in
//! [`Read::lost`], grouped by what it is, with the JSON paths it was found at: nothing is dropped silently.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use provenant_digest::{Algorithm, Digest};
use serde_json::{Map, Value};

use crate::model::{
    Component, Ecosystem, Evidence, HashAlg, HashValue, Root, Sbom, Scope, parse_license,
    parse_license_with_refs,
};
use crate::purl::Purl;

/// Nested CycloneDX components deeper than this are not read (each level is reported).
const MAX_DEPTH: usize = 16;
/// Example paths kept per group of losses.
const MAX_EXAMPLES: usize = 20;

/// The format a document was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceFormat {
    /// CycloneDX JSON of this `specVersion`.
    CycloneDx(String),
    /// SPDX JSON of this `spdxVersion` (`SPDX-2.3`).
    Spdx(String),
}

/// Something the source states that the model cannot carry, with how often and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lost {
    /// What was not carried over, and why.
    pub what: String,
    /// How many times.
    pub count: usize,
    /// The first JSON paths where it was found (at most twenty), in document order.
    pub examples: Vec<String>,
}

impl Lost {
    /// A loss found at these places (the count is their number; twenty are kept).
    pub(crate) fn new(what: &str, mut examples: Vec<String>) -> Lost {
        let count = examples.len();
        examples.truncate(MAX_EXAMPLES);
        Lost {
            what: what.to_owned(),
            count,
            examples,
        }
    }
}

/// A document read into the model.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Read {
    /// The SBOM.
    pub sbom: Sbom,
    /// The source format.
    pub source: SourceFormat,
    /// What could not be carried over, sorted by [`Lost::what`].
    pub lost: Vec<Lost>,
}

/// A document that cannot be read as an SBOM at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Neither `bomFormat: "CycloneDX"` nor `spdxVersion`.
    #[error("not an SBOM: the document has neither bomFormat \"CycloneDX\" nor spdxVersion")]
    UnknownFormat,
    /// A version this reader does not know.
    #[error("{format} version {version:?} is not supported (expected {expected})")]
    UnsupportedVersion {
        /// `CycloneDX` or `SPDX`.
        format: &'static str,
        /// The stated version.
        version: String,
        /// The versions read.
        expected: &'static str,
    },
    /// A field that must have a given JSON type has another.
    #[error("{path}: expected {expected}")]
    WrongType {
        /// The JSON path.
        path: String,
        /// The JSON type wanted.
        expected: &'static str,
    },
}

/// Reads a CycloneDX or SPDX JSON document. `fallback_created` (Unix seconds) is the creation time when
/// the document states none that parses.
pub fn read(doc: &Value, fallback_created: u64) -> Result<Read, ReadError> {
    if doc.get("spdxVersion").is_some() {
        read_spdx(doc, fallback_created)
    } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        read_cyclonedx(doc, fallback_created)
    } else {
        Err(ReadError::UnknownFormat)
    }
}

/// Losses grouped by description.
#[derive(Default)]
struct Losses(BTreeMap<String, (usize, Vec<String>)>);

impl Losses {
    fn add(&mut self, what: impl Into<String>, path: impl Into<String>) {
        let entry = self.0.entry(what.into()).or_default();
        entry.0 += 1;
        if entry.1.len() < MAX_EXAMPLES {
            entry.1.push(path.into());
        }
    }
    fn into_vec(self) -> Vec<Lost> {
        self.0
            .into_iter()
            .map(|(what, (count, examples))| Lost {
                what,
                count,
                examples,
            })
            .collect()
    }
}

fn array<'a>(v: &'a Value, key: &str, path: &str) -> Result<&'a [Value], ReadError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(ReadError::WrongType {
            path: format!("{path}.{key}"),
            expected: "an array",
        }),
    }
}

/// A value that states nothing: null, an empty string, array or object.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ReadError> {
    match v {
        Value::Object(o) => Ok(o),
        Value::Null => Ok(empty_map()),
        _ => Err(ReadError::WrongType {
            path: path.to_owned(),
            expected: "an object",
        }),
    }
}

fn created_from(text: Option<&str>, path: &str, fallback: u64, lost: &mut Losses) -> u64 {
    match text {
        None => fallback,
        Some(t) => crate::time::parse_rfc3339(t).unwrap_or_else(|| {
            lost.add(
                format!("creation time {t:?} is not an RFC 3339 time (replaced)"),
                path,
            );
            fallback
        }),
    }
}

/// Adds a stated hash to `comp`, or records why it could not be carried (`what` names it in the report).
fn add_hash(comp: &mut Component, lost: &mut Losses, what: &str, alg_name: &str, value: &str, path: String) {
    match hash_alg(alg_name) {
        None => lost.add(
            format!("{what} of algorithm {alg_name:?} (the model keeps SHA-1/256/384/512)"),
            path,
        ),
        Some(alg) => match HashValue::new(alg, value) {
            Ok(v) => {
                comp.hashes.insert(v);
            }
            Err(_) => lost.add(format!("{what} whose value does not fit its algorithm"), path),
        },
    }
}

fn hash_alg(name: &str) -> Option<HashAlg> {
    match name.to_ascii_uppercase().replace('-', "").as_str() {
        "SHA1" => Some(HashAlg::Sha1),
        "SHA256" => Some(HashAlg::Sha256),
        "SHA384" => Some(HashAlg::Sha384),
        "SHA512" => Some(HashAlg::Sha512),
        _ => None,
    }
}

fn root_digest(alg: HashAlg, hex: &str) -> Option<Digest> {
    let algorithm = match alg {
        HashAlg::Sha256 => Algorithm::Sha256,
        HashAlg::Sha512 => Algorithm::Sha512,
        _ => return None,
    };
    Digest::from_hex(algorithm, &hex.to_ascii_lowercase()).ok()
}

/// Joins licence expressions with `AND`, each parenthesised when compound.
fn join_licences(parts: &[String]) -> Option<String> {
    match parts {
        [] => None,
        [one] => Some(one.clone()),
        many => {
            let joined: Vec<String> = many
                .iter()
                .map(|p| {
                    if p.contains(' ') {
                        format!("({p})")
                    } else {
                        p.clone()
                    }
                })
                .collect();
            parse_license(&joined.join(" AND ")).ok()
        }
    }
}

/// The model's name for a package: npm scopes, Maven groups and Go or Composer namespaces joined the
/// way the catalogers spell them.
fn model_name(ecosystem: Ecosystem, group: Option<&str>, name: &str) -> String {
    match group.filter(|g| !g.is_empty()) {
        None => name.to_owned(),
        Some(g) => match ecosystem {
            Ecosystem::Maven => format!("{g}:{name}"),
            Ecosystem::Npm if g.starts_with('@') => format!("{g}/{name}"),
            Ecosystem::Npm => format!("@{g}/{name}"),
            _ => format!("{g}/{name}"),
        },
    }
}

/// Where the root's purl goes: an image's `pkg:oci` purl makes it a container.
fn set_root_purl(root: &mut Root, purl: Purl) {
    if purl.ty() == "oci" {
        if root.digest.is_none() {
            root.digest = crate::described::purl_digest(purl.as_str());
        }
        root.image_purl = Some(purl);
    } else {
        root.purl = Some(purl);
    }
}

/// How both readers end: the stated edges between components added, every component's scope assigned
/// from the graph (`explicit` scopes kept), and what was lost on the way.
fn finish(
    mut sbom: Sbom,
    edges: Vec<(Purl, Purl)>,
    root_direct: Option<&BTreeSet<Purl>>,
    explicit: &BTreeMap<Purl, Scope>,
    source: SourceFormat,
    lost: Losses,
) -> Read {
    for (from, to) in edges {
        if let Some(c) = sbom.components.get_mut(&from) {
            c.depends_on.insert(to);
        }
    }
    assign_scopes(&mut sbom, root_direct, explicit);
    Read {
        sbom,
        source,
        lost: lost.into_vec(),
    }
}

fn unnamed_root(name: &str) -> Root {
    Root {
        name: name.to_owned(),
        digest: None,
        version: None,
        image_purl: None,
        purl: None,
    }
}

/// The scope of every component from the stated graph: direct when the root depends on it, transitive
/// when only other components do; unknown when the source states no edges from the root.
fn assign_scopes(sbom: &mut Sbom, root_direct: Option<&BTreeSet<Purl>>, explicit: &BTreeMap<Purl, Scope>) {
    let depended: BTreeSet<Purl> = sbom
        .components
        .values()
        .flat_map(|c| c.depends_on.iter().filter(|p| **p != c.purl).cloned())
        .collect();
    for c in sbom.components.values_mut() {
        c.scope = if let Some(s) = explicit.get(&c.purl) {
            *s
        } else {
            match root_direct {
                Some(direct) if direct.contains(&c.purl) => Scope::Direct,
                Some(_) if depended.contains(&c.purl) => Scope::Transitive,
                _ => Scope::Unknown,
            }
        };
    }
}

// ---------------------------------------------------------------------------------------------------
// CycloneDX

const CDX_VERSIONS: &[&str] = &["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"];

/// A CycloneDX component as read, before it joins the SBOM.
struct CdxComponent {
    bom_ref: Option<String>,
    component: Component,
    scope: Option<Scope>,
}

#[allow(clippy::too_many_lines)] // one pass over the document's sections, in order
fn read_cyclonedx(doc: &Value, fallback_created: u64) -> Result<Read, ReadError> {
    let spec = str_of(doc, "specVersion").unwrap_or_default().to_owned();
    if !CDX_VERSIONS.contains(&spec.as_str()) {
        return Err(ReadError::UnsupportedVersion {
            format: "CycloneDX",
            version: spec,
            expected: "1.2 to 1.7",
        });
    }
    let mut lost = Losses::default();
    for (key, value) in object(doc, "$")? {
        if !is_empty(value)
            && !matches!(
                key.as_str(),
                "bomFormat"
                    | "specVersion"
                    | "serialNumber"
                    | "version"
                    | "metadata"
                    | "components"
                    | "dependencies"
                    | "$schema"
            )
        {
            lost.add(
                format!("section `{key}` (the model has no place for it)"),
                format!("$.{key}"),
            );
        }
    }
    let metadata = doc.get("metadata").unwrap_or(&Value::Null);
    let meta = object(metadata, "$.metadata")?;
    let created = created_from(
        str_of(metadata, "timestamp"),
        "$.metadata.timestamp",
        fallback_created,
        &mut lost,
    );
    for key in meta.keys() {
        if !matches!(key.as_str(), "timestamp" | "tools" | "component" | "properties") {
            lost.add(format!("metadata field `{key}`"), format!("$.metadata.{key}"));
        }
    }
    let mut warnings = Vec::new();
    for (i, p) in array(metadata, "properties", "$.metadata")?.iter().enumerate() {
        match (str_of(p, "name"), str_of(p, "value")) {
            (Some("provenant:warning"), Some(v)) => warnings.push(v.to_owned()),
            (Some("provenant:incomplete"), _) => {}
            (name, _) => lost.add(
                format!("metadata property `{}`", name.unwrap_or("")),
                format!("$.metadata.properties[{i}]"),
            ),
        }
    }
    let (root, root_ref) = if let Some(c) = metadata.get("component") {
        cdx_root(c, &mut lost)?
    } else {
        lost.add(
            "root component (the document names none; the converted root is unnamed and has no digest)",
            "$.metadata.component",
        );
        (unnamed_root("unnamed"), None)
    };
    let mut sbom = Sbom::new(root, created);
    sbom.warnings = warnings;

    let mut read = Vec::new();
    cdx_components(
        array(doc, "components", "$")?,
        "$.components",
        0,
        &mut read,
        &mut lost,
    )?;
    let mut refs: HashMap<String, Purl> = HashMap::new();
    let mut explicit = BTreeMap::new();
    for r in read {
        if let Some(b) = r.bom_ref {
            refs.insert(b, r.component.purl.clone());
        }
        if let Some(s) = r.scope {
            explicit.insert(r.component.purl.clone(), s);
        }
        sbom.add(r.component);
    }

    let mut root_direct: Option<BTreeSet<Purl>> = None;
    let mut edges: Vec<(Purl, Purl)> = Vec::new();
    for (i, d) in array(doc, "dependencies", "$")?.iter().enumerate() {
        let path = format!("$.dependencies[{i}]");
        let Some(from) = str_of(d, "ref") else {
            lost.add("dependency entry without a ref", path);
            continue;
        };
        let is_root = root_ref.as_deref() == Some(from);
        let source = refs.get(from);
        if !is_root && source.is_none() {
            lost.add(
                "dependencies of an element that was not carried over (no purl, or unknown ref)",
                path,
            );
            continue;
        }
        let mut targets = BTreeSet::new();
        for (j, t) in array(d, "dependsOn", &path)?.iter().enumerate() {
            let to = t.as_str().or_else(|| str_of(t, "ref"));
            match to.and_then(|t| refs.get(t)) {
                Some(p) => {
                    targets.insert(p.clone());
                }
                None if to.is_some() && to == root_ref.as_deref() => lost.add(
                    "dependency on the root component (the model's graph starts at the root)",
                    format!("{path}.dependsOn[{j}]"),
                ),
                None => lost.add(
                    "dependency on an element that was not carried over (no purl, or unknown ref)",
                    format!("{path}.dependsOn[{j}]"),
                ),
            }
        }
        match source {
            Some(s) if !is_root => edges.extend(targets.into_iter().map(|t| (s.clone(), t))),
            _ => root_direct.get_or_insert_with(BTreeSet::new).extend(targets),
        }
    }
    Ok(finish(
        sbom,
        edges,
        root_direct.as_ref(),
        &explicit,
        SourceFormat::CycloneDx(spec),
        lost,
    ))
}

/// How a format spells the root's version and its list of hashes.
struct RootKeys {
    /// The version's key.
    version: &'static str,
    /// The list of hashes, and its entries' algorithm and value keys.
    hashes: &'static str,
    alg: &'static str,
    value: &'static str,
    /// What the format calls a hash, in the loss reported when none gives a digest.
    hash_noun: &'static str,
}

const CDX_ROOT: RootKeys = RootKeys {
    version: "version",
    hashes: "hashes",
    alg: "alg",
    value: "content",
    hash_noun: "hash",
};

const SPDX_ROOT: RootKeys = RootKeys {
    version: "versionInfo",
    hashes: "checksums",
    alg: "algorithm",
    value: "checksumValue",
    hash_noun: "checksum",
};

/// The root as CycloneDX and SPDX both describe it: a name, a version, one digest of the stated hashes
/// (SHA-256 preferred when several are stated; the others are lost), the first valid purl of those
/// `purls` reads (an `oci` one may give the digest), and a loss when no digest is known. The caller
/// reports the root's other fields.
fn read_root<'a>(
    node: &'a Value,
    path: &str,
    keys: &RootKeys,
    lost: &mut Losses,
    purls: impl FnOnce(&mut Losses) -> Result<Vec<&'a str>, ReadError>,
    purl_path: &str,
) -> Result<Root, ReadError> {
    let mut root = unnamed_root(str_of(node, "name").unwrap_or("unnamed"));
    root.version = str_of(node, keys.version).map(str::to_owned);
    for (i, h) in array(node, keys.hashes, path)?.iter().enumerate() {
        let hpath = format!("{path}.{}[{i}]", keys.hashes);
        let digest = str_of(h, keys.alg)
            .and_then(hash_alg)
            .zip(str_of(h, keys.value))
            .and_then(|(alg, hex)| root_digest(alg, hex));
        match digest {
            // SHA-256 is preferred when several are stated.
            Some(d) if root.digest.is_none() || d.algorithm() == Algorithm::Sha256 => {
                if root.digest.replace(d).is_some() {
                    lost.add(
                        "root hash besides the one kept",
                        format!("{path}.{}", keys.hashes),
                    );
                }
            }
            Some(_) => lost.add("root hash besides the one kept", hpath),
            None => lost.add("root hash that is not SHA-256 or SHA-512", hpath),
        }
    }
    for (n, text) in purls(lost)?.iter().enumerate() {
        match text.parse::<Purl>() {
            Ok(purl) if n == 0 => set_root_purl(&mut root, purl),
            Ok(_) => lost.add("root purl besides the first", purl_path),
            Err(_) => lost.add("root purl that is not a valid package URL", purl_path),
        }
    }
    if root.digest.is_none() {
        lost.add(
            format!(
                "root digest (the source states no SHA-256 or SHA-512 {} of the root)",
                keys.hash_noun
            ),
            path,
        );
    }
    Ok(root)
}

fn cdx_root(c: &Value, lost: &mut Losses) -> Result<(Root, Option<String>), ReadError> {
    let path = "$.metadata.component";
    let fields = object(c, path)?;
    let purl_path = format!("{path}.purl");
    let root = read_root(
        c,
        path,
        &CDX_ROOT,
        lost,
        |_| Ok(str_of(c, "purl").into_iter().collect()),
        &purl_path,
    )?;
    for (key, value) in fields {
        if !is_empty(value)
            && !matches!(
                key.as_str(),
                "bom-ref" | "type" | "name" | "version" | "hashes" | "purl"
            )
        {
            lost.add(format!("root component field `{key}`"), format!("{path}.{key}"));
        }
    }
    Ok((root, str_of(c, "bom-ref").map(str::to_owned)))
}

fn cdx_components(
    items: &[Value],
    path: &str,
    depth: usize,
    out: &mut Vec<CdxComponent>,
    lost: &mut Losses,
) -> Result<(), ReadError> {
    for (i, c) in items.iter().enumerate() {
        let cpath = format!("{path}[{i}]");
        if let Some(r) = cdx_component(c, &cpath, lost)? {
            out.push(r);
        }
        let nested = array(c, "components", &cpath)?;
        if !nested.is_empty() {
            if depth + 1 >= MAX_DEPTH {
                lost.add(
                    format!("components nested deeper than {MAX_DEPTH} levels"),
                    format!("{cpath}.components"),
                );
            } else {
                cdx_components(nested, &format!("{cpath}.components"), depth + 1, out, lost)?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_lines)] // one arm per component field
fn cdx_component(c: &Value, path: &str, lost: &mut Losses) -> Result<Option<CdxComponent>, ReadError> {
    let fields = object(c, path)?;
    let name = str_of(c, "name").unwrap_or("");
    let version = str_of(c, "version").unwrap_or("");
    let purl = match str_of(c, "purl") {
        None => {
            lost.add(
                format!(
                    "component without a purl (type {})",
                    str_of(c, "type").unwrap_or("unknown")
                ),
                path,
            );
            return Ok(None);
        }
        Some(p) => {
            let Ok(purl) = p.parse::<Purl>() else {
                lost.add(
                    "component whose purl is not a valid package URL",
                    format!("{path}.purl"),
                );
                return Ok(None);
            };
            purl
        }
    };
    let ecosystem = Ecosystem::from_purl_type(purl.ty());
    let mut comp = Component::with_purl(
        ecosystem,
        &model_name(ecosystem, str_of(c, "group"), name),
        version,
        purl,
    );
    for (i, h) in array(c, "hashes", path)?.iter().enumerate() {
        add_hash(
            &mut comp,
            lost,
            "component hash",
            str_of(h, "alg").unwrap_or(""),
            str_of(h, "content").unwrap_or(""),
            format!("{path}.hashes[{i}]"),
        );
    }
    let mut licences = Vec::new();
    for (i, l) in array(c, "licenses", path)?.iter().enumerate() {
        let lpath = format!("{path}.licenses[{i}]");
        let text = str_of(l, "expression").or_else(|| {
            l.get("license")
                .and_then(|x| str_of(x, "id").or_else(|| str_of(x, "name")))
        });
        match text.map(parse_license) {
            Some(Ok(e)) => licences.push(e),
            _ => lost.add(
                "component licence that is not an SPDX expression (free text or LicenseRef)",
                lpath,
            ),
        }
    }
    comp.license = join_licences(&licences);
    if let Some(s) = c.get("supplier") {
        match str_of(s, "name") {
            Some(n) if !n.is_empty() => comp.supplier = Some(n.to_owned()),
            _ => lost.add("supplier without a name", format!("{path}.supplier")),
        }
    }
    if !matches!(str_of(c, "type"), None | Some("library")) {
        lost.add(
            format!(
                "component type {:?} (written as library)",
                str_of(c, "type").unwrap_or("")
            ),
            format!("{path}.type"),
        );
    }

    // Evidence: ours (method:file) and syft's locations first; the standard fields otherwise.
    let mut scope = None;
    let mut layers = BTreeSet::new();
    let mut syft_paths: BTreeMap<String, String> = BTreeMap::new();
    let mut syft_layers: BTreeMap<String, Digest> = BTreeMap::new();
    let mut found_by = None;
    for (i, p) in array(c, "properties", path)?.iter().enumerate() {
        let ppath = format!("{path}.properties[{i}]");
        let (Some(name), Some(value)) = (str_of(p, "name"), str_of(p, "value")) else {
            lost.add("component property without a name or value", ppath);
            continue;
        };
        match name {
            "provenant:dependency" => {
                scope = match value {
                    "direct" => Some(Scope::Direct),
                    "transitive" => Some(Scope::Transitive),
                    _ => Some(Scope::Unknown),
                };
            }
            "provenant:ecosystem" => {}
            "syft:package:foundBy" => found_by = Some(value.to_owned()),
            "provenant:evidence" => match value.split_once(':') {
                Some((method, file)) => {
                    comp.evidence.insert(Evidence {
                        file: file.to_owned(),
                        method: method.to_owned(),
                        layer: None,
                    });
                }
                None => lost.add("provenant:evidence property without method:file", ppath),
            },
            "provenant:layer" => match value.parse::<Digest>() {
                Ok(d) => {
                    layers.insert(d);
                }
                Err(_) => lost.add("provenant:layer property that is not a digest", ppath),
            },
            _ => {
                let syft = name
                    .strip_prefix("syft:location:")
                    .and_then(|r| r.split_once(':'));
                match syft {
                    Some((n, "path")) => {
                        syft_paths.insert(n.to_owned(), value.to_owned());
                    }
                    Some((n, "layerID")) => match value.parse::<Digest>() {
                        Ok(d) => {
                            syft_layers.insert(n.to_owned(), d);
                        }
                        Err(_) => lost.add("syft location layer that is not a digest", ppath),
                    },
                    _ => lost.add(format!("component property `{name}`"), ppath),
                }
            }
        }
    }
    let method = found_by.unwrap_or_else(|| "syft".to_owned());
    for (n, file) in &syft_paths {
        comp.evidence.insert(Evidence {
            file: file.trim_start_matches('/').to_owned(),
            method: method.clone(),
            layer: syft_layers.get(n).copied(),
        });
    }
    if let Some(ev) = c.get("evidence") {
        cdx_evidence(ev, path, comp.evidence.is_empty(), &mut comp.evidence, lost)?;
    }
    match layers.len() {
        0 => {}
        1 => {
            let layer = layers.pop_first();
            comp.evidence = std::mem::take(&mut comp.evidence)
                .into_iter()
                .map(|e| Evidence { layer, ..e })
                .collect();
        }
        _ => lost.add(
            "which of several layers each evidence file came from (the layers are kept on no file)",
            format!("{path}.properties"),
        ),
    }
    for (key, value) in fields {
        if !is_empty(value)
            && !matches!(
                key.as_str(),
                "type"
                    | "bom-ref"
                    | "name"
                    | "group"
                    | "version"
                    | "purl"
                    | "hashes"
                    | "licenses"
                    | "supplier"
                    | "properties"
                    | "evidence"
                    | "components"
            )
        {
            lost.add(format!("component field `{key}`"), format!("{path}.{key}"));
        }
    }
    Ok(Some(CdxComponent {
        bom_ref: str_of(c, "bom-ref").map(str::to_owned),
        component: comp,
        scope,
    }))
}

fn cdx_evidence(
    ev: &Value,
    path: &str,
    use_standard: bool,
    out: &mut BTreeSet<Evidence>,
    lost: &mut Losses,
) -> Result<(), ReadError> {
    let epath = format!("{path}.evidence");
    for key in object(ev, &epath)?.keys() {
        match key.as_str() {
            "occurrences" => {
                for (i, o) in array(ev, "occurrences", &epath)?.iter().enumerate() {
                    match str_of(o, "location") {
                        Some(l) if use_standard => {
                            out.insert(Evidence {
                                file: l.trim_start_matches('/').to_owned(),
                                method: "occurrence".to_owned(),
                                layer: None,
                            });
                        }
                        Some(_) => {}
                        None => lost.add(
                            "evidence occurrence without a location",
                            format!("{epath}.occurrences[{i}]"),
                        ),
                    }
                }
            }
            "identity" => {
                // 1.5: one object; 1.6 and later: an array.
                let identities: Vec<&Value> = match ev.get("identity") {
                    Some(Value::Array(a)) => a.iter().collect(),
                    Some(v) => vec![v],
                    None => Vec::new(),
                };
                for (i, id) in identities.into_iter().enumerate() {
                    let ipath = format!("{epath}.identity[{i}]");
                    for (j, m) in array(id, "methods", &ipath)?.iter().enumerate() {
                        match (str_of(m, "technique"), str_of(m, "value")) {
                            (Some("manifest-analysis"), Some(file)) if use_standard => {
                                out.insert(Evidence {
                                    file: file.trim_start_matches('/').to_owned(),
                                    method: "manifest-analysis".to_owned(),
                                    layer: None,
                                });
                            }
                            (Some("manifest-analysis"), Some(_)) => {}
                            _ => lost.add(
                                "identity evidence other than manifest analysis",
                                format!("{ipath}.methods[{j}]"),
                            ),
                        }
                    }
                }
            }
            other => lost.add(format!("evidence field `{other}`"), format!("{epath}.{other}")),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// SPDX 2.x

fn is_unstated(v: Option<&str>) -> bool {
    matches!(v, None | Some("NOASSERTION" | "NONE" | ""))
}

/// A field value that states nothing: null, `NOASSERTION`, `NONE`, empty, or a list of only those.
fn states_nothing(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => is_unstated(Some(s)),
        Value::Array(a) => a.iter().all(states_nothing),
        _ => false,
    }
}

#[allow(clippy::too_many_lines)] // one pass over the document's sections, in order
fn read_spdx(doc: &Value, fallback_created: u64) -> Result<Read, ReadError> {
    let version = str_of(doc, "spdxVersion").unwrap_or_default().to_owned();
    if !matches!(version.as_str(), "SPDX-2.2" | "SPDX-2.3") {
        return Err(ReadError::UnsupportedVersion {
            format: "SPDX",
            version,
            expected: "SPDX-2.2 or SPDX-2.3",
        });
    }
    let mut lost = Losses::default();
    for (key, value) in object(doc, "$")? {
        match key.as_str() {
            "spdxVersion"
            | "dataLicense"
            | "SPDXID"
            | "name"
            | "documentNamespace"
            | "creationInfo"
            | "packages"
            | "relationships"
            | "documentDescribes"
            | "$schema"
            | "hasExtractedLicensingInfos" => {}
            "files" | "snippets" => {
                for (i, _) in array(doc, key, "$")?.iter().enumerate() {
                    lost.add(
                        format!("{key} (the model describes packages, not {key})"),
                        format!("$.{key}[{i}]"),
                    );
                }
            }
            _ if states_nothing(value) || is_empty(value) => {}
            other => lost.add(format!("section `{other}`"), format!("$.{other}")),
        }
    }
    let extracted = spdx_extracted(doc, &mut lost)?;
    let creation = doc.get("creationInfo").unwrap_or(&Value::Null);
    let created = created_from(
        str_of(creation, "created"),
        "$.creationInfo.created",
        fallback_created,
        &mut lost,
    );
    let mut warnings = Vec::new();
    for (key, value) in object(creation, "$.creationInfo")? {
        match key.as_str() {
            "created" | "creators" | "licenseListVersion" => {}
            "comment" => match value.as_str().and_then(|c| c.strip_prefix("INCOMPLETE: ")) {
                Some(ws) => warnings.extend(ws.split("; ").map(str::to_owned)),
                None => lost.add("creation comment", "$.creationInfo.comment"),
            },
            other => lost.add(
                format!("creation field `{other}`"),
                format!("$.creationInfo.{other}"),
            ),
        }
    }
    let doc_id = str_of(doc, "SPDXID").unwrap_or("SPDXRef-DOCUMENT");
    let relationships = array(doc, "relationships", "$")?;
    let mut described: Vec<String> = array(doc, "documentDescribes", "$")?
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    for r in relationships {
        match (
            str_of(r, "spdxElementId"),
            str_of(r, "relationshipType"),
            str_of(r, "relatedSpdxElement"),
        ) {
            (Some(f), Some("DESCRIBES"), Some(t)) if f == doc_id => described.push(t.to_owned()),
            (Some(f), Some("DESCRIBED_BY"), Some(t)) if t == doc_id => described.push(f.to_owned()),
            _ => {}
        }
    }
    described.sort();
    described.dedup();
    let packages = array(doc, "packages", "$")?;
    let root_id = match described.as_slice() {
        [one] => Some(one.clone()),
        [] => None,
        [first, ..] => {
            lost.add(
                "described elements besides the first (the model has one root; the others stay components)",
                "$.relationships",
            );
            Some(first.clone())
        }
    };
    let root_pkg = root_id.as_deref().and_then(|id| {
        packages
            .iter()
            .enumerate()
            .find(|(_, p)| str_of(p, "SPDXID") == Some(id))
    });
    let root = if let Some((i, p)) = root_pkg {
        spdx_root(p, &format!("$.packages[{i}]"), &mut lost)?
    } else {
        lost.add(
            "root package (the document describes no package; the converted root is named after the document and has no digest)",
            "$.documentDescribes",
        );
        unnamed_root(str_of(doc, "name").unwrap_or("unnamed"))
    };
    let root_index = root_pkg.map(|(i, _)| i);
    let mut sbom = Sbom::new(root, created);
    sbom.warnings = warnings;
    let mut ids: HashMap<String, Purl> = HashMap::new();
    let mut explicit = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        if Some(i) == root_index {
            continue;
        }
        let path = format!("$.packages[{i}]");
        if let Some((c, scope)) = spdx_package(p, &path, &extracted, &mut lost)? {
            if let Some(id) = str_of(p, "SPDXID") {
                ids.insert(id.to_owned(), c.purl.clone());
            }
            if let Some(s) = scope {
                explicit.insert(c.purl.clone(), s);
            }
            sbom.add(c);
        }
    }
    let mut root_direct: Option<BTreeSet<Purl>> = None;
    let mut edges = Vec::new();
    for (i, r) in relationships.iter().enumerate() {
        let path = format!("$.relationships[{i}]");
        let (Some(a), Some(kind), Some(b)) = (
            str_of(r, "spdxElementId"),
            str_of(r, "relationshipType"),
            str_of(r, "relatedSpdxElement"),
        ) else {
            lost.add("relationship without its three fields", path);
            continue;
        };
        let (from, to) = match kind {
            "DESCRIBES" | "DESCRIBED_BY" => continue,
            "DEPENDS_ON" => (a, b),
            "DEPENDENCY_OF"
            | "RUNTIME_DEPENDENCY_OF"
            | "BUILD_DEPENDENCY_OF"
            | "DEV_DEPENDENCY_OF"
            | "OPTIONAL_DEPENDENCY_OF"
            | "PROVIDED_DEPENDENCY_OF"
            | "TEST_DEPENDENCY_OF" => (b, a),
            "CONTAINS" if root_id.as_deref() == Some(a) && ids.contains_key(b) => continue,
            "CONTAINED_BY" if root_id.as_deref() == Some(b) && ids.contains_key(a) => continue,
            other => {
                lost.add(format!("relationship {other}"), path);
                continue;
            }
        };
        let from_root = root_id.as_deref() == Some(from);
        match (from_root, ids.get(from), ids.get(to)) {
            (true, _, Some(t)) => {
                root_direct.get_or_insert_with(BTreeSet::new).insert(t.clone());
            }
            (false, Some(f), Some(t)) => edges.push((f.clone(), t.clone())),
            _ => lost.add(
                "dependency relationship with an element that was not carried over (a file, the root as a dependency, or a package without a purl)",
                path,
            ),
        }
    }
    Ok(finish(
        sbom,
        edges,
        root_direct.as_ref(),
        &explicit,
        SourceFormat::Spdx(version),
        lost,
    ))
}

fn spdx_purls<'a>(p: &'a Value, path: &str, lost: &mut Losses) -> Result<Vec<&'a str>, ReadError> {
    let mut purls = Vec::new();
    for (i, r) in array(p, "externalRefs", path)?.iter().enumerate() {
        match (str_of(r, "referenceType"), str_of(r, "referenceLocator")) {
            (Some("purl"), Some(l)) => purls.push(l),
            (t, _) => lost.add(
                format!("external reference of type {}", t.unwrap_or("(none)")),
                format!("{path}.externalRefs[{i}]"),
            ),
        }
    }
    Ok(purls)
}

fn spdx_root(p: &Value, path: &str, lost: &mut Losses) -> Result<Root, ReadError> {
    let fields = object(p, path)?;
    let purl_path = format!("{path}.externalRefs");
    let root = read_root(
        p,
        path,
        &SPDX_ROOT,
        lost,
        |lost| spdx_purls(p, path, lost),
        &purl_path,
    )?;
    for (key, value) in fields {
        let carried = matches!(
            key.as_str(),
            "SPDXID"
                | "name"
                | "versionInfo"
                | "checksums"
                | "externalRefs"
                | "filesAnalyzed"
                | "primaryPackagePurpose"
        );
        if !carried && !states_nothing(value) {
            lost.add(format!("root package field `{key}`"), format!("{path}.{key}"));
        }
    }
    Ok(root)
}

/// Reads the evidence of our own `sourceInfo` (`direct dependency found in FILE (METHOD[, layer D]), …`)
/// or syft's (`acquired package info from WHAT: FILE, FILE`).
fn spdx_source_info(info: &str) -> Option<(Option<Scope>, BTreeSet<Evidence>)> {
    let mut out = BTreeSet::new();
    let scope_of = |s: &str| match s {
        "direct" => Some(Scope::Direct),
        "transitive" => Some(Scope::Transitive),
        "unknown" => Some(Scope::Unknown),
        _ => None,
    };
    if let Some(scope) = info.strip_suffix(" dependency").and_then(scope_of) {
        return Some((Some(scope), out));
    }
    if let Some((scope, rest)) = info.split_once(" dependency found in ") {
        let scope = scope_of(scope)?;
        for item in rest.split("), ") {
            let item = item.strip_suffix(')').unwrap_or(item);
            let (file, how) = item.rsplit_once(" (")?;
            let (method, layer) = match how.split_once(", layer ") {
                Some((m, l)) => (m, Some(l.parse::<Digest>().ok()?)),
                None => (how, None),
            };
            out.insert(Evidence {
                file: file.to_owned(),
                method: method.to_owned(),
                layer,
            });
        }
        return Some((Some(scope), out));
    }
    let rest = info.strip_prefix("acquired package info from ")?;
    let (what, files) = rest.rsplit_once(": ")?;
    for f in files.split(", ") {
        out.insert(Evidence {
            file: f.trim_start_matches('/').to_owned(),
            method: what.to_owned(),
            layer: None,
        });
    }
    Some((None, out))
}

fn spdx_licence(text: Option<&str>, extracted: &BTreeMap<String, String>) -> Result<Option<String>, ()> {
    if is_unstated(text) {
        return Ok(None);
    }
    text.map(|t| parse_license_with_refs(t, extracted))
        .transpose()
        .map_err(|_| ())
}

/// The document's `hasExtractedLicensingInfos`: each `LicenseRef-` id with its text. An entry without
/// an id or a text is lost (and licences that use it are then not SPDX expressions here).
fn spdx_extracted(doc: &Value, lost: &mut Losses) -> Result<BTreeMap<String, String>, ReadError> {
    let mut out = BTreeMap::new();
    for (i, e) in array(doc, "hasExtractedLicensingInfos", "$")?.iter().enumerate() {
        match (str_of(e, "licenseId"), str_of(e, "extractedText")) {
            (Some(id), Some(text)) if id.starts_with("LicenseRef-") && !text.is_empty() => {
                out.insert(id.to_owned(), text.to_owned());
            }
            _ => lost.add(
                "extracted licence without a LicenseRef id or text",
                format!("$.hasExtractedLicensingInfos[{i}]"),
            ),
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_lines)] // one arm per package field
fn spdx_package(
    p: &Value,
    path: &str,
    extracted: &BTreeMap<String, String>,
    lost: &mut Losses,
) -> Result<Option<(Component, Option<Scope>)>, ReadError> {
    let fields = object(p, path)?;
    let purls = spdx_purls(p, path, lost)?;
    let Some(first) = purls.first() else {
        lost.add("package without a purl", path);
        return Ok(None);
    };
    let Ok(purl) = first.parse::<Purl>() else {
        lost.add(
            "package whose purl is not a valid package URL",
            format!("{path}.externalRefs"),
        );
        return Ok(None);
    };
    if purls.len() > 1 {
        lost.add("package purl besides the first", format!("{path}.externalRefs"));
    }
    let ecosystem = Ecosystem::from_purl_type(purl.ty());
    let mut comp = Component::with_purl(
        ecosystem,
        str_of(p, "name").unwrap_or(""),
        str_of(p, "versionInfo").unwrap_or(""),
        purl,
    );
    for (i, sum) in array(p, "checksums", path)?.iter().enumerate() {
        add_hash(
            &mut comp,
            lost,
            "package checksum",
            str_of(sum, "algorithm").unwrap_or(""),
            str_of(sum, "checksumValue").unwrap_or(""),
            format!("{path}.checksums[{i}]"),
        );
    }
    let declared = spdx_licence(str_of(p, "licenseDeclared"), extracted);
    let concluded = spdx_licence(str_of(p, "licenseConcluded"), extracted);
    if declared.is_err() {
        lost.add(
            "declared licence that is not an SPDX expression here (LicenseRef or invalid)",
            format!("{path}.licenseDeclared"),
        );
    }
    if concluded.is_err() {
        lost.add(
            "concluded licence that is not an SPDX expression here (LicenseRef or invalid)",
            format!("{path}.licenseConcluded"),
        );
    }
    let declared = declared.ok().flatten();
    let concluded = concluded.ok().flatten();
    if let (Some(d), Some(c)) = (&declared, &concluded)
        && d != c
    {
        lost.add(
            "concluded licence differing from the declared one (the declared one is kept)",
            format!("{path}.licenseConcluded"),
        );
    }
    comp.license = declared.or(concluded);
    if let Some(l) = &comp.license {
        comp.license_texts = crate::model::license_refs(l)
            .into_iter()
            .filter_map(|id| Some((id.to_owned(), extracted.get(id)?.clone())))
            .collect();
    }
    match str_of(p, "supplier") {
        s if is_unstated(s) => {}
        Some(s) => {
            let name = s
                .strip_prefix("Organization:")
                .or_else(|| s.strip_prefix("Person:"))
                .unwrap_or(s)
                .trim();
            comp.supplier = Some(name.to_owned());
        }
        None => {}
    }
    let mut scope = None;
    if let Some(info) = str_of(p, "sourceInfo") {
        match spdx_source_info(info) {
            Some((s, evidence)) => {
                scope = s;
                comp.evidence = evidence;
            }
            None => lost.add("package sourceInfo", format!("{path}.sourceInfo")),
        }
    }
    for (key, value) in fields {
        let carried = matches!(
            key.as_str(),
            "SPDXID"
                | "name"
                | "versionInfo"
                | "externalRefs"
                | "checksums"
                | "licenseDeclared"
                | "licenseConcluded"
                | "supplier"
                | "sourceInfo"
                | "filesAnalyzed"
                | "primaryPackagePurpose"
        );
        if !carried && !states_nothing(value) {
            lost.add(format!("package field `{key}`"), format!("{path}.{key}"));
        }
    }
    Ok(Some((comp, scope)))
}
