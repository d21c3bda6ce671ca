//! The fast path of the SARIF reader: the log deserialised into typed structs that borrow its strings
//! and keep only the fields read, instead of a `serde_json::Value` tree (a 100,000-result log is
//! mostly strings and objects the gate never looks at).
//!
//! It reads exactly what [`crate::sarif::read_sarif`] reads, with the same meaning, for logs whose
//! fields all have their expected types. Anything else (a syntax error, a field of another type, a
//! duplicate key, an unknown level) makes it answer `None`, and the caller reads the document through
//! the `Value` path, which gives the same findings or the error naming the JSON path at fault.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::id::rule_finding_id_of_parts;
use crate::json::one_line;
use crate::json_cursor::Cursor;
use crate::sarif::{MAX_MESSAGE, category_of_tool, level_severity, percent_decode};
use crate::{Category, Finding, Location, Severity, Suppression, normalise_path};

/// A JSON string, borrowed from the input unless it has escapes.
#[derive(Debug)]
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Str<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Any JSON value, keeping it only when it is a string: where the `Value` reader takes a field of any
/// type and uses it only as a string. `Absent` when the key is missing (null is `Other`).
#[derive(Debug, Default)]
enum Maybe<'a> {
    #[default]
    Absent,
    Str(Cow<'a, str>),
    Other,
}

