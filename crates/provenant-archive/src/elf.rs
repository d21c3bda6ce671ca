//! A bounded reader of an ELF file (32 or 64 bits, either byte order): its section table (each section's
//! header, its name from the section-name string table and its bytes) and its program headers (the
//! segments a loader maps), every offset checked. An object file is read like an archive of named
//! members; nothing is executed or mapped.

use crate::ints::{Ints, entry};

/// Why a section table or the program headers cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElfError {
    /// The file is shorter than the ELF header's fields this reader needs.
    #[error("truncated ELF header")]
    Truncated,
    /// The section-name string table's header or bytes lie outside the file.
    #[error("the ELF section-name string table lies outside the file")]
    NoNames,
    /// The file does not start with the ELF magic number.
    #[error("not an ELF file")]
    NotElf,
    /// The header's class (`EI_CLASS`) is neither 32 nor 64 bits.
    #[error("unknown ELF class {class}")]
    Class {
        /// The class byte.
        class: u8,
    },
    /// The header's data encoding (`EI_DATA`) is neither little- nor big-endian.
    #[error("unknown ELF data encoding {encoding}")]
    Encoding {
        /// The encoding byte.
        encoding: u8,
    },
}

/// The first four bytes of every ELF file.
pub const MAGIC: &[u8; 4] = b"\x7fELF";

/// Longest section name read: real ones are a few dozen bytes; a longer one is cut here.
pub const MAX_NAME: usize = 4096;

/// `SHT_NOBITS`: a section that occupies no bytes of the file (`.bss`).
const NOBITS: u32 = 8;
/// `SHF_ALLOC`: a section that occupies memory at run time.
const SHF_ALLOC: u64 = 2;
/// `PT_LOAD`: a segment the loader maps.
const PT_LOAD: u32 = 1;
/// `PF_X`: an executable segment.
const PF_X: u32 = 1;
/// `PF_W`: a writable segment.
const PF_W: u32 = 2;

/// One section header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Section {
    /// Offset of the name in the section-name string table.
    pub name: u64,
    /// Section type (`sh_type`).
    pub kind: u32,
    /// Section flags (`sh_flags`).
    pub flags: u64,
    /// Virtual address of its bytes at run time (`sh_addr`).
    pub addr: u64,
    /// File offset of its bytes.
    pub offset: u64,
    /// Size of its bytes.
    pub size: u64,
}

impl Section {
    /// The section's bytes in `bytes` (none for a section that occupies no file space); `None` when they
    /// lie outside the file.
    #[must_use]
    pub fn data<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        if self.kind == NOBITS {
            return Some(&[]);
        }
        crate::ints::range(bytes, self.offset, self.size)
    }

    /// How many of its bytes the file holds: its size, or none for a section that occupies no file
    /// space (`.bss`).
    #[must_use]
    pub fn file_size(&self) -> u64 {
        if self.kind == NOBITS { 0 } else { self.size }
    }

    /// Whether the section occupies memory at run time (`SHF_ALLOC`).
    #[must_use]
    pub fn is_alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
}

/// The section table of one ELF file.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    ints: Ints<'a>,
    wide: bool,
    offset: usize,
    entry_size: usize,
    count: usize,
    names: &'a [u8],
}

impl<'a> Table<'a> {
    /// Reads the ELF header of `bytes` (which the caller has recognised by its magic) and its
    /// section-name string table.
    ///
    /// # Errors
    ///
    /// [`ElfError::Truncated`] when the header's fields are missing, [`ElfError::NoNames`] when the
    /// string table's header or bytes lie outside the file.
    pub fn read(bytes: &'a [u8]) -> Result<Table<'a>, ElfError> {
        let wide = *bytes.get(4).ok_or(ElfError::Truncated)? == 2;
        let le = *bytes.get(5).ok_or(ElfError::Truncated)? == 1;
        let ints = Ints::new(bytes, !le);
        let (offset_at, entry_size_at) = if wide { (0x28, 0x3a) } else { (0x20, 0x2e) };
        let field = |v: Option<u64>| v.and_then(|v| usize::try_from(v).ok()).ok_or(ElfError::Truncated);
        let mut table = Table {
            ints,
            wide,
            offset: field(ints.word(0, offset_at, wide))?,
            entry_size: field(ints.uint(0, entry_size_at, 2))?,
            count: field(ints.uint(0, entry_size_at + 2, 2))?,
            names: &[],
        };
        let names_index = field(ints.uint(0, entry_size_at + 4, 2))?;
        table.names = table
            .section(names_index)
            .and_then(|s| s.data(bytes))
            .ok_or(ElfError::NoNames)?;
        Ok(table)
    }

    /// The number of section headers the ELF header declares (at most 65535).
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether the declared size of a section header holds a whole one of the file's class; when it does
    /// not, the headers read overlap one another.
    #[must_use]
    pub fn headers_fit(&self) -> bool {
        self.entry_size >= if self.wide { 64 } else { 40 }
    }

    /// Section header `index`; `None` when it lies outside the file.
    #[must_use]
    pub fn section(&self, index: usize) -> Option<Section> {
        let at = entry(self.offset, index, self.entry_size)?;
        let (r, wide) = (self.ints, self.wide);
        let (addr_at, offset_at, size_at) = if wide {
            (0x10, 0x18, 0x20)
        } else {
            (0x0c, 0x10, 0x14)
        };
        Some(Section {
            name: r.uint(at, 0, 4)?,
            kind: r.u32(at, 4)?,
            flags: r.word(at, 8, wide)?,
            addr: r.word(at, addr_at, wide)?,
            offset: r.word(at, offset_at, wide)?,
            size: r.word(at, size_at, wide)?,
        })
    }

    /// The section headers in order, up to the first that lies outside the file.
    pub fn sections(&self) -> impl Iterator<Item = Section> + '_ {
        (0..self.count).map_while(|i| self.section(i))
    }

