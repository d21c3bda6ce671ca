//! A bounded reader of zip archives (`.jar`, `.war`, `.ear`, wheels): the central directory is read from
//! the end of the archive, at most a caller-given number of entries, and single entries are found through
//! their local headers and inflated on request, each to at most a caller-given size. Stored and deflated
//! entries are supported; ZIP64 archives, encryption and other methods are refused by name.

use std::io::Read as _;
use std::ops::Range;

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
    /// An entry would take what an archive inflates in all (its nested archives included) past its
    /// [`Budget`]: a zip bomb spread over many entries.
    #[error("entry {name} would inflate the archive past {total} bytes in all")]
    TotalTooLarge {
        /// The entry.
        name: String,
        /// The budget, in bytes inflated.
        total: u64,
    },
    /// A deflated entry inflates more than [`MAX_RATIO`] times its compressed size (past the first
    /// [`RATIO_GRACE`] bytes): the shape of a zip bomb, refused before it fills memory.
    #[error("entry {name} inflates more than {MAX_RATIO} times its compressed size of {compressed} bytes")]
    RatioTooHigh {
        /// The entry.
        name: String,
        /// Its compressed size.
        compressed: u64,
    },
    /// An archive nested in archives deeper than the reader's bound.
    #[error("entry {name} is an archive nested deeper than {limit} levels: not read")]
    NestedTooDeep {
        /// The nested archive's entry.
        name: String,
        /// The deepest nesting read (the top-level archive is 0).
        limit: usize,
    },
}

/// The most a deflated entry may inflate relative to its compressed size, once past [`RATIO_GRACE`]
/// bytes. Real archives stay far below it (text compresses about 5-10 times); a zip bomb exceeds it.
pub const MAX_RATIO: u64 = 200;

/// What any deflated entry may inflate to whatever its ratio: small entries of repeated bytes are
/// common and harmless.
pub const RATIO_GRACE: u64 = 1 << 20;

/// What one archive, with the archives nested in it, may inflate in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    total: u64,
    left: u64,
}

impl Budget {
    /// A budget of `total` bytes inflated.
    #[must_use]
    pub fn new(total: u64) -> Budget {
        Budget { total, left: total }
    }

    /// Bytes that may still be inflated.
    #[must_use]
    pub fn left(&self) -> u64 {
        self.left
    }

    /// [`read`]s `entry` within `limit` and what is left, and counts what it gave.
    ///
    /// # Errors
    ///
    /// As [`read`]; [`ZipError::TotalTooLarge`] when what is left, smaller than `limit`, is crossed.
    pub fn read(&mut self, bytes: &[u8], entry: &Entry, limit: u64) -> Result<Vec<u8>, ZipError> {
        let out = match read(bytes, entry, limit.min(self.left)) {
            Err(ZipError::TooLarge { name, .. }) if self.left < limit && entry.size <= limit => {
                return Err(ZipError::TotalTooLarge {
                    name,
                    total: self.total,
                });
            }
            other => other?,
        };
        self.left = self.left.saturating_sub(out.len() as u64);
        Ok(out)
    }
}

/// One central directory entry.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Entry {
    /// The entry's path inside the archive (invalid UTF-8 replaced).
    pub name: String,
    /// "Version made by": its high byte is the host system (3 for Unix).
    pub made_by: u16,
    /// General-purpose flags (bit 0: encrypted).
    pub flags: u16,
    /// Compression method (0 stored, 8 deflated).
    pub method: u16,
    /// MS-DOS modification time and date.
    pub dos_time: u16,
    /// MS-DOS modification date.
    pub dos_date: u16,
    /// Compressed size, as declared.
    pub compressed: u64,
    /// Uncompressed size, as declared (a claim: inflation is bounded whatever it says).
    pub size: u64,
    /// External file attributes (for Unix hosts, the mode in the high 16 bits).
    pub external_attributes: u32,
    /// Offset of the entry's local header.
    pub local_offset: u64,
    /// Where the entry's extra field lies in the archive.
    extra: Range<usize>,
}

impl Entry {
    /// The entry's extra field in the central directory (`bytes` is the archive it was read from);
    /// `None` when it runs past the archive's end.
    #[must_use]
    pub fn extra<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        bytes.get(self.extra.clone())
    }

    /// Whether the archive was made on a Unix host (its external attributes then hold a mode).
    #[must_use]
    pub fn made_by_unix(&self) -> bool {
        self.made_by >> 8 == 3
    }
}

/// The central directory as read: its entries, and how many the end record declared.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Directory {
    /// The entries read, at most the caller's bound.
    pub entries: Vec<Entry>,
    /// The number of entries the end record declares.
    pub declared: usize,
}