impl Maybe<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Maybe::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Maybe<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Maybe<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Maybe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Str(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Maybe<'de>, E> {
                Ok(Maybe::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Maybe<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Maybe::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Maybe<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Maybe::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A non-negative integer, also from a string of digits (as `json::opt_u64` reads it).
#[derive(Debug, Clone, Copy)]
struct Index(u64);

impl<'de> Deserialize<'de> for Index {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Index, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Index;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Index, E> {
                Ok(Index(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Index, E> {
                v.parse().map(Index).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A score, from a number or a numeric string (as `json::opt_score` reads it); `None` for a blank string.
#[derive(Debug, Clone, Copy)]
struct Score(Option<f64>);

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Score, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Score;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            #[allow(clippy::cast_precision_loss)] // as serde_json's Value::as_f64 converts it
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Score, E> {
                Ok(Score(Some(v as f64)))
            }
            #[allow(clippy::cast_precision_loss)] // as serde_json's Value::as_f64 converts it
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Score, E> {
                Ok(Score(Some(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Score, E> {
                Ok(Score(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Score, E> {
                let v = v.trim();
                if v.is_empty() {
                    return Ok(Score(None));
                }
                v.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| Score(Some(f)))
                    .ok_or_else(|| E::custom("not a finite number"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(borrow)]
    driver: Option<Component<'a>>,
    #[serde(borrow)]
    extensions: Option<Vec<Component<'a>>>,
}

#[derive(Deserialize)]
struct Component<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    rules: Option<Vec<RuleT<'a>>>,
}

#[derive(Deserialize)]
struct RuleT<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(rename = "defaultConfiguration", borrow)]
    default_configuration: Option<DefaultConfiguration<'a>>,
    properties: Option<Properties>,
}

#[derive(Deserialize)]
struct DefaultConfiguration<'a> {
    #[serde(borrow)]
    level: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Properties {
    #[serde(rename = "security-severity")]
    security_severity: Option<Score>,
}

#[derive(Deserialize)]
struct ResultT<'a> {
    #[serde(borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    rule: Option<RuleRef<'a>>,
    #[serde(rename = "ruleIndex")]
    rule_index: Option<Index>,
    #[serde(rename = "ruleId", borrow)]
    rule_id: Option<Str<'a>>,
    #[serde(borrow)]
    level: Option<Str<'a>>,
    properties: Option<Properties>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    #[serde(borrow)]
    locations: Option<FirstLocation<'a>>,
    #[serde(borrow)]
    fingerprints: Option<SmallestEntry<'a>>,
    #[serde(rename = "partialFingerprints", borrow)]
    partial_fingerprints: Option<SmallestEntry<'a>>,
    #[serde(borrow)]
    suppressions: Option<Vec<SuppressionT<'a>>>,
}

#[derive(Deserialize)]
struct RuleRef<'a> {
    index: Option<Index>,
    #[serde(default, borrow)]
    id: Maybe<'a>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(default, borrow)]
    text: Maybe<'a>,
    #[serde(default, borrow)]
    markdown: Maybe<'a>,
}

#[derive(Deserialize)]
struct LocationT<'a> {
    #[serde(rename = "physicalLocation", borrow)]
    physical_location: Option<PhysicalLocation<'a>>,
}

#[derive(Deserialize)]
struct PhysicalLocation<'a> {
    #[serde(rename = "artifactLocation", borrow)]
    artifact_location: Option<ArtifactLocation<'a>>,
    region: Option<Region>,
}

#[derive(Deserialize)]
struct ArtifactLocation<'a> {
    #[serde(borrow)]
    uri: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Region {
    #[serde(rename = "startLine")]
    start_line: Option<Index>,
}

#[derive(Deserialize)]
struct SuppressionT<'a> {
    #[serde(borrow)]
    status: Option<Str<'a>>,
    #[serde(borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    justification: Option<Str<'a>>,
}

/// A result's `locations`: the first, which is all the reader reads; the others are checked as the first
/// is (so that a log the `Value` reader would read differently is still left to it) and dropped, without
/// a vector for them (one for each of 100,000 results).
struct FirstLocation<'a>(Option<LocationT<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstLocation<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FirstLocation<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstLocation<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of locations")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstLocation<'de>, A::Error> {
                let first = seq.next_element::<LocationT<'de>>()?;
                while seq.next_element::<LocationT<'de>>()?.is_some() {}
                Ok(FirstLocation(first))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Of an object of string keys and any values (a result's fingerprints), the entry of the smallest key,
/// the last one written under a repeated key, as a `Value` map keeps it; `None` for an empty object.
/// Only that entry is read, so only it is kept.
struct SmallestEntry<'a>(Option<(Str<'a>, Maybe<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for SmallestEntry<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SmallestEntry<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SmallestEntry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SmallestEntry<'de>, A::Error> {
                let mut smallest: Option<(Str<'de>, Maybe<'de>)> = None;
                while let Some(entry) = map.next_entry::<Str<'de>, Maybe<'de>>()? {
                    if smallest.as_ref().is_none_or(|m| entry.0.0 <= m.0.0) {
                        smallest = Some(entry);
                    }
                }
                Ok(SmallestEntry(smallest))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Clone, Copy)]
struct Rule<'a> {
    level: Option<&'a str>,
    security_severity: Option<f64>,
    name: Option<&'a str>,
}

fn rules<'a>(component: &'a Component<'_>) -> impl Iterator<Item = (&'a str, Rule<'a>)> {
    component.rules.iter().flatten().map(|r| {
        (
            r.id.as_ref().map_or("", |s| &*s.0),
            Rule {
                level: r
                    .default_configuration
                    .as_ref()
                    .and_then(|c| c.level.as_ref())
                    .map(|s| &*s.0),
                security_severity: r.properties.as_ref().and_then(|p| p.security_severity?.0),
                name: r.name.as_ref().map(|s| &*s.0),
            },
        )
    })
}

/// What a run's results are read against: its tool and rules (the driver's first, then the
/// extensions'; a rule id names the last rule written with it).
struct RunContext<'t> {
    tool_name: &'t str,
    category: Category,
    rules: Vec<(&'t str, Rule<'t>)>,
    driver_rules: usize,
    by_id: BTreeMap<&'t str, usize>,
    /// Whether each rule is the one its id names (the last written with it).
    named: Vec<bool>,
}

impl<'t> RunContext<'t> {
    fn new(tool: &'t Tool<'_>) -> Option<RunContext<'t>> {
        let driver = tool.driver.as_ref()?;
        let tool_name = driver.name.as_ref().map_or("unknown", |s| &*s.0);
        let mut rules: Vec<_> = rules(driver).collect();
        let driver_rules = rules.len();
        rules.extend(tool.extensions.iter().flatten().flat_map(self::rules));
        let by_id: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
        let named = rules
            .iter()
            .enumerate()
            .map(|(i, (id, _))| by_id.get(id) == Some(&i))
            .collect();
        Some(RunContext {
            tool_name,
            category: category_of_tool(tool_name),
            rules,
            driver_rules,
            by_id,
            named,
        })
    }

    /// The rule `id` names: the last written with it. A result's index that points at that rule (as
    /// scanners write both) spares looking the id up among the rules.
    fn rule_named(&self, id: &str, index: Option<u64>) -> Option<&Rule<'t>> {
        if let Some(i) = index.and_then(|i| usize::try_from(i).ok())
            && self.named.get(i) == Some(&true)
            && let Some((rule_id, rule)) = self.rules.get(i)
            && *rule_id == id
        {
            return Some(rule);
        }
        self.by_id.get(id).and_then(|&i| self.rules.get(i)).map(|r| &r.1)
    }

    /// The finding of one result: `Ok(None)` for a result that is not a failure, `Err` for one the
    /// typed reader leaves to the `Value` reader.
    fn finding(&self, result: &ResultT<'_>) -> Result<Option<Finding>, Unusual> {
        if let Some(kind) = &result.kind
            && kind.0 != "fail"
        {
            return Ok(None);
        }
        let rule_index = result
            .rule
            .as_ref()
            .and_then(|r| r.index)
            .or(result.rule_index)
            .map(|i| i.0);
        let rule_id = result
            .rule_id
            .as_ref()
            .map(|s| &*s.0)
            .or_else(|| result.rule.as_ref().and_then(|r| r.id.as_str()));
        let driver_rules = self.rules.get(..self.driver_rules).unwrap_or_default();
        let indexed = rule_index.and_then(|i| driver_rules.get(usize::try_from(i).ok()?));
        let (rule_id, rule) = match (rule_id, indexed) {
            (Some(id), _) => (id, self.rule_named(id, rule_index)),
            (None, Some((id, rule))) => (*id, Some(rule)),
            (None, None) => ("unknown", None),
        };
        let level = result
            .level
            .as_ref()
            .map(|s| &*s.0)
            .or(rule.and_then(|r| r.level))
            .unwrap_or("warning");
        let security = result
            .properties
            .as_ref()
            .and_then(|p| p.security_severity?.0)
            .or(rule.and_then(|r| r.security_severity));
        let severity = match security {
            Some(score) => Severity::from_score(score),
            None => level_severity(level).ok_or(Unusual)?,
        };
        let message = result
            .message
            .as_ref()
            .and_then(|m| match &m.text {
                Maybe::Absent => m.markdown.as_str(),
                text => text.as_str(),
            })
            .or(rule.and_then(|r| r.name))
            .unwrap_or_default();
        let location = first_location(result);
        let path = location.as_ref().map(|l| l.path.as_str());
        let id = if let Some((key, value)) = fingerprint(result) {
            rule_finding_id_of_parts(rule_id, path, &[key, "=", value])
        } else {
            let mut digits = itoa::Buffer::new();
            let line = location.as_ref().and_then(|l| l.line).map(|l| digits.format(l));
            rule_finding_id_of_parts(rule_id, path, &[line.unwrap_or_default()])
        };
        Ok(Some(Finding {
            id,
            category: self.category,
            severity,
            rule: rule_id.to_owned(),
            location,
            message: one_line(message, MAX_MESSAGE),
            tool: self.tool_name.to_owned(),
            package: None,
            aliases: Vec::new(),
            fixed_version: None,
            layer: None,
            layer_index: None,
            suppressed: suppression(result).map(Box::new),
        }))
    }

    /// The finding of one result (its JSON text, which this parse checks).
    fn read_one(&self, raw: &str) -> Result<Option<Finding>, Unusual> {
        let result: ResultT<'_> = serde_json::from_str(raw).map_err(|_| Unusual)?;
        self.finding(&result)
    }

    /// The findings of `results` (each a result's JSON text) appended to `out` in order. The results
    /// are read in parallel, each into its own slot of one vector (rayon writes the slots where they
    /// belong), which then becomes the findings in place: there are no pieces to join afterwards
    /// (100,000 findings are tens of megabytes to copy).
    fn push_all(&self, results: &[&str], out: &mut Vec<Finding>) -> Result<(), Unusual> {
        use rayon::prelude::*;
        let mut slots: Vec<Result<Option<Finding>, Unusual>> = Vec::new();
        results
            .par_iter()
            .with_min_len(PARALLEL_MIN)
            .map(|raw| self.read_one(raw))
            .collect_into_vec(&mut slots);
        if slots.iter().any(Result::is_err) {
            return Err(Unusual);
        }
        let findings = slots.into_iter().filter_map(|slot| slot.ok().flatten());
        if out.is_empty() {
            *out = findings.collect();
        } else {
            out.extend(findings);
        }
        Ok(())
    }
}

/// Fewest results one thread reads at a time: enough that the work outweighs handing it over.
const PARALLEL_MIN: usize = 1024;

/// A log the typed reader leaves to the `Value` reader.
#[derive(Debug)]
struct Unusual;

/// A JSON text `serde_json` reads as a `T`, or `None`.
fn parse<'a, T: Deserialize<'a>>(span: &'a str) -> Option<T> {
    serde_json::from_str(span).ok()
}

/// A member's key, decoded.
fn key(span: &str) -> Option<Cow<'_, str>> {
    parse::<Str<'_>>(span).map(|k| k.0)
}