    /// A section's name: the string table's bytes from its name offset up to a NUL (or the table's
    /// end, or [`MAX_NAME`] bytes); `None` when the offset lies outside the table.
    #[must_use]
    pub fn name(&self, section: &Section) -> Option<&'a [u8]> {
        let s = self.names.get(usize::try_from(section.name).ok()?..)?;
        // At most MAX_NAME bytes are read: names without their NUL in a large string table would
        // otherwise make reading every section's name quadratic in the file's size.
        Some(crate::ints::until_nul(s.get(..MAX_NAME).unwrap_or(s)))
    }

    /// Whether a section is called `name`. Reads no more of the string table than `name` is long.
    #[must_use]
    pub fn name_is(&self, section: &Section, name: &str) -> bool {
        let Some(at) = usize::try_from(section.name).ok() else {
            return false;
        };
        let name = name.as_bytes();
        let Some(s) = self.names.get(at..) else {
            return false;
        };
        s.starts_with(name) && matches!(s.get(name.len()), None | Some(0))
    }

    /// The bytes of the first section called `name` whose bytes lie inside the file.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        let bytes = self.ints.bytes();
        (0..self.count).find_map(|i| {
            let s = self.section(i)?;
            self.name_is(&s, name).then(|| s.data(bytes))?
        })
    }
}

/// One program header: a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Segment {
    /// Segment type (`p_type`).
    pub kind: u32,
    /// Segment flags (`p_flags`).
    pub flags: u32,
    /// File offset of its bytes (`p_offset`).
    pub offset: u64,
    /// Virtual address it is mapped at (`p_vaddr`).
    pub addr: u64,
    /// How many of its bytes the file holds (`p_filesz`; the rest of its memory is zero-filled).
    pub file_size: u64,
}

impl Segment {
    /// Whether the loader maps this segment (`PT_LOAD`).
    #[must_use]
    pub fn is_load(&self) -> bool {
        self.kind == PT_LOAD
    }

    /// Whether the segment is writable (`PF_W`).
    #[must_use]
    pub fn is_writable(&self) -> bool {
        self.flags & PF_W != 0
    }

    /// Whether the segment is executable (`PF_X`).
    #[must_use]
    pub fn is_executable(&self) -> bool {
        self.flags & PF_X != 0
    }
}

/// The program header table of one ELF file.
#[derive(Debug, Clone, Copy)]
pub struct ProgramHeaders<'a> {
    ints: Ints<'a>,
    wide: bool,
    offset: usize,
    entry_size: usize,
    count: usize,
}

