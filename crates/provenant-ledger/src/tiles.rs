//! C2SP tlog-tiles: tile paths, hash tiles and entry bundles.
//!
//! A hash tile at level `L`, index `N` holds up to 256 hashes of the tree's nodes at height `8·L`, those
//! numbered `256·N` to `256·N + W − 1`; an entry bundle at index `N` holds entries `256·N` onwards. A full
//! tile has 256 of them and its path has no width; a partial tile (the right edge of the tree) has `W`
//! (1 to 255) and its path ends `.p/W`. `N` is written in groups of three digits, all but the last
//! prefixed with `x` (`1234067` is `x001/x234/067`). An entry bundle is each entry prefixed by its length
//! as a two-byte big-endian number, so an entry served as tiles has at most 65,535 bytes.

use std::fmt;

use crate::hash::{HASH_SIZE, Hash};
use crate::tree::stored_hash_index;

/// Hashes or entries in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels per tile level.
pub const TILE_HEIGHT: u8 = 8;
/// Largest entry an entry bundle can carry.
pub const MAX_BUNDLED_ENTRY: usize = u16::MAX as usize;
/// Highest tile level: a tile at this level already covers 2^64 leaves.
const MAX_LEVEL: u8 = 7;
/// Longest tile path accepted.
const MAX_PATH: usize = 64;

/// A tile's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TilePath {
    /// A hash tile.
    Hashes {
        /// Tile level (tree height `8·level`).
        level: u8,
        /// Tile index within its level.
        index: u64,
        /// Hashes in a partial tile (1 to 255); `None` for a full tile.
        width: Option<u8>,
    },
    /// An entry bundle.
    Entries {
        /// Bundle index.
        index: u64,
        /// Entries in a partial bundle (1 to 255); `None` for a full bundle.
        width: Option<u8>,
    },
}

/// Why a tile path, tile or bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// Not a canonical tile path.
    #[error("not a tlog-tiles path (tile/L/N[.p/W] or tile/entries/N[.p/W] in canonical form): {reason}")]
    BadPath {
        /// What is wrong.
        reason: &'static str,
    },
    /// A hash tile whose length is not a whole number of hashes, or not the width expected.
    #[error("hash tile has {found} bytes where {expected} hashes of 32 bytes were expected")]
    BadHashTile {
        /// Bytes found.
        found: usize,
        /// Hashes expected.
        expected: u64,
    },
    /// An entry bundle that ends inside an entry, or holds another number of entries than expected.
    #[error("entry bundle is malformed at byte {offset}: {reason}")]
    BadBundle {
        /// Where.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// An entry too large for a bundle.
    #[error("entry of {size} bytes is larger than an entry bundle can hold ({MAX_BUNDLED_ENTRY})")]
    EntryTooLarge {
        /// The entry's size.
        size: usize,
    },
    /// The tile is not within a tree of that size.
    #[error("tile is not within a tree of {size} entries")]
    NotInTree {
        /// The tree's size.
        size: u64,
    },
}

fn bad(reason: &'static str) -> TileError {
    TileError::BadPath { reason }
}

fn write_index(out: &mut String, n: u64) {
    use fmt::Write as _;
    let mut groups = vec![n % 1000];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let last = groups.len().saturating_sub(1);
    for (i, g) in groups.iter().rev().enumerate() {
        let _ = if i == last {
            write!(out, "{g:03}")
        } else {
            write!(out, "x{g:03}/")
        };
    }
}

fn three_digits(s: &str) -> Result<u64, TileError> {
    if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("each index group has three digits"));
    }
    s.parse().map_err(|_| bad("each index group has three digits"))
}

