//! Where an executable's virtual addresses lie in its file: ELF loadable segments (or, in a file without
//! program headers, its allocated sections), PE sections above the image base, and Mach-O segments, in
//! either byte order and word size. Also where Go's linker puts its build information: a section of its
//! own when there is one, else the first writable data segment or section.
//!
//! Every header field is read with its bounds checked; a range that is not inside the file, or whose end
//! overflows, is left out. Reads return slices of the input and never allocate.

/// A range of virtual addresses backed by bytes of the file.
#[derive(Debug, Clone, Copy)]
struct Mapped {
    addr: u64,
    /// Bytes present in the file (a segment's zero-filled tail is not).
    size: u64,
    offset: u64,
}

const PT_LOAD: u64 = 1;
const PF_X: u64 = 1;
const PF_W: u64 = 2;
const SHT_NOBITS: u64 = 8;
const SHF_ALLOC: u64 = 2;
/// A PE section of initialised, readable and writable data.
const PE_DATA: u64 = 0x40 | 0x4000_0000 | 0x8000_0000;
/// `IMAGE_SCN_ALIGN_32BYTES`, ignored when looking for that section.
const PE_ALIGN_32: u64 = 0x60_0000;
/// A Mach-O segment readable and writable, and no more.
const VM_RW: u64 = 3;

/// Most segments or sections kept: every format's own count field is at most 16 bits wide.
const MAX_MAPPED: usize = 1 << 16;

/// The virtual address space of one executable (a thin Mach-O file, not a universal one).
#[derive(Debug)]
pub(crate) struct AddressMap<'a> {
    bytes: &'a [u8],
    mapped: Vec<Mapped>,
    data_start: Option<u64>,
}

/// Reads fixed-width unsigned integers of one byte order.
#[derive(Clone, Copy)]
struct Reader<'a> {
    bytes: &'a [u8],
    big: bool,
}

impl Reader<'_> {
    fn uint(self, at: usize, len: usize) -> Option<u64> {
        let b = self.bytes.get(at..at.checked_add(len)?)?;
        let fold = |v: u64, byte: &u8| (v << 8) | u64::from(*byte);
        Some(if self.big {
            b.iter().fold(0, fold)
        } else {
            b.iter().rev().fold(0, fold)
        })
    }
    fn u16(self, at: usize) -> Option<usize> {
        usize::try_from(self.uint(at, 2)?).ok()
    }
    fn u32(self, at: usize) -> Option<u64> {
        self.uint(at, 4)
    }
    /// A 4- or 8-byte word.
    fn word(self, at: usize, wide: bool) -> Option<u64> {
        self.uint(at, if wide { 8 } else { 4 })
    }
}

/// `base + i * each`, when it does not overflow.
fn entry(base: usize, i: usize, each: usize) -> Option<usize> {
    base.checked_add(i.checked_mul(each)?)
}

