//! A bounded reader of Mach-O files: a thin file's load commands (32 or 64 bits, either byte order), its
//! segments and their sections, and the architectures of a universal (fat) file, every offset checked.
//! Nothing is executed or mapped.
//!
//! The work done is bounded by the input's size: at most [`MAX_COMMANDS`] load commands are read, each
//! at least 8 bytes after the one before, and a segment's sections are read only inside its command.

use crate::ints::{Ints, entry, range};

/// Why a Mach-O file's headers cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MachOError {
    /// The file is shorter than the header fields this reader needs.
    #[error("truncated Mach-O header")]
    Truncated,
    /// The file does not start with a thin Mach-O magic number.
    #[error("not a thin Mach-O file (magic {magic:#010x})")]
    NotThin {
        /// The first four bytes, big-endian.
        magic: u32,
    },
    /// The file does not start with the universal magic number.
    #[error("not a universal Mach-O file (magic {magic:#010x})")]
    NotUniversal {
        /// The first four bytes, big-endian.
        magic: u32,
    },
    /// A universal header declaring no architectures or more than [`MAX_ARCHITECTURES`]; a Java class
    /// file, which starts with the same magic number, has its version there.
    #[error("a universal Mach-O header declaring {count} architectures")]
    Architectures {
        /// The declared number.
        count: u32,
    },
}

/// Most load commands read from a thin file.
pub const MAX_COMMANDS: usize = 1 << 16;
/// Most architectures a universal file is believed to hold.
pub const MAX_ARCHITECTURES: u32 = 32;

/// The universal (fat) file's magic number, big-endian.
const FAT_MAGIC: u32 = 0xcafe_babe;
/// `LC_SEGMENT`.
const LC_SEGMENT: u32 = 0x1;
/// `LC_SEGMENT_64`.
const LC_SEGMENT_64: u32 = 0x19;

/// Whether `head` starts with a thin Mach-O magic number, and if so (64 bits, big-endian).
fn thin_magic(head: &[u8]) -> Option<(bool, bool)> {
    match head.get(..4)? {
        [0xfe, 0xed, 0xfa, 0xce] => Some((false, true)),
        [0xfe, 0xed, 0xfa, 0xcf] => Some((true, true)),
        [0xce, 0xfa, 0xed, 0xfe] => Some((false, false)),
        [0xcf, 0xfa, 0xed, 0xfe] => Some((true, false)),
        _ => None,
    }
}

/// Whether `head` starts with the magic number of a thin Mach-O file (either word size or byte order).
#[must_use]
pub fn is_thin(head: &[u8]) -> bool {
    thin_magic(head).is_some()
}

/// The first four bytes of `bytes`, big-endian.
fn magic(bytes: &[u8]) -> Result<u32, MachOError> {
    Ints::new(bytes, true).u32(0, 0).ok_or(MachOError::Truncated)
}

/// The headers of one thin Mach-O file.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    ints: Ints<'a>,
    wide: bool,
    /// The number of load commands declared, at most [`MAX_COMMANDS`].
    commands: usize,
}

impl<'a> Image<'a> {
    /// Reads the Mach-O header of `bytes`.
    ///
    /// # Errors
    ///
    /// [`MachOError::NotThin`] without a thin magic number, [`MachOError::Truncated`] when the header's
    /// number of load commands is missing.
    pub fn read(bytes: &'a [u8]) -> Result<Image<'a>, MachOError> {
        let Some((wide, big)) = thin_magic(bytes) else {
            return Err(MachOError::NotThin { magic: magic(bytes)? });
        };
        let ints = Ints::new(bytes, big);
        let commands = ints.u32(0, 16).ok_or(MachOError::Truncated)?;
        Ok(Image {
            ints,
            wide,
            commands: usize::try_from(commands).map_or(MAX_COMMANDS, |n| n.min(MAX_COMMANDS)),
        })
    }

    /// Whether the file is a 64-bit one.
    #[must_use]
    pub fn is_64(&self) -> bool {
        self.wide
    }

    /// Whether the file is big-endian.
    #[must_use]
    pub fn is_big_endian(&self) -> bool {
        self.ints.big()
    }

    /// The segment commands (`LC_SEGMENT`, `LC_SEGMENT_64`) in order. Load commands are walked until one
    /// lies outside the file, or declares a size under 8 bytes (that one is still read); a segment command
    /// whose fields lie outside the file is passed over.
    #[must_use]
    pub fn segments(&self) -> Segments<'a> {
        Segments {
            image: *self,
            at: if self.wide { 32 } else { 28 },
            left: self.commands,
        }
    }

