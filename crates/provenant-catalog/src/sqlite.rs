//! A minimal, read-only reader of `SQLite` 3 database files, enough to list the rows of one table: the
//! schema table on page 1, table b-trees (interior and leaf pages), records and overflow chains. Every
//! page number and offset is checked, every page is visited at most once, and the depth of the tree is
//! bounded; nothing is written and no journal is replayed.

use std::collections::BTreeSet;

/// Why the file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// Not an `SQLite` 3 file.
    #[error("not an SQLite 3 database")]
    NotSqlite,
    /// A structure points outside the file or is inconsistent.
    #[error("corrupt SQLite database: {what}")]
    Corrupt {
        /// What is wrong.
        what: &'static str,
    },
    /// The table is not in the schema.
    #[error("no table {name:?} in the database")]
    NoTable {
        /// The table.
        name: String,
    },
}

/// One column value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text (lossily decoded).
    Text(String),
    /// A blob.
    Blob(Vec<u8>),
}

const MAX_DEPTH: usize = 32;

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
}

fn corrupt(what: &'static str) -> SqliteError {
    SqliteError::Corrupt { what }
}

fn be(b: &[u8], at: usize, len: usize) -> Result<u64, SqliteError> {
    let s = b.get(at..at + len).ok_or(corrupt("field out of bounds"))?;
    Ok(s.iter().fold(0u64, |v, x| (v << 8) | u64::from(*x)))
}

/// A `SQLite` varint at `at`: value and length.
fn varint(b: &[u8], at: usize) -> Result<(u64, usize), SqliteError> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let byte = *b.get(at + i).ok_or(corrupt("varint out of bounds"))?;
        if i == 8 {
            return Ok(((v << 8) | u64::from(byte), 9));
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err(corrupt("varint"))
}

impl Db<'_> {
    fn page(&self, n: u64) -> Result<&[u8], SqliteError> {
        let n = usize::try_from(n).map_err(|_| corrupt("page number"))?;
        if n == 0 {
            return Err(corrupt("page number 0"));
        }
        let start = (n - 1)
            .checked_mul(self.page_size)
            .ok_or(corrupt("page number"))?;
        self.bytes
            .get(start..start.checked_add(self.page_size).ok_or(corrupt("page number"))?)
            .ok_or(corrupt("page beyond the end of the file"))
    }

    /// The payload of a cell whose total size is `total` and whose local part starts at `at` in `page`.
    fn payload(
        &self,
        page: &[u8],
        at: usize,
        total: u64,
        seen: &mut BTreeSet<u64>,
    ) -> Result<Vec<u8>, SqliteError> {
        let total = usize::try_from(total).map_err(|_| corrupt("payload size"))?;
        if total > self.bytes.len() {
            return Err(corrupt("payload larger than the file"));
        }
        let u = self.usable;
        let x = u - 35;
        let local = if total <= x {
            total
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + ((total - m) % (u - 4));
            if k <= x { k } else { m }
        };
        let mut out = page
            .get(at..at + local)
            .ok_or(corrupt("cell out of bounds"))?
            .to_vec();
        if local < total {
            let mut next = be(page, at + local, 4)?;
            while out.len() < total {
                if !seen.insert(next) {
                    return Err(corrupt("overflow chain loops"));
                }
                let p = self.page(next)?;
                next = be(p, 0, 4)?;
                let take = (total - out.len()).min(u - 4);
                out.extend_from_slice(p.get(4..4 + take).ok_or(corrupt("overflow page"))?);
            }
        }
        Ok(out)
    }

    /// Every row (rowid, payload) of the table b-tree rooted at `root`.
    fn rows(
        &self,
        root: u64,
        depth: usize,
        seen: &mut BTreeSet<u64>,
        out: &mut Vec<(i64, Vec<u8>)>,
    ) -> Result<(), SqliteError> {
        if depth > MAX_DEPTH {
            return Err(corrupt("b-tree too deep"));
        }
        if !seen.insert(root) {
            return Err(corrupt("b-tree page visited twice"));
        }
        let page = self.page(root)?;
        let hdr = if root == 1 { 100 } else { 0 };
        let kind = *page.get(hdr).ok_or(corrupt("page header"))?;
        let cells = usize::try_from(be(page, hdr + 3, 2)?).map_err(|_| corrupt("cell count"))?;
        let (ptrs, interior) = match kind {
            0x0d => (hdr + 8, false),
            0x05 => (hdr + 12, true),
            _ => return Err(corrupt("not a table b-tree page")),
        };
        for i in 0..cells {
            let at = usize::try_from(be(page, ptrs + 2 * i, 2)?).map_err(|_| corrupt("cell pointer"))?;
            if interior {
                self.rows(be(page, at, 4)?, depth + 1, seen, out)?;
            } else {
                let (size, n1) = varint(page, at)?;
                let (rowid, n2) = varint(page, at + n1)?;
                #[allow(clippy::cast_possible_wrap)]
                let rowid = rowid as i64;
                out.push((rowid, self.payload(page, at + n1 + n2, size, seen)?));
            }
        }
        if interior {
            self.rows(be(page, hdr + 8, 4)?, depth + 1, seen, out)?;
        }
        Ok(())
    }
}