impl Directory {
    /// Whether entries were left unread because of the caller's bound.
    #[must_use]
    pub fn truncated(&self) -> bool {
        self.declared > self.entries.len()
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The central directory of `bytes`, at most `max_entries` entries.
///
/// # Errors
///
/// [`ZipError::NotZip`] without an end record, [`ZipError::Unsupported`] for ZIP64, and
/// [`ZipError::Corrupt`] for a directory entry outside the archive.
pub fn entries(bytes: &[u8], max_entries: usize) -> Result<Directory, ZipError> {
    // The end record is 22 bytes plus a comment of at most 65535 bytes; its signature starts at least 22
    // bytes before the end.
    let tail_start = bytes.len().saturating_sub(22 + 0xffff);
    let tail = bytes
        .get(tail_start..bytes.len().saturating_sub(18))
        .ok_or(ZipError::NotZip)?;
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
    let mut entries = Vec::new();
    for _ in 0..usize::from(count).min(max_entries) {
        if u32_at(bytes, at) != Some(0x0201_4b50) {
            return Err(corrupt("central directory entry"));
        }
        let field = |off: usize| u16_at(bytes, at + off).ok_or(corrupt("central directory entry"));
        let field32 = |off: usize| u32_at(bytes, at + off).ok_or(corrupt("central directory entry"));
        let (name_len, extra_len, comment_len) = (
            usize::from(field(28)?),
            usize::from(field(30)?),
            usize::from(field(32)?),
        );
        let name_at = at + 46;
        let name = bytes
            .get(name_at..name_at + name_len)
            .ok_or(corrupt("entry name"))?;
        let extra = name_at + name_len..name_at + name_len + extra_len;
        entries.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            made_by: field(4)?,
            flags: field(8)?,
            method: field(10)?,
            dos_time: field(12)?,
            dos_date: field(14)?,
            compressed: u64::from(field32(20)?),
            size: u64::from(field32(24)?),
            external_attributes: field32(38)?,
            local_offset: u64::from(field32(42)?),
            extra,
        });
        at = name_at + name_len + extra_len + comment_len;
    }
    Ok(Directory {
        entries,
        declared: usize::from(count),
    })
}

/// The entry's data as stored (compressed or not), found through its local header.
///
/// # Errors
///
/// [`ZipError::Corrupt`] when the local header or the data lies outside the archive.
pub fn raw<'a>(bytes: &'a [u8], entry: &Entry) -> Result<&'a [u8], ZipError> {
    let corrupt = |what| ZipError::Corrupt { what };
    let at = usize::try_from(entry.local_offset).map_err(|_| corrupt("local header"))?;
    if u32_at(bytes, at) != Some(0x0403_4b50) {
        return Err(corrupt("local header"));
    }
    let name_len = u16_at(bytes, at + 26).ok_or(corrupt("local header"))?;
    let extra_len = u16_at(bytes, at + 28).ok_or(corrupt("local header"))?;
    let start = at + 30 + usize::from(name_len) + usize::from(extra_len);
    let len = usize::try_from(entry.compressed).map_err(|_| corrupt("entry data"))?;
    bytes
        .get(start..start.checked_add(len).ok_or(corrupt("entry data"))?)
        .ok_or(corrupt("entry data"))
}

/// The contents of `entry`, inflated to at most `limit` bytes.
///
/// # Errors
///
/// [`ZipError::Unsupported`] for an encrypted entry or another method, [`ZipError::TooLarge`] when the
/// entry declares or inflates to more than `limit` bytes, [`ZipError::RatioTooHigh`] when a deflated
/// entry inflates more than [`MAX_RATIO`] times its compressed size (past [`RATIO_GRACE`] bytes),
/// [`ZipError::Corrupt`] for data outside the archive or a corrupt deflate stream.
pub fn read(bytes: &[u8], entry: &Entry, limit: u64) -> Result<Vec<u8>, ZipError> {
    if entry.flags & 1 != 0 {
        return Err(ZipError::Unsupported {
            what: format!("encrypted entry {}", entry.name),
        });
    }
    let too_large = || ZipError::TooLarge {
        name: entry.name.clone(),
        limit,
    };
    if entry.size > limit {
        return Err(too_large());
    }
    let data = raw(bytes, entry)?;
    let mut out = Vec::new();
    match entry.method {
        0 => out.extend_from_slice(data),
        8 => {
            // Inflation stops at whichever comes first: the caller's limit, or the ratio bound.
            let by_ratio = (data.len() as u64).saturating_mul(MAX_RATIO).max(RATIO_GRACE);
            flate2::read::DeflateDecoder::new(data)
                .take(limit.min(by_ratio).saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|_| ZipError::Corrupt {
                    what: "deflate stream",
                })?;
            if out.len() as u64 > by_ratio && by_ratio < limit {
                return Err(ZipError::RatioTooHigh {
                    name: entry.name.clone(),
                    compressed: data.len() as u64,
                });
            }
        }
        m => {
            return Err(ZipError::Unsupported {
                what: format!("compression method {m} in {}", entry.name),
            });
        }
    }
    if out.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(out)
}