impl<'a> ProgramHeaders<'a> {
    /// Reads the ELF header of `bytes`: its magic, class, byte order and where its program headers are.
    ///
    /// # Errors
    ///
    /// [`ElfError::NotElf`] without the magic number, [`ElfError::Class`] or [`ElfError::Encoding`] for
    /// an unknown class or byte order, [`ElfError::Truncated`] when the header's fields are missing.
    pub fn read(bytes: &'a [u8]) -> Result<ProgramHeaders<'a>, ElfError> {
        if bytes.get(..4) != Some(MAGIC) {
            return Err(ElfError::NotElf);
        }
        let wide = match *bytes.get(4).ok_or(ElfError::Truncated)? {
            1 => false,
            2 => true,
            class => return Err(ElfError::Class { class }),
        };
        let big = match *bytes.get(5).ok_or(ElfError::Truncated)? {
            1 => false,
            2 => true,
            encoding => return Err(ElfError::Encoding { encoding }),
        };
        let ints = Ints::new(bytes, big);
        let (offset_at, entry_size_at) = if wide { (0x20, 0x36) } else { (0x1c, 0x2a) };
        let offset = ints.word(0, offset_at, wide).ok_or(ElfError::Truncated)?;
        Ok(ProgramHeaders {
            ints,
            wide,
            offset: usize::try_from(offset).map_err(|_| ElfError::Truncated)?,
            entry_size: usize::from(ints.u16(0, entry_size_at).ok_or(ElfError::Truncated)?),
            count: usize::from(ints.u16(0, entry_size_at + 2).ok_or(ElfError::Truncated)?),
        })
    }

    /// The number of program headers the ELF header declares (at most 65535).
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// Program header `index`; `None` when it lies outside the file, or when the declared size of a
    /// program header is smaller than one of the file's class.
    #[must_use]
    pub fn segment(&self, index: usize) -> Option<Segment> {
        if self.entry_size < if self.wide { 56 } else { 32 } {
            return None;
        }
        let at = entry(self.offset, index, self.entry_size)?;
        let r = self.ints;
        Some(if self.wide {
            Segment {
                kind: r.u32(at, 0)?,
                flags: r.u32(at, 4)?,
                offset: r.word(at, 8, true)?,
                addr: r.word(at, 16, true)?,
                file_size: r.word(at, 32, true)?,
            }
        } else {
            Segment {
                kind: r.u32(at, 0)?,
                flags: r.u32(at, 24)?,
                offset: r.word(at, 4, false)?,
                addr: r.word(at, 8, false)?,
                file_size: r.word(at, 16, false)?,
            }
        })
    }

    /// The program headers in order, up to the first that lies outside the file.
    pub fn segments(&self) -> impl Iterator<Item = Segment> + '_ {
        (0..self.count).map_while(|i| self.segment(i))
    }
}

/// Why a note section cannot be read further; the text completes "unreadable note: …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// Fewer than the 12 bytes of a note header are left.
    #[error("truncated note header")]
    Header {
        /// Where the note starts in the section.
        at: usize,
    },
    /// The name's size, padded to 4 bytes, overflows an offset.
    #[error("note name size")]
    NameSize {
        /// The name's declared size.
        size: u64,
    },
    /// The descriptor's size, padded to 4 bytes, overflows an offset.
    #[error("note size")]
    DescriptorSize {
        /// The descriptor's declared size.
        size: u64,
    },
    /// The name or the descriptor runs past the end of the section.
    #[error("a note runs past the section")]
    PastEnd {
        /// Where the note starts in the section.
        at: usize,
    },
}

/// One note: an owner's name, a type and a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Note<'a> {
    /// The owner's name, as many bytes as `n_namesz` says (its terminating NUL included).
    pub name: &'a [u8],
    /// The note's type (`n_type`), which the owner defines.
    pub kind: u32,
    /// The descriptor, as many bytes as `n_descsz` says.
    pub desc: &'a [u8],
}

/// The notes of a note section (`SHT_NOTE`), from [`notes`].
#[derive(Debug, Clone)]
pub struct Notes<'a> {
    ints: Ints<'a>,
    at: usize,
}

/// The notes in `section`, the bytes of a note section of a file of the given byte order (little-endian
/// when `le`, as an ELF header's `EI_DATA` of 1 says). The walk ends after the last note, or at the first
/// that cannot be read (given as the error).
#[must_use]
pub fn notes(section: &[u8], le: bool) -> Notes<'_> {
    Notes {
        ints: Ints::new(section, !le),
        at: 0,
    }
}

impl<'a> Iterator for Notes<'a> {
    type Item = Result<Note<'a>, NoteError>;

    fn next(&mut self) -> Option<Self::Item> {
        let section = self.ints.bytes();
        let at = self.at;
        if at >= section.len() {
            return None;
        }
        // Whatever happens, this is the last item unless a whole note is read.
        self.at = usize::MAX;
        Some(self.note(at).map(|(note, next)| {
            self.at = next;
            note
        }))
    }
}

impl<'a> Notes<'a> {
    /// The note at `at` and where the next one starts.
    fn note(&self, at: usize) -> Result<(Note<'a>, usize), NoteError> {
        let r = self.ints;
        let (Some(namesz), Some(descsz), Some(kind)) = (r.u32(at, 0), r.u32(at, 4), r.u32(at, 8)) else {
            return Err(NoteError::Header { at });
        };
        let pad = |n: usize| n.checked_add(3).map(|x| x & !3);
        let size = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        let name_at = at.checked_add(12).ok_or(NoteError::Header { at })?;
        let desc_at = pad(size(namesz))
            .and_then(|n| name_at.checked_add(n))
            .ok_or(NoteError::NameSize {
                size: u64::from(namesz),
            })?;
        let next =
            pad(size(descsz))
                .and_then(|d| desc_at.checked_add(d))
                .ok_or(NoteError::DescriptorSize {
                    size: u64::from(descsz),
                })?;
        let (Some(name), Some(desc)) = (r.get(name_at, 0, size(namesz)), r.get(desc_at, 0, size(descsz)))
        else {
            return Err(NoteError::PastEnd { at });
        };
        Ok((Note { name, kind, desc }, next))
    }
}
