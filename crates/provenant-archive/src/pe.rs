//! A bounded reader of a Windows PE file's headers (PE32 and PE32+): the COFF header's section table,
//! each section's header and raw bytes, and the optional header's image base, every offset checked.
//! Nothing is executed or mapped.

use crate::ints::{Ints, entry, range};

/// Why a PE file's headers cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeError {
    /// The file is shorter than the header fields this reader needs.
    #[error("truncated PE header")]
    Truncated,
    /// The offset the MS-DOS header gives does not lead to the `PE\0\0` signature.
    #[error("no PE signature at offset {offset:#x}")]
    NoSignature {
        /// The offset the MS-DOS header gives (`e_lfanew`).
        offset: u32,
    },
    /// The optional header is neither PE32's nor PE32+'s.
    #[error("unknown PE optional header magic {magic:#x}")]
    OptionalHeader {
        /// The optional header's magic number.
        magic: u16,
    },
}

/// `IMAGE_SCN_CNT_INITIALIZED_DATA`: a section of initialised data.
pub const SCN_INITIALIZED_DATA: u32 = 0x40;
/// `IMAGE_SCN_ALIGN_32BYTES`: a section aligned to 32 bytes (in an object file).
pub const SCN_ALIGN_32: u32 = 0x60_0000;
/// `IMAGE_SCN_MEM_READ`: a readable section.
pub const SCN_READ: u32 = 0x4000_0000;
/// `IMAGE_SCN_MEM_WRITE`: a writable section.
pub const SCN_WRITE: u32 = 0x8000_0000;

/// The size of one section header.
const SECTION_HEADER: usize = 40;
/// The size of the COFF file header that follows the signature.
const COFF_HEADER: usize = 20;

/// One section header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Section<'a> {
    /// The 8-byte name field, NUL-padded.
    pub name_field: &'a [u8],
    /// The size of its contents in memory (`VirtualSize`).
    pub virtual_size: u32,
    /// Its address relative to the image base (`VirtualAddress`).
    pub rva: u32,
    /// The size of its raw data in the file, padded to the file alignment (`SizeOfRawData`).
    pub raw_size: u32,
    /// File offset of its raw data (`PointerToRawData`).
    pub raw_offset: u32,
    /// Its flags (`Characteristics`).
    pub characteristics: u32,
}

impl<'a> Section<'a> {
    /// The section's name: its name field up to the first NUL.
    #[must_use]
    pub fn name(&self) -> &'a [u8] {
        crate::ints::until_nul(self.name_field)
    }

    /// The section's contents in `bytes`: its raw data without the file alignment's padding (the
    /// virtual size, when it is smaller and not zero); `None` when they lie outside the file.
    #[must_use]
    pub fn data<'b>(&self, bytes: &'b [u8]) -> Option<&'b [u8]> {
        let size = if self.virtual_size == 0 {
            self.raw_size
        } else {
            self.raw_size.min(self.virtual_size)
        };
        range(bytes, u64::from(self.raw_offset), u64::from(size))
    }
}

/// The headers of one PE file.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    ints: Ints<'a>,
    /// Where the optional header starts.
    optional: usize,
    /// Where the section table starts.
    table: usize,
    count: usize,
}

impl<'a> Image<'a> {
    /// Reads the MS-DOS header of `bytes` (which the caller has recognised by its magic), the PE
    /// signature it leads to and the COFF header after it.
    ///
    /// # Errors
    ///
    /// [`PeError::Truncated`] when a header field is missing, [`PeError::NoSignature`] when the
    /// signature is not where the MS-DOS header says.
    pub fn read(bytes: &'a [u8]) -> Result<Image<'a>, PeError> {
        let ints = Ints::new(bytes, false);
        let offset = ints.u32(0, 0x3c).ok_or(PeError::Truncated)?;
        let signature = usize::try_from(offset).map_err(|_| PeError::NoSignature { offset })?;
        if ints.get(signature, 0, 4) != Some(b"PE\0\0") {
            return Err(PeError::NoSignature { offset });
        }
        let coff = signature.checked_add(4).ok_or(PeError::Truncated)?;
        let count = ints.u16(coff, 2).ok_or(PeError::Truncated)?;
        let optional_size = ints.u16(coff, 16).ok_or(PeError::Truncated)?;
        let optional = coff.checked_add(COFF_HEADER).ok_or(PeError::Truncated)?;
        let table = optional
            .checked_add(usize::from(optional_size))
            .ok_or(PeError::Truncated)?;
        Ok(Image {
            ints,
            optional,
            table,
            count: usize::from(count),
        })
    }

    /// The preferred address of the image in memory, from the optional header (PE32 or PE32+).
    ///
    /// # Errors
    ///
    /// [`PeError::Truncated`] when the field is missing, [`PeError::OptionalHeader`] when the optional
    /// header is neither PE32's nor PE32+'s.
    pub fn image_base(&self) -> Result<u64, PeError> {
        let r = self.ints;
        let base = match r.u16(self.optional, 0).ok_or(PeError::Truncated)? {
            0x10b => r.word(self.optional, 28, false),
            0x20b => r.word(self.optional, 24, true),
            magic => return Err(PeError::OptionalHeader { magic }),
        };
        base.ok_or(PeError::Truncated)
    }

    /// The number of section headers the COFF header declares (at most 65535).
    #[must_use]
    pub fn count(&self) -> usize {
        self.count
    }

    /// Section header `index`; `None` when it lies outside the file.
    #[must_use]
    pub fn section(&self, index: usize) -> Option<Section<'a>> {
        let at = entry(self.table, index, SECTION_HEADER)?;
        let r = self.ints;
        Some(Section {
            name_field: r.get(at, 0, 8)?,
            virtual_size: r.u32(at, 8)?,
            rva: r.u32(at, 12)?,
            raw_size: r.u32(at, 16)?,
            raw_offset: r.u32(at, 20)?,
            characteristics: r.u32(at, 36)?,
        })
    }

    /// The section headers in order, up to the first that lies outside the file.
    pub fn sections(&self) -> impl Iterator<Item = Section<'a>> + '_ {
        (0..self.count).map_while(|i| self.section(i))
    }

    /// The contents ([`Section::data`]) of the first section called `name` (a name of at most 8 bytes)
    /// whose contents lie inside the file.
    #[must_use]
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        let bytes = self.ints.bytes();
        self.sections()
            .find_map(|s| (s.name() == name.as_bytes()).then(|| s.data(bytes))?)
    }
}