impl TilePath {
    /// Parses `tile/L/N[.p/W]` or `tile/entries/N[.p/W]` (one leading `/` allowed). Only the canonical
    /// spelling is accepted, so each tile has one path.
    pub fn parse(path: &str) -> Result<TilePath, TileError> {
        if path.len() > MAX_PATH {
            return Err(bad("too long"));
        }
        let path = path.strip_prefix('/').unwrap_or(path);
        let rest = path
            .strip_prefix("tile/")
            .ok_or(bad("it does not start with tile/"))?;
        let (level, rest) = rest.split_once('/').ok_or(bad("no index"))?;
        let level = if level == "entries" {
            None
        } else {
            if level.is_empty()
                || !level.bytes().all(|b| b.is_ascii_digit())
                || (level.len() > 1 && level.starts_with('0'))
            {
                return Err(bad("the level is a decimal number"));
            }
            let l: u8 = level.parse().map_err(|_| bad("the level is a decimal number"))?;
            if l > MAX_LEVEL {
                return Err(bad("the level is too high"));
            }
            Some(l)
        };
        let mut groups: Vec<&str> = rest.split('/').collect();
        let mut width = None;
        if let Some(last_group) = groups.len().checked_sub(2).and_then(|i| groups.get(i).copied())
            && let Some(stripped) = last_group.strip_suffix(".p")
        {
            let w = groups.pop().ok_or(bad("no width"))?;
            if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) || w.starts_with('0') || w.len() > 3 {
                return Err(bad("the width is a decimal number from 1 to 255"));
            }
            let w: u16 = w
                .parse()
                .map_err(|_| bad("the width is a decimal number from 1 to 255"))?;
            width = Some(u8::try_from(w).map_err(|_| bad("the width is a decimal number from 1 to 255"))?);
            if let Some(slot) = groups.last_mut() {
                *slot = stripped;
            }
        }
        let (last, prefix) = groups.split_last().ok_or(bad("no index"))?;
        let mut index: u64 = 0;
        for g in prefix {
            let digits = g
                .strip_prefix('x')
                .ok_or(bad("all but the last index group start with x"))?;
            index = index
                .checked_mul(1000)
                .and_then(|i| i.checked_add(three_digits(digits).ok()?))
                .ok_or(bad("the index is not a number of at most 64 bits"))?;
        }
        index = index
            .checked_mul(1000)
            .and_then(|i| i.checked_add(three_digits(last).ok()?))
            .ok_or(bad(
                "the index's last group is three digits, and the index at most 64 bits",
            ))?;
        let tile = match level {
            None => TilePath::Entries { index, width },
            Some(level) => TilePath::Hashes { level, index, width },
        };
        if tile.to_string() != path {
            return Err(bad("not in canonical form"));
        }
        Ok(tile)
    }

    /// Entries or hashes in the tile.
    #[must_use]
    pub fn width(&self) -> u64 {
        match self {
            TilePath::Hashes { width, .. } | TilePath::Entries { width, .. } => {
                width.map_or(TILE_WIDTH, u64::from)
            }
        }
    }

    /// The tile at `level`/`index` as served for a tree of `size` entries: full, partial, or absent.
    #[must_use]
    pub fn for_tree(level: Option<u8>, index: u64, size: u64) -> Option<TilePath> {
        let shift = u32::from(level.unwrap_or(0)) * u32::from(TILE_HEIGHT);
        let nodes = size.checked_shr(shift).unwrap_or(0);
        let start = index.checked_mul(TILE_WIDTH)?;
        if nodes <= start {
            return None;
        }
        let w = (nodes - start).min(TILE_WIDTH);
        let width = if w == TILE_WIDTH {
            None
        } else {
            u8::try_from(w).ok()
        };
        Some(match level {
            None => TilePath::Entries { index, width },
            Some(level) => TilePath::Hashes { level, index, width },
        })
    }

    /// For a hash tile, the stored hash indexes (see [`crate::tree::stored_hash_index`]) of its hashes.
    #[must_use]
    pub fn stored_indexes(&self) -> Vec<u64> {
        match *self {
            TilePath::Entries { .. } => Vec::new(),
            TilePath::Hashes { level, index, .. } => {
                let height = level.saturating_mul(TILE_HEIGHT);
                let start = index.saturating_mul(TILE_WIDTH);
                (0..self.width())
                    .map(|i| stored_hash_index(height, start.saturating_add(i)))
                    .collect()
            }
        }
    }

    /// For an entry bundle, the first entry's index.
    #[must_use]
    pub fn first_entry(&self) -> u64 {
        match *self {
            TilePath::Entries { index, .. } | TilePath::Hashes { index, .. } => {
                index.saturating_mul(TILE_WIDTH)
            }
        }
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        let mut s = String::from("tile/");
        let (index, width) = match *self {
            TilePath::Hashes { level, index, width } => {
                s.push_str(&level.to_string());
                (index, width)
            }
            TilePath::Entries { index, width } => {
                s.push_str("entries");
                (index, width)
            }
        };
        s.push('/');
        write_index(&mut s, index);
        if let Some(w) = width {
            let _ = write!(s, ".p/{w}");
        }
        f.write_str(&s)
    }
}

/// A hash tile's bytes: the hashes concatenated.
#[must_use]
pub fn encode_hash_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

/// Reads a hash tile of `expected` hashes.
pub fn decode_hash_tile(bytes: &[u8], expected: u64) -> Result<Vec<Hash>, TileError> {
    let whole = bytes.len().is_multiple_of(HASH_SIZE);
    if !whole || (bytes.len() / HASH_SIZE) as u64 != expected {
        return Err(TileError::BadHashTile {
            found: bytes.len(),
            expected,
        });
    }
    Ok(bytes
        .chunks_exact(HASH_SIZE)
        .filter_map(|c| Hash::from_slice(c).ok())
        .collect())
}

/// An entry bundle: each entry prefixed by its length, two bytes big-endian.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for e in entries {
        let e = e.as_ref();
        let len = u16::try_from(e.len()).map_err(|_| TileError::EntryTooLarge { size: e.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Reads an entry bundle of exactly `expected` entries.
pub fn decode_entry_bundle(bytes: &[u8], expected: u64) -> Result<Vec<&[u8]>, TileError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let offset = bytes.len() - rest.len();
        let (Some(&hi), Some(&lo)) = (rest.first(), rest.get(1)) else {
            return Err(TileError::BadBundle {
                offset,
                reason: "a length prefix is cut short",
            });
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let entry = rest.get(2..2 + len).ok_or(TileError::BadBundle {
            offset,
            reason: "an entry is shorter than its length prefix",
        })?;
        if out.len() as u64 >= expected {
            return Err(TileError::BadBundle {
                offset,
                reason: "more entries than the tile's width",
            });
        }
        out.push(entry);
        rest = rest.get(2 + len..).unwrap_or_default();
    }
    if out.len() as u64 != expected {
        return Err(TileError::BadBundle {
            offset: bytes.len(),
            reason: "fewer entries than the tile's width",
        });
    }
    Ok(out)
}
