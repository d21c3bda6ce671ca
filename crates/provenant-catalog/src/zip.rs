//! A bounded reader of the zip archives Java ships code in (`.jar`, `.war`, `.ear`): the central
//! directory is read from the end of the archive and single entries are inflated on request, each to at
//! most a caller-given size. Nothing is written anywhere; stored and deflated entries are supported
//! (ZIP64 archives, encryption and other methods are refused by name).

use std::io::Read as _;

/// Why an archive or one of its entries cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZipError {
    /// No end-of-central-directory record: not a zip archive, or truncated.
    #[error("not a zip archive (no end of central directory record)")]
    NotZip,
    /// A structure points outside the archive.
    #[error("truncated or corrupt zip archive: {what}")]
    Corrupt {
        /// The structure that is out of bounds.
        what: &'static str,
    },
    /// A feature this reader does not implement.
    #[error("unsupported zip feature: {what}")]
    Unsupported {
        /// The feature.
        what: String,
    },
    /// An entry inflates beyond the allowed size.
    #[error("entry {name} inflates beyond {limit} bytes")]
    TooLarge {
        /// The entry.
        name: String,
        /// The bound.
        limit: u64,
    },
}

/// One central directory entry.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The entry's path inside the archive.
    pub name: String,
    method: u16,
    flags: u16,
    compressed: u64,
    size: u64,
    local_offset: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The central directory of `bytes`, at most `max_entries` entries.
pub fn entries(bytes: &[u8], max_entries: usize) -> Result<Vec<Entry>, ZipError> {
    // The end record is 22 bytes plus a comment of at most 65535 bytes.
    let tail_start = bytes.len().saturating_sub(22 + 0xffff);
    let tail = bytes.get(tail_start..).ok_or(ZipError::NotZip)?;
    let eocd = memchr::memmem::rfind(tail, b"PK\x05\x06").ok_or(ZipError::NotZip)? + tail_start;
    let corrupt = |what| ZipError::Corrupt { what };
    let count = u16_at(bytes, eocd + 10).ok_or(corrupt("end record"))?;
    let cd_size = u32_at(bytes, eocd + 12).ok_or(corrupt("end record"))?;
    let cd_off = u32_at(bytes, eocd + 16).ok_or(corrupt("end record"))?;
    if count == 0xffff || cd_off == u32::MAX || cd_size == u32::MAX {
        return Err(ZipError::Unsupported {
            what: "ZIP64".to_owned(),
        });
    }
    let mut at = cd_off as usize;
    let mut out = Vec::new();
    for _ in 0..usize::from(count).min(max_entries) {
        if u32_at(bytes, at) != Some(0x0201_4b50) {
            return Err(corrupt("central directory entry"));
        }
        let field = |off: usize| u16_at(bytes, at + off).ok_or(corrupt("central directory entry"));
        let field32 = |off: usize| u32_at(bytes, at + off).ok_or(corrupt("central directory entry"));
        let (flags, method) = (field(8)?, field(10)?);
        let (compressed, size) = (field32(20)?, field32(24)?);
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let local_offset = field32(42)?;
        let name = bytes
            .get(at + 46..at + 46 + usize::from(name_len))
            .ok_or(corrupt("entry name"))?;
        out.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            flags,
            compressed: u64::from(compressed),
            size: u64::from(size),
            local_offset: u64::from(local_offset),
        });
        at += 46 + usize::from(name_len) + usize::from(extra_len) + usize::from(comment_len);
    }
    Ok(out)
}

/// The contents of `entry`, inflated to at most `limit` bytes.
pub fn read(bytes: &[u8], entry: &Entry, limit: u64) -> Result<Vec<u8>, ZipError> {
    let corrupt = |what| ZipError::Corrupt { what };
    if entry.flags & 1 != 0 {
        return Err(ZipError::Unsupported {
            what: format!("encrypted entry {}", entry.name),
        });
    }
    if entry.size > limit {
        return Err(ZipError::TooLarge {
            name: entry.name.clone(),
            limit,
        });
    }
    let at = usize::try_from(entry.local_offset).map_err(|_| corrupt("local header"))?;
    if u32_at(bytes, at) != Some(0x0403_4b50) {
        return Err(corrupt("local header"));
    }
    let name_len = u16_at(bytes, at + 26).ok_or(corrupt("local header"))?;
    let extra_len = u16_at(bytes, at + 28).ok_or(corrupt("local header"))?;
    let start = at + 30 + usize::from(name_len) + usize::from(extra_len);
    let len = usize::try_from(entry.compressed).map_err(|_| corrupt("entry data"))?;
    let data = bytes
        .get(start..start.checked_add(len).ok_or(corrupt("entry data"))?)
        .ok_or(corrupt("entry data"))?;
    let mut out = Vec::new();
    match entry.method {
        0 => out.extend_from_slice(data),
        8 => {
            flate2::read::DeflateDecoder::new(data)
                .take(limit + 1)
                .read_to_end(&mut out)
                .map_err(|_| corrupt("deflate stream"))?;
        }
        m => {
            return Err(ZipError::Unsupported {
                what: format!("compression method {m} in {}", entry.name),
            });
        }
    }
    if out.len() as u64 > limit {
        return Err(ZipError::TooLarge {
            name: entry.name.clone(),
            limit,
        });
    }
    Ok(out)
}