    /// The bytes of the first section called `name`, in any segment; `None` when there is none, or when
    /// that section's bytes lie outside the file.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        let bytes = self.ints.bytes();
        self.segments()
            .flat_map(|segment| segment.sections())
            .find(|s| s.name() == name.as_bytes())?
            .data(bytes)
    }

    /// The segment command at `at` of type `cmd` and size `size`, when it is one and its fields are
    /// inside the file.
    fn segment(&self, at: usize, cmd: u32, size: usize) -> Option<Segment<'a>> {
        let r = self.ints;
        // (the segment header's size, the size of one section header)
        let (wide, header, each) = match cmd {
            LC_SEGMENT_64 => (true, 72, 80),
            LC_SEGMENT => (false, 56, 68),
            _ => return None,
        };
        let w = if wide { 8 } else { 4 };
        let protections = 24 + 4 * w;
        let nsects = usize::try_from(r.u32(at, protections + 8)?).ok()?;
        // Only the section headers inside the command are read.
        let room = size.saturating_sub(header) / each;
        Some(Segment {
            name_field: r.get(at, 8, 16)?,
            addr: r.word(at, 24, wide)?,
            vm_size: r.word(at, 24 + w, wide)?,
            file_offset: r.word(at, 24 + 2 * w, wide)?,
            file_size: r.word(at, 24 + 3 * w, wide)?,
            max_prot: r.u32(at, protections)?,
            init_prot: r.u32(at, protections + 4)?,
            nsects,
            ints: r,
            wide,
            first: at.checked_add(header)?,
            each,
            readable: nsects.min(room),
        })
    }
}

/// The segments of a thin Mach-O file, from [`Image::segments`].
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    image: Image<'a>,
    /// Where the next load command starts.
    at: usize,
    /// How many load commands are left to read.
    left: usize,
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        while self.left > 0 {
            self.left -= 1;
            let r = self.image.ints;
            let at = self.at;
            let (Some(cmd), Some(size)) = (r.u32(at, 0), r.u32(at, 4).and_then(|v| usize::try_from(v).ok()))
            else {
                self.left = 0;
                return None;
            };
            match at.checked_add(size) {
                Some(next) if size >= 8 => self.at = next,
                _ => self.left = 0,
            }
            if let Some(segment) = self.image.segment(at, cmd, size) {
                return Some(segment);
            }
        }
        None
    }
}

/// One segment command.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Segment<'a> {
    /// The 16-byte name field, NUL-padded (`segname`).
    pub name_field: &'a [u8],
    /// The virtual address it is mapped at (`vmaddr`).
    pub addr: u64,
    /// Its size in memory (`vmsize`).
    pub vm_size: u64,
    /// File offset of its bytes (`fileoff`).
    pub file_offset: u64,
    /// How many of its bytes the file holds (`filesize`).
    pub file_size: u64,
    /// Its maximum protection (`maxprot`: read 1, write 2, execute 4).
    pub max_prot: u32,
    /// Its initial protection (`initprot`).
    pub init_prot: u32,
    /// The number of sections it declares (`nsects`).
    pub nsects: usize,
    ints: Ints<'a>,
    wide: bool,
    /// Where its first section header is.
    first: usize,
    /// The size of one section header.
    each: usize,
    /// How many section headers the command has room for, at most `nsects`.
    readable: usize,
}