/// The SARIF log in `text` read as [`crate::sarif::read_sarif`] reads it, when it is one whose fields
/// all have their expected types; `None` otherwise (the caller then reads it through `Value`).
///
/// One pass of a [`Cursor`] walks the log, its runs and each run's members, and splits each run's
/// results out unparsed; `serde_json` then reads every result (in parallel), the tool, and every other
/// member (only to check its syntax), so that the whole log is checked as a `Value` parse would check it.
pub(crate) fn read_sarif(text: &[u8]) -> Option<(Vec<Finding>, BTreeSet<Category>)> {
    // Not worth a typed pass over a document that cannot be a SARIF log.
    if !text.windows(6).any(|w| w == b"\"runs\"") {
        return None;
    }
    // JSON is UTF-8: checked once here, then every span is read as text (no check per string).
    let text = std::str::from_utf8(text).ok()?;
    let mut findings = Vec::new();
    let mut categories = BTreeSet::new();
    let (mut schema, mut version, mut runs) = (None, None, None);
    let mut c = Cursor::new(text);
    c.object(|c, k| {
        match &*key(k)? {
            "$schema" if schema.is_none() => schema = Some(parse::<Option<Str<'_>>>(c.value()?)?),
            "version" if version.is_none() => version = Some(parse::<Option<Str<'_>>>(c.value()?)?),
            "runs" if runs.is_none() => {
                runs = Some(!c.null());
                if runs == Some(true) {
                    c.array(|c| read_run(c, &mut findings, &mut categories))?;
                }
            }
            "$schema" | "version" | "runs" => return None,
            _ => parse::<IgnoredAny>(c.value()?).map(drop)?,
        }
        Some(())
    })?;
    if !c.at_end() {
        return None;
    }
    let version = version.flatten();
    let version = version.as_ref().map(|v| &*v.0);
    let schema = schema.flatten();
    let schema = schema.as_ref().map_or("", |s| &*s.0);
    // Only what `detect_json` takes for SARIF, and only the version the reader accepts.
    // (And only a log with runs: the `Value` reader answers for one without.)
    if runs != Some(true)
        || version.is_some_and(|v| v != "2.1.0")
        || !(schema.contains("sarif") || version == Some("2.1.0"))
    {
        return None;
    }
    Some((findings, categories))
}

/// One run at the cursor: its results (wherever they are written in it) read against its tool.
fn read_run<'a>(
    c: &mut Cursor<'a>,
    findings: &mut Vec<Finding>,
    categories: &mut BTreeSet<Category>,
) -> Option<()> {
    let mut tool: Option<&'a str> = None;
    // `Some(None)` for `"results": null`.
    let mut results: Option<Option<Vec<&'a str>>> = None;
    c.object(|c, k| {
        match &*key(k)? {
            "tool" if tool.is_none() => tool = Some(c.value()?),
            "results" if results.is_none() => {
                results = Some(if c.null() {
                    None
                } else {
                    let mut each = Vec::new();
                    c.array(|c| {
                        each.push(c.value()?);
                        Some(())
                    })?;
                    Some(each)
                });
            }
            "tool" | "results" => return None,
            _ => parse::<IgnoredAny>(c.value()?).map(drop)?,
        }
        Some(())
    })?;
    let tool = parse::<Option<Tool<'a>>>(tool?)??;
    let context = RunContext::new(&tool)?;
    categories.insert(context.category);
    if let Some(Some(results)) = results {
        context.push_all(&results, findings).ok()?;
    }
    Some(())
}

/// `percent_decode`, borrowing a URI without any `%`.
fn percent_decode_cow(uri: &str) -> Cow<'_, str> {
    if uri.contains('%') {
        Cow::Owned(percent_decode(uri))
    } else {
        Cow::Borrowed(uri)
    }
}

