//! A bounded reader of an ELF file's section table (32 or 64 bits, either byte order): each section's
//! header, its name from the section-name string table and its bytes, every offset checked. An object
//! file is read like an archive of named members; nothing is executed or mapped.

/// Why a section table cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElfError {
    /// The file is shorter than the ELF header's fields this reader needs.
    #[error("truncated ELF header")]
    Truncated,
    /// The section-name string table's header or bytes lie outside the file.
    #[error("the ELF section-name string table lies outside the file")]
    NoNames,
}

/// `SHT_NOBITS`: a section that occupies no bytes of the file (`.bss`).
const NOBITS: u32 = 8;

/// One section header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Section {
    /// Offset of the name in the section-name string table.
    pub name: u64,
    /// Section type (`sh_type`).
    pub kind: u32,
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
        let off = usize::try_from(self.offset).ok()?;
        bytes.get(off..off.checked_add(usize::try_from(self.size).ok()?)?)
    }
}

/// The section table of one ELF file.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    bytes: &'a [u8],
    wide: bool,
    le: bool,
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
        let mut table = Table {
            bytes,
            wide,
            le,
            offset: 0,
            entry_size: 0,
            count: 0,
            names: &[],
        };
        let (offset_at, entry_size_at) = if wide { (0x28, 0x3a) } else { (0x20, 0x2e) };
        let field = |v: Option<u64>| v.and_then(|v| usize::try_from(v).ok()).ok_or(ElfError::Truncated);
        table.offset = field(table.word(offset_at))?;
        table.entry_size = field(table.uint(entry_size_at, 2))?;
        table.count = field(table.uint(entry_size_at + 2, 2))?;
        let names_index = field(table.uint(entry_size_at + 4, 2))?;
        table.names = table
            .section(names_index)
            .and_then(|s| s.data(bytes))
            .ok_or(ElfError::NoNames)?;
        Ok(table)
    }

    fn uint(&self, at: usize, len: usize) -> Option<u64> {
        let b = self.bytes.get(at..at.checked_add(len)?)?;
        let fold = |v: u64, byte: &u8| (v << 8) | u64::from(*byte);
        Some(if self.le {
            b.iter().rev().fold(0, fold)
        } else {
            b.iter().fold(0, fold)
        })
    }

    fn word(&self, at: usize) -> Option<u64> {
        self.uint(at, if self.wide { 8 } else { 4 })
    }

    /// The number of section headers the ELF header declares (at most 65535).
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// Section header `index`; `None` when it lies outside the file.
    #[must_use]
    pub fn section(&self, index: usize) -> Option<Section> {
        let at = self.offset.checked_add(index.checked_mul(self.entry_size)?)?;
        let (offset_at, size_at) = if self.wide {
            (at + 0x18, at + 0x20)
        } else {
            (at + 0x10, at + 0x14)
        };
        Some(Section {
            name: self.uint(at, 4)?,
            kind: u32::try_from(self.uint(at + 4, 4)?).ok()?,
            offset: self.word(offset_at)?,
            size: self.word(size_at)?,
        })
    }

    /// A section's name: the string table's bytes from its name offset up to a NUL (or the table's
    /// end); `None` when the offset lies outside the table.
    #[must_use]
    pub fn name(&self, section: &Section) -> Option<&'a [u8]> {
        let s = self.names.get(usize::try_from(section.name).ok()?..)?;
        let end = s.iter().position(|b| *b == 0).unwrap_or(s.len());
        s.get(..end)
    }

    /// The bytes of the first section called `name` whose bytes lie inside the file.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        (0..self.count).find_map(|i| {
            let s = self.section(i)?;
            (self.name(&s)? == name.as_bytes()).then(|| s.data(self.bytes))?
        })
    }
}