/// Whether a fixed-width, NUL-padded name field equals `name`.
fn name_is(field: Option<&[u8]>, name: &[u8]) -> bool {
    let Some(field) = field else { return false };
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field.get(..end) == Some(name)
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

    /// An ELF file of either class and byte order.
    pub(crate) fn elf(bytes: &'a [u8]) -> Option<AddressMap<'a>> {
        if bytes.get(..4)? != b"\x7fELF" {
            return None;
        }
        let wide = match bytes.get(4)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let big = match bytes.get(5)? {
            1 => false,
            2 => true,
            _ => return None,
        };
        let r = Reader { bytes, big };
        let mut map = AddressMap {
            bytes,
            mapped: Vec::new(),
            data_start: None,
        };
        // Program headers: PT_LOAD segments, and the first writable, non-executable one.
        let (phoff, phentsize_at) = if wide { (0x20, 0x36) } else { (0x1c, 0x2a) };
        let min_ph = if wide { 56 } else { 32 };
        let phoff = usize::try_from(r.word(phoff, wide)?).ok()?;
        let phentsize = r.u16(phentsize_at)?;
        let phnum = r.u16(phentsize_at + 2)?;
        let mut writable = None;
        if phentsize >= min_ph {
            for i in 0..phnum {
                let Some(at) = entry(phoff, i, phentsize) else {
                    break;
                };
                let Some((ty, flags, offset, addr, size)) = elf_segment(r, at, wide) else {
                    break;
                };
                if ty != PT_LOAD {
                    continue;
                }
                if writable.is_none() && flags & (PF_X | PF_W) == PF_W {
                    writable = Some(addr);
                }
                map.push(Mapped { addr, size, offset });
            }
        }
        // Section headers: `.go.buildinfo`, and the allocated sections of a file without segments.
        let no_segments = map.mapped.is_empty();
        let mut buildinfo = None;
        for section in elf_sections(r, wide).unwrap_or_default() {
            if buildinfo.is_none() && section.name == b".go.buildinfo" {
                buildinfo = Some(section.mapped.addr);
            }
            if no_segments && section.alloc {
                map.push(section.mapped);
            }
        }
        map.data_start = buildinfo.or(writable);
        Some(map)
    }

    /// A PE file (PE32 or PE32+): sections at the image base plus their relative virtual address.
    pub(crate) fn pe(bytes: &'a [u8]) -> Option<AddressMap<'a>> {
        let r = Reader { bytes, big: false };
        let pe = usize::try_from(r.u32(0x3c)?).ok()?;
        if bytes.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
            return None;
        }
        let coff = pe + 4;
        let sections = r.u16(coff + 2)?;
        let optional = coff.checked_add(20)?;
        let image_base = match r.u16(optional)? {
            0x10b => r.u32(optional + 28)?,
            0x20b => r.word(optional + 24, true)?,
            _ => return None,
        };
        let table = optional.checked_add(r.u16(coff + 16)?)?;
        let mut map = AddressMap {
            bytes,
            mapped: Vec::new(),
            data_start: None,
        };
        for i in 0..sections {
            let Some(at) = entry(table, i, 40) else { break };
            let Some((rva, raw_size, raw_at, characteristics)) = pe_section(r, at) else {
                break;
            };
            let Some(addr) = image_base.checked_add(rva) else {
                continue;
            };
            // Initialised, readable and writable data, whatever its alignment (Go's first data section).
            if map.data_start.is_none()
                && rva != 0
                && raw_size != 0
                && characteristics & !PE_ALIGN_32 == PE_DATA
            {
                map.data_start = Some(addr);
            }
            map.push(Mapped {
                addr,
                size: raw_size,
                offset: raw_at,
            });
        }
        Some(map)
    }

    /// A thin Mach-O file of either word size and byte order: its segments, except `__PAGEZERO`.
    pub(crate) fn macho(bytes: &'a [u8]) -> Option<AddressMap<'a>> {
        let (wide, big) = match bytes.get(..4)? {
            [0xfe, 0xed, 0xfa, 0xce] => (false, true),
            [0xfe, 0xed, 0xfa, 0xcf] => (true, true),
            [0xce, 0xfa, 0xed, 0xfe] => (false, false),
            [0xcf, 0xfa, 0xed, 0xfe] => (true, false),
            _ => return None,
        };
        let r = Reader { bytes, big };
        let ncmds = usize::try_from(r.u32(16)?).ok()?;
        let mut at: usize = if wide { 32 } else { 28 };
        let mut map = AddressMap {
            bytes,
            mapped: Vec::new(),
            data_start: None,
        };
        let mut buildinfo = None;
        let mut writable = None;
        for _ in 0..ncmds.min(MAX_MAPPED) {
            let (Some(cmd), Some(size)) = (r.u32(at), r.u32(at + 4).and_then(|v| usize::try_from(v).ok()))
            else {
                break;
            };
            let segment = macho_segment(r, at, cmd);
            if let Some(MachOSegment {
                addr,
                filesize,
                fileoff,
                maxprot,
                initprot,
                nsects,
                first,
                each,
            }) = segment
            {
                if !name_is(bytes.get(at + 8..at + 24), b"__PAGEZERO") {
                    map.push(Mapped {
                        addr,
                        size: filesize,
                        offset: fileoff,
                    });
                }
                if writable.is_none() && addr != 0 && filesize != 0 && initprot == VM_RW && maxprot == VM_RW {
                    writable = Some(addr);
                }
                for i in 0..nsects.min(MAX_MAPPED) {
                    let Some(s) = at.checked_add(first).and_then(|b| entry(b, i, each)) else {
                        break;
                    };
                    if buildinfo.is_none() && name_is(bytes.get(s..s.saturating_add(16)), b"__go_buildinfo") {
                        buildinfo = r.word(s + 32, wide);
                    }
                }
            }
            if size < 8 {
                break;
            }
            let Some(next) = at.checked_add(size) else { break };
            at = next;
        }
        map.data_start = buildinfo.or(writable);
        Some(map)
    }
}

struct ElfSection<'a> {
    name: &'a [u8],
    mapped: Mapped,
    /// Whether the section occupies memory at run time (`SHF_ALLOC`).
    alloc: bool,
}

/// An ELF file's sections whose header is readable; `None` when the section header table or its string
/// table is not.
fn elf_sections(r: Reader<'_>, wide: bool) -> Option<Vec<ElfSection<'_>>> {
    let (shoff_at, entsize_at) = if wide { (0x28, 0x3a) } else { (0x20, 0x2e) };
    let shoff = usize::try_from(r.word(shoff_at, wide)?).ok()?;
    let entsize = r.u16(entsize_at)?;
    let shnum = r.u16(entsize_at + 2)?;
    let shstrndx = r.u16(entsize_at + 4)?;
    if entsize < if wide { 64 } else { 40 } {
        return None;
    }
    // (name offset, type, flags, addr, offset, size)
    let header = |i: usize| -> Option<(u64, u64, u64, u64, u64, u64)> {
        let at = entry(shoff, i, entsize)?;
        Some(if wide {
            (
                r.u32(at)?,
                r.u32(at + 4)?,
                r.word(at + 8, true)?,
                r.word(at + 16, true)?,
                r.word(at + 24, true)?,
                r.word(at + 32, true)?,
            )
        } else {
            (
                r.u32(at)?,
                r.u32(at + 4)?,
                r.u32(at + 8)?,
                r.u32(at + 12)?,
                r.u32(at + 16)?,
                r.u32(at + 20)?,
            )
        })
    };
    let (_, _, _, _, str_off, str_size) = header(shstrndx)?;
    let strtab = r
        .bytes
        .get(usize::try_from(str_off).ok()?..)?
        .get(..usize::try_from(str_size).ok()?)?;
    let mut out = Vec::new();
    for i in 0..shnum {
        let Some((name, ty, flags, addr, offset, size)) = header(i) else {
            break;
        };
        let name = usize::try_from(name)
            .ok()
            .and_then(|n| strtab.get(n..))
            .map_or(&[][..], |s| {
                s.get(..s.iter().position(|b| *b == 0).unwrap_or(s.len()))
                    .unwrap_or(&[])
            });
        out.push(ElfSection {
            name,
            mapped: Mapped {
                addr,
                size: if ty == SHT_NOBITS { 0 } else { size },
                offset,
            },
            alloc: flags & SHF_ALLOC != 0,
        });
    }
    Some(out)
}

/// An ELF program header: (type, flags, offset, virtual address, size in the file).
fn elf_segment(r: Reader<'_>, at: usize, wide: bool) -> Option<(u64, u64, u64, u64, u64)> {
    Some(if wide {
        (
            r.u32(at)?,
            r.u32(at + 4)?,
            r.word(at + 8, true)?,
            r.word(at + 16, true)?,
            r.word(at + 32, true)?,
        )
    } else {
        (
            r.u32(at)?,
            r.u32(at + 24)?,
            r.u32(at + 4)?,
            r.u32(at + 8)?,
            r.u32(at + 16)?,
        )
    })
}

/// A PE section header: (relative virtual address, raw size, raw data offset, characteristics).
fn pe_section(r: Reader<'_>, at: usize) -> Option<(u64, u64, u64, u64)> {
    Some((r.u32(at + 12)?, r.u32(at + 16)?, r.u32(at + 20)?, r.u32(at + 36)?))
}

struct MachOSegment {
    addr: u64,
    filesize: u64,
    fileoff: u64,
    maxprot: u64,
    initprot: u64,
    nsects: usize,
    /// Where the first section header is, from the command's start.
    first: usize,
    /// The size of a section header.
    each: usize,
}

/// The Mach-O load command at `at` when it is a segment (`LC_SEGMENT_64` or `LC_SEGMENT`).
fn macho_segment(r: Reader<'_>, at: usize, cmd: u64) -> Option<MachOSegment> {
    match cmd {
        0x19 => Some(MachOSegment {
            addr: r.word(at + 24, true)?,
            filesize: r.word(at + 48, true)?,
            fileoff: r.word(at + 40, true)?,
            maxprot: r.u32(at + 56)?,
            initprot: r.u32(at + 60)?,
            nsects: usize::try_from(r.u32(at + 64)?).ok()?,
            first: 72,
            each: 80,
        }),
        0x1 => Some(MachOSegment {
            addr: r.u32(at + 24)?,
            filesize: r.u32(at + 36)?,
            fileoff: r.u32(at + 32)?,
            maxprot: r.u32(at + 40)?,
            initprot: r.u32(at + 44)?,
            nsects: usize::try_from(r.u32(at + 48)?).ok()?,
            first: 56,
            each: 68,
        }),
        _ => None,
    }
}
