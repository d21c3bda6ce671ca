//! `OpenVEX` documents (v0.0.x and v0.2.0 statement shapes).
//!
//! A statement whose status is `not_affected` or `fixed` suppresses the findings of its vulnerability
//! (by id or alias) in the packages it names (a product's or subcomponent's package URL; one without a
//! version names every version), or in every package when a product is the evaluated artefact itself
//! and no subcomponent narrows it. A suppressed finding is kept with its [`crate::Suppression`]: it is
//! recorded in the decision, never dropped. When several statements match, the last one in the document
//! wins (`OpenVEX` documents are append-only histories).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{at, field, opt_array, opt_str};
use crate::{Finding, ReadErrorKind, Suppression};

/// A statement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// Not affected: suppresses.
    NotAffected,
    /// Affected: does not suppress.
    Affected,
    /// Fixed: suppresses.
    Fixed,
    /// Under investigation: does not suppress.
    UnderInvestigation,
}

impl VexStatus {
    fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// One VEX statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability's name and aliases.
    pub vulnerabilities: Vec<String>,
    /// Product identifiers (package URLs or other IRIs).
    pub products: Vec<String>,
    /// Subcomponent identifiers.
    pub subcomponents: Vec<String>,
    /// Status.
    pub status: VexStatus,
    /// Justification or impact statement.
    pub justification: Option<String>,
}

/// A VEX document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexDocument {
    /// The document's `@id`.
    pub id: Option<String>,
    /// Its statements in document order.
    pub statements: Vec<VexStatement>,
}

fn ids(v: &Value, path: &str, key: &str) -> Result<Vec<String>, ReadErrorKind> {
    let mut out = Vec::new();
    for (i, item) in opt_array(v, path, key)?.iter().enumerate() {
        match item {
            Value::String(s) => out.push(s.clone()),
            Value::Object(_) => {
                let ipath = at(path, key, i);
                if let Some(id) = opt_str(item, &ipath, "@id")? {
                    out.push(id.to_owned());
                }
            }
            _ => {
                return Err(field(
                    path,
                    &format!("{key}[{i}]"),
                    "a string or an object with @id",
                ));
            }
        }
    }
    Ok(out)
}

pub(crate) fn read_openvex(v: &Value) -> Result<VexDocument, ReadErrorKind> {
    let mut statements = Vec::new();
    let Some(Value::Array(list)) = v.get("statements") else {
        return Err(field("$", "statements", "an array"));
    };
    for (i, s) in list.iter().enumerate() {
        let path = at("$", "statements", i);
        let mut vulnerabilities = Vec::new();
        match s.get("vulnerability") {
            Some(Value::String(name)) => vulnerabilities.push(name.clone()),
            Some(vuln @ Value::Object(_)) => {
                let vpath = format!("{path}.vulnerability");
                if let Some(name) = opt_str(vuln, &vpath, "name")? {
                    vulnerabilities.push(name.to_owned());
                }
                if let Some(id) = opt_str(vuln, &vpath, "@id")? {
                    vulnerabilities.push(id.to_owned());
                }
                for (a, alias) in opt_array(vuln, &vpath, "aliases")?.iter().enumerate() {
                    let alias = alias
                        .as_str()
                        .ok_or_else(|| field(&vpath, &format!("aliases[{a}]"), "a string"))?;
                    vulnerabilities.push(alias.to_owned());
                }
            }
            _ => return Err(field(&path, "vulnerability", "a name or an object with a name")),
        }
        if vulnerabilities.is_empty() {
            return Err(field(&path, "vulnerability.name", "a string"));
        }
        let status = match opt_str(s, &path, "status")? {
            Some("not_affected") => VexStatus::NotAffected,
            Some("affected") => VexStatus::Affected,
            Some("fixed") => VexStatus::Fixed,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            _ => {
                return Err(field(
                    &path,
                    "status",
                    "not_affected, affected, fixed or under_investigation",
                ));
            }
        };
        let products = ids(s, &path, "products")?;
        let mut subcomponents = ids(s, &path, "subcomponents")?;
        for (p, product) in opt_array(s, &path, "products")?.iter().enumerate() {
            if product.is_object() {
                subcomponents.extend(ids(product, &at(&path, "products", p), "subcomponents")?);
            }
        }
        let justification = opt_str(s, &path, "justification")?
            .or(opt_str(s, &path, "impact_statement")?)
            .or(opt_str(s, &path, "status_notes")?)
            .map(ToOwned::to_owned);
        statements.push(VexStatement {
            vulnerabilities,
            products,
            subcomponents,
            status,
            justification,
        });
    }
    Ok(VexDocument {
        id: opt_str(v, "$", "@id")?.map(ToOwned::to_owned),
        statements,
    })
}

/// A package URL without qualifiers and subpath.
fn bare_purl(purl: &str) -> &str {
    purl.split(['?', '#']).next().unwrap_or(purl)
}

/// Whether the VEX identifier `vex` names the package URL `purl` (a VEX purl without a version names
/// every version).
fn purl_matches(vex: &str, purl: &str) -> bool {
    let (vex, purl) = (bare_purl(vex), bare_purl(purl));
    if vex == purl {
        return true;
    }
    let unversioned = !vex.rsplit('/').next().unwrap_or(vex).contains('@');
    unversioned && purl.strip_prefix(vex).is_some_and(|rest| rest.starts_with('@'))
}

impl VexDocument {
    /// Marks the findings this document suppresses. `subjects` are the identifiers of the evaluated
    /// artefact (its digest, image reference or package URL), matched against products.
    pub fn apply(&self, findings: &mut [Finding], subjects: &[String]) {
        for finding in findings.iter_mut() {
            let Some(package) = &finding.package else { continue };
            let names: Vec<&str> = std::iter::once(finding.rule.as_str())
                .chain(finding.aliases.iter().map(String::as_str))
                .collect();
            let purl = package.purl.as_deref();
            let matched = self.statements.iter().rev().find(|s| {
                s.vulnerabilities.iter().any(|v| names.contains(&v.as_str()))
                    && (purl.is_some_and(|p| {
                        s.products
                            .iter()
                            .chain(&s.subcomponents)
                            .any(|id| purl_matches(id, p))
                    }) || (s.subcomponents.is_empty()
                        && s.products.iter().any(|id| subjects.iter().any(|x| x == id))))
            });
            if let Some(s) = matched
                && matches!(s.status, VexStatus::NotAffected | VexStatus::Fixed)
            {
                finding.suppressed = Some(Box::new(Suppression {
                    source: "vex".to_owned(),
                    status: s.status.as_str().to_owned(),
                    justification: s.justification.clone(),
                    document: self.id.clone(),
                }));
            }
        }
    }
}
