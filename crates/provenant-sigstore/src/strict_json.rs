//! JSON as protobuf's JSON parsers read it: a member named twice in one object is an error, not a
//! silent choice of one of the values (`serde_json` keeps the last, Go's and Python's decoders differ),
//! so that no two verifiers can see different contents in the same bytes.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::ParseError;

/// Refuses `json` when any object in it, at any depth, has two members with the same name (compared
/// after unescaping). The error names the JSON path of the second occurrence. Depth is bounded by
/// `serde_json`'s recursion limit (128), so hostile nesting is an error, not a stack overflow.
pub fn check_unique_keys(json: &[u8], document: &'static str) -> Result<(), ParseError> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let result = Unique { path: String::new() }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(()),
        Err(e) => {
            let message = e.to_string();
            match message.strip_prefix(DUPLICATE) {
                Some(rest) => {
                    let path = rest.split(" at line ").next().unwrap_or(rest);
                    Err(ParseError::field(
                        document,
                        path,
                        "appears twice in its object: a document with duplicate members is ambiguous \
                         (readers disagree on which one counts) and is refused",
                    ))
                }
                None => Err(ParseError::json(document, String::new(), &e)),
            }
        }
    }
}

const DUPLICATE: &str = "duplicate member ";

struct Unique {
    path: String,
}

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Unique {
                path: format!("{}[{i}]", self.path),
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE}{path}")));
            }
            map.next_value_seed(Unique { path })?;
        }
        Ok(())
    }
}
