//! Fixed-width unsigned integers and byte ranges read from hostile bytes, every offset checked: the
//! ground the executable readers ([`crate::elf`], [`crate::pe`], [`crate::macho`]) stand on.

/// Reads unsigned integers of one byte order from `bytes`. Every read names a base offset and a field
/// offset from it; a sum that overflows, or a field that is not wholly inside the bytes, reads `None`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ints<'a> {
    bytes: &'a [u8],
    big: bool,
}

impl<'a> Ints<'a> {
    /// A reader of `bytes` in big-endian (`big`) or little-endian order.
    pub(crate) fn new(bytes: &'a [u8], big: bool) -> Ints<'a> {
        Ints { bytes, big }
    }

    /// The bytes read.
    pub(crate) fn bytes(self) -> &'a [u8] {
        self.bytes
    }

    /// Whether the integers are big-endian.
    pub(crate) fn big(self) -> bool {
        self.big
    }

    /// The `len` bytes at `base + field`.
    pub(crate) fn get(self, base: usize, field: usize, len: usize) -> Option<&'a [u8]> {
        let at = base.checked_add(field)?;
        self.bytes.get(at..at.checked_add(len)?)
    }

    /// An unsigned integer of `len` bytes (at most 8) at `base + field`.
    pub(crate) fn uint(self, base: usize, field: usize, len: usize) -> Option<u64> {
        let b = self.get(base, field, len.min(8))?;
        let fold = |v: u64, byte: &u8| (v << 8) | u64::from(*byte);
        Some(if self.big {
            b.iter().fold(0, fold)
        } else {
            b.iter().rev().fold(0, fold)
        })
    }

    /// A 16-bit integer at `base + field`.
    pub(crate) fn u16(self, base: usize, field: usize) -> Option<u16> {
        u16::try_from(self.uint(base, field, 2)?).ok()
    }

    /// A 32-bit integer at `base + field`.
    pub(crate) fn u32(self, base: usize, field: usize) -> Option<u32> {
        u32::try_from(self.uint(base, field, 4)?).ok()
    }

    /// A 4-byte word, or an 8-byte one when `wide`, at `base + field`.
    pub(crate) fn word(self, base: usize, field: usize, wide: bool) -> Option<u64> {
        self.uint(base, field, if wide { 8 } else { 4 })
    }
}

/// `base + index * each`, when it does not overflow.
pub(crate) fn entry(base: usize, index: usize, each: usize) -> Option<usize> {
    base.checked_add(index.checked_mul(each)?)
}

/// `bytes[offset..offset + size]`, when the range is wholly inside.
pub(crate) fn range(bytes: &[u8], offset: u64, size: u64) -> Option<&[u8]> {
    let offset = usize::try_from(offset).ok()?;
    bytes.get(offset..offset.checked_add(usize::try_from(size).ok()?)?)
}

/// A fixed-width, NUL-padded name field up to its first NUL (all of it when there is none).
pub(crate) fn until_nul(field: &[u8]) -> &[u8] {
    let end = memchr::memchr(0, field).unwrap_or(field.len());
    field.get(..end).unwrap_or(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_outside_the_bytes_or_whose_offset_overflows_read_none() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        let (le, be) = (Ints::new(&b, false), Ints::new(&b, true));
        assert_eq!(le.u16(0, 0), Some(0x0201));
        assert_eq!(be.u16(0, 0), Some(0x0102));
        assert_eq!(le.u32(2, 2), Some(0x0807_0605));
        assert_eq!(be.word(0, 0, true), Some(0x0102_0304_0506_0708));
        assert_eq!(le.u32(6, 0), None);
        assert_eq!(le.u16(usize::MAX, 1), None);
        assert_eq!(le.u16(1, usize::MAX), None);
        assert_eq!(le.get(usize::MAX - 1, 0, 4), None);
        assert_eq!(entry(usize::MAX, 1, 1), None);
        assert_eq!(entry(1, usize::MAX, 2), None);
        assert_eq!(range(&b, 7, 1), Some(&b[7..]));
        assert_eq!(range(&b, 7, 2), None);
        assert_eq!(range(&b, u64::MAX, 2), None);
        assert_eq!(range(&b, 1, u64::MAX), None);
        assert_eq!(until_nul(b"__TEXT\0\0"), b"__TEXT");
        assert_eq!(until_nul(b"abcdefgh"), b"abcdefgh");
    }
}
