//! Where an executable's virtual addresses lie in its file: ELF loadable segments (or, in a file without
//! program headers, its allocated sections), PE sections above the image base, and Mach-O segments, in
//! either byte order and word size. Also where Go's linker puts its build information: a section of its
//! own when there is one, else the first writable data segment or section.
//!
//! The headers are read by `provenant-archive`'s bounded readers (`elf`, `pe`, `macho`); this module keeps
//! only what the catalog makes of them. A range that is not inside the file, or whose end overflows, is
//! left out. Reads return slices of the input and never allocate.

use provenant_archive::{elf, macho, pe};

/// A range of virtual addresses backed by bytes of the file.
#[derive(Debug, Clone, Copy)]
struct Mapped {
    addr: u64,
    /// Bytes present in the file (a segment's zero-filled tail is not).
    size: u64,
    offset: u64,
}

/// A PE section of initialised, readable and writable data.
const PE_DATA: u32 = pe::SCN_INITIALIZED_DATA | pe::SCN_READ | pe::SCN_WRITE;
/// A Mach-O segment readable and writable, and no more.
const VM_RW: u32 = 3;

/// Most segments or sections kept: every format's own count field is at most 16 bits wide.
const MAX_MAPPED: usize = 1 << 16;

/// The virtual address space of one executable (a thin Mach-O file, not a universal one).
#[derive(Debug)]
pub(crate) struct AddressMap<'a> {
    bytes: &'a [u8],
    mapped: Vec<Mapped>,
    data_start: Option<u64>,
}

impl<'a> AddressMap<'a> {
    /// The bytes at virtual addresses `addr..addr + len`, all present in the file.
    pub(crate) fn read(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        let (bytes, available) = self.at(addr)?;
        if len > available {
            return None;
        }
        bytes.get(..usize::try_from(len).ok()?)
    }

    /// At most `max` bytes from virtual address `addr`, as many as the file holds there.
    pub(crate) fn read_up_to(&self, addr: u64, max: u64) -> Option<&'a [u8]> {
        let (bytes, available) = self.at(addr)?;
        bytes.get(..usize::try_from(max.min(available)).ok()?)
    }

    /// Where Go's build information is looked for.
    pub(crate) fn data_start(&self) -> Option<u64> {
        self.data_start
    }

    /// The file's bytes from virtual address `addr` to the end of the range mapping it (clamped to the
    /// file), with that range's length from `addr`.
    fn at(&self, addr: u64) -> Option<(&'a [u8], u64)> {
        self.mapped.iter().find_map(|m| {
            let delta = addr.checked_sub(m.addr)?;
            if delta >= m.size {
                return None;
            }
            let offset = usize::try_from(m.offset.checked_add(delta)?).ok()?;
            let bytes = self.bytes.get(offset..)?;
            let available = (m.size - delta).min(u64::try_from(bytes.len()).ok()?);
            Some((bytes, available))
        })
    }

    fn push(&mut self, m: Mapped) {
        if m.size > 0 && m.addr.checked_add(m.size).is_some() && self.mapped.len() < MAX_MAPPED {
            self.mapped.push(m);
        }
    }

    fn new(bytes: &'a [u8]) -> AddressMap<'a> {
        AddressMap {
            bytes,
            mapped: Vec::new(),
            data_start: None,
        }
    }

    /// An ELF file of either class and byte order.
    pub(crate) fn elf(bytes: &'a [u8]) -> Option<AddressMap<'a>> {
        let headers = elf::ProgramHeaders::read(bytes).ok()?;
        let mut map = AddressMap::new(bytes);
        // Program headers: PT_LOAD segments, and the first writable, non-executable one.
        let mut writable = None;
        for segment in headers.segments().filter(elf::Segment::is_load) {
            if writable.is_none() && segment.is_writable() && !segment.is_executable() {
                writable = Some(segment.addr);
            }
            map.push(Mapped {
                addr: segment.addr,
                size: segment.file_size,
                offset: segment.offset,
            });
        }
        // Section headers: `.go.buildinfo`, and the allocated sections of a file without segments.
        let no_segments = map.mapped.is_empty();
        let mut buildinfo = None;
        if let Ok(table) = elf::Table::read(bytes)
            && table.headers_fit()
        {
            for section in table.sections() {
                if buildinfo.is_none() && table.name_is(&section, ".go.buildinfo") {
                    buildinfo = Some(section.addr);
                }
                if no_segments && section.is_alloc() {
                    map.push(Mapped {
                        addr: section.addr,
                        size: section.file_size(),
                        offset: section.offset,
                    });
                }
            }
        }
        map.data_start = buildinfo.or(writable);
        Some(map)
    }

    /// A PE file (PE32 or PE32+): sections at the image base plus their relative virtual address.
    pub(crate) fn pe(bytes: &'a [u8]) -> Option<AddressMap<'a>> {
        let image = pe::Image::read(bytes).ok()?;
        let image_base = image.image_base().ok()?;
        let mut map = AddressMap::new(bytes);
        for section in image.sections() {
            let Some(addr) = image_base.checked_add(u64::from(section.rva)) else {
                continue;
            };
            // Initialised, readable and writable data, whatever its alignment (Go's first data section).
            if map.data_start.is_none()
                && section.rva != 0
                && section.raw_size != 0
                && section.characteristics & !pe::SCN_ALIGN_32 == PE_DATA
            {
                map.data_start = Some(addr);
            }
            map.push(Mapped {
                addr,
                size: u64::from(section.raw_size),
                offset: u64::from(section.raw_offset),
            });
        }
        Some(map)
    }

    /// A thin Mach-O file of either word size and byte order: its segments, except `__PAGEZERO`.
    pub(crate) fn macho(bytes: &'a [u8]) -> Option<AddressMap<'a>> {
        let image = macho::Image::read(bytes).ok()?;
        let mut map = AddressMap::new(bytes);
        let mut buildinfo = None;
        let mut writable = None;
        for segment in image.segments() {
            if segment.name() != b"__PAGEZERO" {
                map.push(Mapped {
                    addr: segment.addr,
                    size: segment.file_size,
                    offset: segment.file_offset,
                });
            }
            if writable.is_none()
                && segment.addr != 0
                && segment.file_size != 0
                && segment.init_prot == VM_RW
                && segment.max_prot == VM_RW
            {
                writable = Some(segment.addr);
            }
            if buildinfo.is_none() {
                buildinfo = segment
                    .sections()
                    .find(|s| s.name() == b"__go_buildinfo")
                    .map(|s| s.addr);
            }
        }
        map.data_start = buildinfo.or(writable);
        Some(map)
    }
}
