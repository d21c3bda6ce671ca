//! The RPM database in its `SQLite` form (`var/lib/rpm/rpmdb.sqlite`, the default since RPM 4.16): each row
//! of the `Packages` table is an RPM header blob (an index of big-endian tag, type, offset, count entries
//! over a data store). PURLs are `pkg:rpm/<name>@<version>-<release>?arch=<arch>&epoch=<epoch>`; the
//! distribution namespace is not in the database and is left out. The licence is reported when it is an
//! SPDX expression (Fedora writes SPDX since 2022; older `GPLv2+` style names are left out).

use provenant_sbom::{Component, Ecosystem, Scope, parse_license, purl_for};

use crate::sqlite::{self, Value};
use crate::{Warning, evidence};

/// Evidence method name.
pub const METHOD: &str = "rpmdb-sqlite";

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;

/// Upper bound on a header's index entries.
const MAX_INDEX: usize = 1 << 16;

struct Header<'a> {
    index: Vec<(u32, u32, usize, u32)>,
    store: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Option<Header<'a>> {
        let il = usize::try_from(be32(blob, 0)?).ok()?;
        let dl = usize::try_from(be32(blob, 4)?).ok()?;
        if il > MAX_INDEX {
            return None;
        }
        let store_at = 8 + il * 16;
        let store = blob.get(store_at..store_at.checked_add(dl)?)?;
        let mut index = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let offset = usize::try_from(be32(blob, at + 8)?).ok()?;
            index.push((be32(blob, at)?, be32(blob, at + 4)?, offset, be32(blob, at + 12)?));
        }
        Some(Header { index, store })
    }

    fn string(&self, tag: u32) -> Option<String> {
        let (_, ty, off, _) = self.index.iter().find(|e| e.0 == tag)?;
        // STRING, STRING_ARRAY (first), I18NSTRING (first).
        if !matches!(ty, 6 | 8 | 9) {
            return None;
        }
        let s = self.store.get(*off..)?;
        let end = s.iter().position(|b| *b == 0)?;
        Some(String::from_utf8_lossy(s.get(..end)?).into_owned())
    }

    fn int32(&self, tag: u32) -> Option<u32> {
        let (_, ty, off, _) = self.index.iter().find(|e| e.0 == tag)?;
        (*ty == 4).then(|| be32(self.store, *off)).flatten()
    }
}

/// The installed packages of an `rpmdb.sqlite`.
#[must_use]
pub fn parse(file: &str, bytes: &[u8]) -> (Vec<Component>, Vec<Warning>) {
    let rows = match sqlite::table_rows(bytes, "Packages") {
        Ok(r) => r,
        Err(e) => return (Vec::new(), vec![Warning::new(file, None, e.to_string())]),
    };
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (rowid, cols) in rows {
        let Some(blob) = cols.iter().find_map(|c| match c {
            Value::Blob(b) => Some(b),
            _ => None,
        }) else {
            continue;
        };
        let bad = |what: &str| Warning::new(file, None, format!("package row {rowid}: {what}"));
        let Some(h) = Header::parse(blob) else {
            warnings.push(bad("unreadable RPM header"));
            continue;
        };
        let (Some(name), Some(version), Some(release)) =
            (h.string(TAG_NAME), h.string(TAG_VERSION), h.string(TAG_RELEASE))
        else {
            warnings.push(bad("header without name, version or release"));
            continue;
        };
        if name == "gpg-pubkey" {
            continue; // imported signing keys, not software
        }
        let full = format!("{version}-{release}");
        let arch = h.string(TAG_ARCH).unwrap_or_default();
        let epoch = h.int32(TAG_EPOCH).map(|e| e.to_string());
        let mut quals: Vec<(&str, &str)> = Vec::new();
        if !arch.is_empty() {
            quals.push(("arch", &arch));
        }
        if let Some(e) = &epoch {
            quals.push(("epoch", e));
        }
        let purl = match purl_for(Ecosystem::Rpm, &name, &full, &quals) {
            Ok(p) => p,
            Err(e) => {
                warnings.push(bad(&e.to_string()));
                continue;
            }
        };
        let mut c = Component::with_purl(Ecosystem::Rpm, &name, &full, purl);
        c.license = h.string(TAG_LICENSE).and_then(|l| parse_license(&l).ok());
        c.supplier = h.string(TAG_VENDOR).filter(|v| !v.is_empty());
        c.scope = Scope::Unknown;
        c.evidence.insert(evidence(file, METHOD));
        out.push(c);
    }
    (out, warnings)
}