/// The column values of a record.
pub fn record(payload: &[u8]) -> Result<Vec<Value>, SqliteError> {
    let (hsize, mut at) = varint(payload, 0)?;
    let hsize = usize::try_from(hsize).map_err(|_| corrupt("record header"))?;
    let mut types = Vec::new();
    while at < hsize {
        let (t, n) = varint(payload, at)?;
        types.push(t);
        at += n;
    }
    let mut data = hsize;
    let mut out = Vec::with_capacity(types.len());
    for t in types {
        let (len, v) = match t {
            0 => (0, Value::Null),
            1..=6 => {
                let len = match t {
                    1..=4 => usize::try_from(t).unwrap_or(8),
                    5 => 6,
                    _ => 8,
                };
                let raw = be(payload, data, len)?;
                let shift = 64 - 8 * u32::try_from(len).unwrap_or(8);
                #[allow(clippy::cast_possible_wrap)]
                let v = ((raw << shift) as i64) >> shift;
                (len, Value::Int(v))
            }
            7 => (8, Value::Float(f64::from_bits(be(payload, data, 8)?))),
            8 => (0, Value::Int(0)),
            9 => (0, Value::Int(1)),
            t if t >= 12 => {
                let len = usize::try_from((t - 12) / 2).map_err(|_| corrupt("value size"))?;
                let raw = payload
                    .get(data..data + len)
                    .ok_or(corrupt("value out of bounds"))?;
                if t % 2 == 0 {
                    (len, Value::Blob(raw.to_vec()))
                } else {
                    (len, Value::Text(String::from_utf8_lossy(raw).into_owned()))
                }
            }
            _ => return Err(corrupt("reserved serial type")),
        };
        data = data.checked_add(len).ok_or(corrupt("value size"))?;
        out.push(v);
    }
    Ok(out)
}

/// The rows of table `name` as (rowid, column values).
pub fn table_rows(bytes: &[u8], name: &str) -> Result<Vec<(i64, Vec<Value>)>, SqliteError> {
    if !bytes.starts_with(b"SQLite format 3\0") {
        return Err(SqliteError::NotSqlite);
    }
    let page_size = match be(bytes, 16, 2)? {
        1 => 65536,
        n if n >= 512 && n.is_power_of_two() => usize::try_from(n).map_err(|_| corrupt("page size"))?,
        _ => return Err(corrupt("page size")),
    };
    let reserved = usize::try_from(be(bytes, 20, 1)?).map_err(|_| corrupt("reserved size"))?;
    let usable = page_size
        .checked_sub(reserved)
        .filter(|u| *u >= 480)
        .ok_or(corrupt("usable size"))?;
    let db = Db {
        bytes,
        page_size,
        usable,
    };
    let mut schema = Vec::new();
    db.rows(1, 0, &mut BTreeSet::new(), &mut schema)?;
    let root = schema
        .iter()
        .filter_map(|(_, p)| record(p).ok())
        .find_map(|cols| match cols.as_slice() {
            [Value::Text(t), Value::Text(n), _, Value::Int(root), ..] if t == "table" && n == name => {
                Some(*root)
            }
            _ => None,
        })
        .ok_or_else(|| SqliteError::NoTable {
            name: name.to_owned(),
        })?;
    let mut rows = Vec::new();
    db.rows(
        u64::try_from(root).map_err(|_| corrupt("root page"))?,
        0,
        &mut BTreeSet::new(),
        &mut rows,
    )?;
    rows.into_iter().map(|(id, p)| Ok((id, record(&p)?))).collect()
}