impl<'a> Segment<'a> {
    /// The segment's name: its name field up to the first NUL.
    #[must_use]
    pub fn name(&self) -> &'a [u8] {
        crate::ints::until_nul(self.name_field)
    }

    /// Section header `index` of this segment; `None` when it is not inside the command, or lies
    /// outside the file.
    #[must_use]
    pub fn section(&self, index: usize) -> Option<Section<'a>> {
        if index >= self.readable {
            return None;
        }
        let at = entry(self.first, index, self.each)?;
        let (r, wide) = (self.ints, self.wide);
        let w = if wide { 8 } else { 4 };
        Some(Section {
            name_field: r.get(at, 0, 16)?,
            segment_field: r.get(at, 16, 16)?,
            addr: r.word(at, 32, wide)?,
            size: r.word(at, 32 + w, wide)?,
            offset: r.u32(at, 32 + 2 * w)?,
        })
    }

    /// The segment's section headers in order, up to the first that is not inside the command or lies
    /// outside the file.
    pub fn sections(&self) -> impl Iterator<Item = Section<'a>> + use<'a> {
        let segment = *self;
        (0..self.readable).map_while(move |i| segment.section(i))
    }
}

/// One section header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Section<'a> {
    /// The 16-byte name field, NUL-padded (`sectname`).
    pub name_field: &'a [u8],
    /// The 16-byte name field of its segment (`segname`).
    pub segment_field: &'a [u8],
    /// The virtual address of its bytes (`addr`).
    pub addr: u64,
    /// The size of its bytes (`size`).
    pub size: u64,
    /// File offset of its bytes (`offset`).
    pub offset: u32,
}

impl<'a> Section<'a> {
    /// The section's name: its name field up to the first NUL.
    #[must_use]
    pub fn name(&self) -> &'a [u8] {
        crate::ints::until_nul(self.name_field)
    }

    /// The section's bytes in `bytes`; `None` when they lie outside the file.
    #[must_use]
    pub fn data<'b>(&self, bytes: &'b [u8]) -> Option<&'b [u8]> {
        range(bytes, u64::from(self.offset), self.size)
    }
}

/// The header of a universal (fat) Mach-O file: one Mach-O file per architecture.
#[derive(Debug, Clone, Copy)]
pub struct Universal<'a> {
    ints: Ints<'a>,
    count: u32,
}

impl<'a> Universal<'a> {
    /// Reads the universal header of `bytes` (its first 8 bytes suffice).
    ///
    /// # Errors
    ///
    /// [`MachOError::NotUniversal`] without its magic number, [`MachOError::Truncated`] without the
    /// architecture count, [`MachOError::Architectures`] when it is 0 or over [`MAX_ARCHITECTURES`].
    pub fn read(bytes: &'a [u8]) -> Result<Universal<'a>, MachOError> {
        let magic = magic(bytes)?;
        if magic != FAT_MAGIC {
            return Err(MachOError::NotUniversal { magic });
        }
        let ints = Ints::new(bytes, true);
        let count = ints.u32(0, 4).ok_or(MachOError::Truncated)?;
        if !(1..=MAX_ARCHITECTURES).contains(&count) {
            return Err(MachOError::Architectures { count });
        }
        Ok(Universal { ints, count })
    }

    /// The number of architectures declared (1 to [`MAX_ARCHITECTURES`]).
    #[must_use]
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The Mach-O file of each architecture, in order; those whose bounds are outside the file are left
    /// out.
    pub fn images(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        let r = self.ints;
        (0..self.count).filter_map(move |i| {
            let at = entry(8, usize::try_from(i).ok()?, 20)?;
            range(r.bytes(), u64::from(r.u32(at, 8)?), u64::from(r.u32(at, 12)?))
        })
    }
}