fn first_location(result: &ResultT<'_>) -> Option<Location> {
    let physical = result
        .locations
        .as_ref()?
        .0
        .as_ref()?
        .physical_location
        .as_ref()?;
    let uri = physical.artifact_location.as_ref()?.uri.as_ref()?;
    Some(Location {
        path: match percent_decode_cow(&uri.0) {
            Cow::Borrowed(uri) => normalise_path(uri),
            Cow::Owned(uri) => normalise_path(&uri),
        },
        line: physical.region.as_ref().and_then(|r| r.start_line).map(|l| l.0),
    })
}

/// As `sarif::fingerprint`, the scanner's own: the entry of the smallest key (the last one written
/// under a repeated key, as a `Value` map keeps it), when its value is a usable string; the id then
/// hashes `KEY=VALUE`, else the start line.
fn fingerprint<'r>(result: &'r ResultT<'_>) -> Option<(&'r str, &'r str)> {
    for prints in [&result.fingerprints, &result.partial_fingerprints]
        .into_iter()
        .flatten()
    {
        if let Some((k, v)) = &prints.0
            && let Some(v) = v.as_str()
            && !v.contains("requires login")
        {
            return Some((&k.0, v));
        }
    }
    None
}

fn suppression(result: &ResultT<'_>) -> Option<Suppression> {
    let s = result
        .suppressions
        .iter()
        .flatten()
        .find(|s| s.status.as_ref().is_none_or(|st| st.0 == "accepted"))?;
    Some(Suppression {
        source: "sarif".to_owned(),
        status: s.kind.as_ref().map_or("external", |k| &*k.0).to_owned(),
        justification: s.justification.as_ref().map(|j| j.0.clone().into_owned()),
        document: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed reader's findings, which must be those of the `Value` reader.
    fn both(text: &str) -> (Vec<Finding>, BTreeSet<Category>) {
        let typed = read_sarif(text.as_bytes()).expect("the typed reader reads this log");
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let by_value = crate::sarif::read_sarif(&value).unwrap();
        assert_eq!(typed, by_value);
        typed
    }

    #[test]
    fn typed_sarif_reader_matches_the_value_reader_on_codeql() {
        let (findings, _) = both(include_str!("../tests/fixtures/documented/codeql.sarif"));
        assert!(!findings.is_empty());
    }

    #[test]
    fn typed_sarif_reader_matches_the_value_reader_on_every_field_it_reads() {
        let log = r#"{"version": "2.1.0", "runs": [
          {"tool": {"driver": {"name": "Semgrep OSS", "rules": [
              {"id": "r0", "name": "Rule zero", "defaultConfiguration": {"level": "error"}},
              {"id": "r1", "defaultConfiguration": null, "properties": {"security-severity": "9.1"}},
              {"id": "r2", "properties": {"security-severity": " "}, "defaultConfiguration": {"level": "note"}}]},
            "extensions": [{"name": "pack", "rules": [{"id": "r0", "properties": {"security-severity": 7}}]}]},
           "results": [
             {"ruleId": "r0", "message": {"text": "first line\nsecond"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "file://./src/a%20b.py"},
                                                  "region": {"startLine": 3}}}]},
             {"ruleIndex": "1", "message": {"markdown": "from \"markdown\""},
              "partialFingerprints": {"b": "2", "a": "1", "a": "3"}},
             {"rule": {"index": 2, "id": 5}, "message": {"text": null, "markdown": "ignored"},
              "fingerprints": {"x": "requires login"}, "partialFingerprints": {"k": 1},
              "locations": [{"physicalLocation": {"region": {"startLine": 9}}}]},
             {"rule": {"id": "r2"}, "level": "warning", "properties": {"security-severity": 4.5},
              "suppressions": [{"status": "rejected"}, {"kind": "inSource", "justification": "fine"}]},
             {"ruleId": "nope", "kind": "pass"},
             {"ruleId": "none", "level": "none", "message": null, "rule": null,
              "locations": [{"physicalLocation": null}]},
             {"message": {"text": "\u00e9t\u00e9"}},
             {"ruleId": "r0", "ruleIndex": 0, "message": {"text": "r0 is named by the extension's rule"}},
             {"ruleId": "r2", "ruleIndex": 1, "message": {"text": "an index at another rule"}},
             {"ruleId": "r1", "ruleIndex": 1, "message": {"text": "an index at the rule named"}}]},
          {"tool": {"driver": {"name": "eslint"}}, "results": null}]}"#;
        let (findings, categories) = both(log);
        assert_eq!(findings.len(), 9);
        assert_eq!(categories, BTreeSet::from([Category::Sast, Category::Lint]));
    }

    /// Only a result's first location and its smallest fingerprint key are kept: the others are read
    /// (and checked) and dropped, and the findings are still the `Value` reader's.
    #[test]
    fn typed_sarif_reader_keeps_the_first_location_and_the_smallest_fingerprint() {
        let log = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep OSS"}}, "results": [
            {"ruleId": "a", "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": "first.py"}, "region": {"startLine": 1}}},
                {"physicalLocation": {"artifactLocation": {"uri": "second.py"}, "region": {"startLine": 2}}}],
             "fingerprints": {}, "partialFingerprints": {"z": "9", "m": "1", "m": "2", "y": "0"}},
            {"ruleId": "b", "locations": [], "fingerprints": {"k": 5}, "partialFingerprints": {}},
            {"ruleId": "c", "locations": [{}, {"physicalLocation": null}],
             "fingerprints": {"b": "x", "a": "requires login"}, "partialFingerprints": {"p": "q"}}]}]}"#;
        let (findings, _) = both(log);
        assert_eq!(findings.len(), 3);
        assert_eq!(findings[0].location.as_ref().unwrap().path, "first.py");
        assert!(findings[1].location.is_none() && findings[2].location.is_none());
        assert_eq!(
            findings[0].id,
            crate::id::rule_finding_id("a", Some("first.py"), "m=2")
        );
        assert_eq!(findings[2].id, crate::id::rule_finding_id("c", None, "p=q"));
        // A later location of another type leaves the log to the `Value` reader.
        let odd = log.replace(r#"{"physicalLocation": null}"#, "5");
        assert!(read_sarif(odd.as_bytes()).is_none());
        assert!(crate::sarif::read_sarif(&serde_json::from_str(&odd).unwrap()).is_ok());
    }

    /// A run of results read on several threads: the findings are those of the `Value` reader, in the
    /// same order, whether the results come after the tool or before it; one unusual result late in the
    /// run leaves the whole log to the `Value` reader.
    #[test]
    fn sarif_results_read_in_parallel_match_the_value_reader_in_order() {
        let results: Vec<String> = (0..3 * PARALLEL_MIN + 17)
            .map(|i| {
                format!(
                    r#"{{"ruleIndex": {}, "level": "{}", "message": {{"text": "finding {i}\nmore"}},
                       "locations": [{{"physicalLocation": {{"artifactLocation": {{"uri": "src/f{}.py"}},
                       "region": {{"startLine": {}}}}}}}]}}"#,
                    i % 3,
                    ["error", "warning", "note"][i % 3],
                    i % 7,
                    i % 101 + 1
                )
            })
            .collect();
        let tool = r#"{"driver": {"name": "Semgrep OSS", "rules": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}}"#;
        let after = format!(
            r#"{{"version": "2.1.0", "runs": [{{"tool": {tool}, "results": [{}]}}]}}"#,
            results.join(",")
        );
        let (findings, _) = both(&after);
        assert_eq!(findings.len(), results.len());
        assert!(findings[5].message.starts_with("finding 5"));
        let before = format!(
            r#"{{"version": "2.1.0", "runs": [{{"results": [{}], "tool": {tool}}}]}}"#,
            results.join(",")
        );
        assert_eq!(both(&before).0, findings);
        let mut unusual = results.clone();
        unusual[3 * PARALLEL_MIN] = r#"{"level": "bad"}"#.to_owned();
        let log = format!(
            r#"{{"version": "2.1.0", "runs": [{{"tool": {tool}, "results": [{}]}}]}}"#,
            unusual.join(",")
        );
        assert!(read_sarif(log.as_bytes()).is_none());
    }

    /// `push_all` claims its slots become the findings without a copy: the standard library collects a
    /// `filter_map` over a vector's own iterator in place when the slot and the finding have the same
    /// layout. Should a change to `Finding` break that, this fails rather than the claim going stale.
    #[test]
    fn result_slots_become_the_findings_in_place() {
        let finding = both(
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                "results": [{"ruleId": "r", "level": "error", "message": {"text": "m"}}]}]}"#,
        )
        .0
        .remove(0);
        let slots: Vec<Result<Option<Finding>, Unusual>> =
            vec![Ok(Some(finding.clone())), Ok(None), Ok(Some(finding))];
        let before = slots.as_ptr().cast::<u8>();
        let findings: Vec<Finding> = slots.into_iter().filter_map(|slot| slot.ok().flatten()).collect();
        assert_eq!(findings.len(), 2);
        assert_eq!(findings.as_ptr().cast::<u8>(), before);
    }

    #[test]
    fn streaming_sarif_reader_reads_results_written_before_the_tool() {
        let log = r#"{"runs": [
          {"results": [{"ruleIndex": 0, "locations": [{"physicalLocation": {"region": {"startLine": 2}}}]},
                       {"ruleId": "r1", "level": "note"}],
           "invocations": [{"executionSuccessful": true}],
           "tool": {"driver": {"name": "Semgrep OSS", "rules": [
              {"id": "r0", "defaultConfiguration": {"level": "error"}}, {"id": "r1"}]}}},
          {"tool": {"driver": {"name": "eslint", "rules": [{"id": "e0"}]}}, "artifacts": [],
           "results": [{"ruleIndex": 0}], "properties": {"results": 1}},
          {"tool": {"driver": {"name": "gitleaks"}}}],
          "version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json"}"#;
        let (findings, categories) = both(log);
        assert_eq!(
            findings
                .iter()
                .map(|f| (f.rule.as_str(), f.severity, f.category))
                .collect::<Vec<_>>(),
            [
                ("r0", Severity::High, Category::Sast),
                ("r1", Severity::Low, Category::Sast),
                ("e0", Severity::Medium, Category::Lint),
            ]
        );
        assert_eq!(categories.len(), 3);
    }

    #[test]
    fn streaming_sarif_reader_never_disagrees_with_the_value_reader_on_damaged_logs() {
        let log = r#"{"runs": [{"results": [{"ruleIndex": 0, "level": "note"}],
          "tool": {"driver": {"name": "semgrep", "rules": [{"id": "r0"}]}}},
          {"tool": {"driver": {"name": "codeql", "rules": [{"id": "c0", "name": "C"}]}},
           "results": [{"ruleIndex": 0, "partialFingerprints": {"h": "1"}}, {"ruleId": "c0", "level": "error"}]}],
          "version": "2.1.0"}"#;
        let damaged = (0..log.len()).flat_map(|i| {
            let mut swapped = log.as_bytes().to_vec();
            let (a, b) = (swapped[i], swapped.get(i + 1).copied().unwrap_or(b' '));
            swapped[i] = b;
            if let Some(next) = swapped.get_mut(i + 1) {
                *next = a;
            }
            let mut removed = log.as_bytes().to_vec();
            removed.remove(i);
            [log.as_bytes()[..i].to_vec(), swapped, removed]
        });
        let mut typed_read = 0;
        for text in damaged {
            if let Some(typed) = read_sarif(&text) {
                typed_read += 1;
                let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
                assert_eq!(
                    Ok(typed),
                    crate::sarif::read_sarif(&value),
                    "{}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        assert!(typed_read > 0);
    }

    #[test]
    fn typed_sarif_reader_decodes_escaped_keys_and_checks_every_member() {
        // Keys are decoded as serde decodes them; members it does not read are still checked.
        let log = r#"{"versi\u006fn": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}},
          "invocations": [{"ok": true}], "res\u0075lts": [{"ruleId": "r", "level": "error"}]}],
          "properties": {"nested": [[1, 2], {"a": null}]}}"#;
        let (findings, _) = both(log);
        assert_eq!(findings.len(), 1);
        for damaged in [
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "invocations": [01]}]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}], "properties": {"a": tru}}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"x": [1}]}]}"#,
        ] {
            assert!(read_sarif(damaged.as_bytes()).is_none(), "{damaged}");
            assert!(
                serde_json::from_str::<serde_json::Value>(damaged).is_err(),
                "{damaged}"
            );
        }
        // Not UTF-8: refused as serde refuses it.
        let mut bytes = log.as_bytes().to_vec();
        let at = log.find("semgrep").unwrap();
        bytes[at] = 0xff;
        assert!(read_sarif(&bytes).is_none());
        assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_err());
    }

    /// Nesting the cursor does not walk in one pass is left to the `Value` reader, which reads it within
    /// serde's recursion limit or names the error: never a finding the `Value` reader would refuse.
    #[test]
    fn deeply_nested_members_are_left_to_the_value_reader() {
        for depth in [crate::json_cursor::MAX_DEPTH + 1, 200] {
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let log = format!(
                r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{}}}}, "results": [{{"ruleId": "r"}}]}}], "x": {nested}}}"#
            );
            assert!(read_sarif(log.as_bytes()).is_none(), "{depth}");
            let by_value = crate::read("deep.sarif", log.as_bytes());
            assert_eq!(by_value.is_ok(), depth < 120, "{depth}: {by_value:?}");
        }
    }

    /// The typed reader took a run written as an array (`[tool, results]`, as serde reads a struct from
    /// a sequence) where the `Value` reader refuses it.
    #[test]
    fn sarif_run_written_as_an_array_gets_the_value_readers_error() {
        let log = r#"{"version": "2.1.0", "runs": [[{"driver": {}}, []]]}"#;
        assert!(read_sarif(log.as_bytes()).is_none());
        let err = crate::read("run.sarif", log.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "run.sarif: $.runs[0].tool.driver: expected an object"
        );
    }

    #[test]
    fn typed_sarif_reader_leaves_unusual_logs_to_the_value_reader() {
        for log in [
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "bad"}]}]}"#,
            r#"{"version": "2.0.0", "runs": []}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"ruleIndex": -1}]}]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": "x"}}]}"#,
            r#"{"version": "2.1.0", "runs": [{"results": []}]}"#,
            r#"{"version": "2.1.0", "runs": null}"#,
            r#"{"version": "2.1.0", "runs": [], "runs": []}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [1]}]}"#,
            r#"{"Results": [], "SchemaVersion": 2}"#,
            r#"{"version": "2.1.0", "runs": ["#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "tool": {"driver": {}}}]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [], "results": []}]}"#,
            r#"{"version": "2.1.0", "runs": [{"results": [], "tool": {"driver": {}}, "results": []}]}"#,
            r#"{"version": "2.1.0", "runs": [{"results": [], "results": [], "tool": {"driver": {}}}]}"#,
            r#"{"version": "2.1.0", "version": "2.1.0", "runs": []}"#,
            r#"{"version": "2.1.0", "runs": [[{"driver": {}}, []]]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": null, "results": []}]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": {}}]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{}, {"level": "bad"}]}]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{}]}, {"results": []}]}"#,
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{}]}]} trailing"#,
            r#"{"runs": [{"tool": {"driver": {}}, "results": [{}]}]}"#,
        ] {
            assert!(read_sarif(log.as_bytes()).is_none(), "{log}");
        }
    }
}
