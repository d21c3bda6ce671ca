//! How gitleaks 8.30's directory scan reads a file: archives recognised by name are skipped, a piece
//! whose first bytes carry an "application" signature is binary and skipped, and the rest is read in
//! pieces of 100 kB extended up to 25 kB to a blank line, through a 4 kB buffered reader (whose
//! buffering decides where the following pieces end; reproduced so that findings near a piece
//! boundary agree).

use std::io::{self, Read};

const PIECE: usize = 100_000;
const MAX_PEEK: usize = 25_000;
const READER_BUFFER: usize = 4096;

/// Whether gitleaks' archive detection (by file name only, as it calls it) recognises the name: the
/// lower-cased base name contains one of these extensions, or ends in `.lz` / `.mz`.
#[must_use]
pub fn is_archive_name(file_name: &str) -> bool {
    const CONTAINED: [&str; 13] = [
        ".7z", ".br", ".bz2", ".gz", ".lz4", ".rar", ".sz", ".s2", ".tar", ".xz", ".zip", ".zz", ".zst",
    ];
    let lower = file_name.to_lowercase();
    if CONTAINED.iter().any(|ext| lower.contains(ext)) {
        return true;
    }
    let ext = lower.rfind('.').and_then(|i| lower.get(i..)).unwrap_or("");
    ext == ".lz" || ext == ".mz"
}

fn prefix(buf: &[u8], magic: &[u8]) -> bool {
    buf.starts_with(magic)
}

fn at(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

/// Whether the signature library gitleaks uses classifies `buf` with an `application/…` type
/// (archives, executables, documents, fonts, wasm, dex).
#[must_use]
pub fn is_binary(buf: &[u8]) -> bool {
    let n = buf.len();
    let b = |i: usize| at(buf, i);
    let zst = |mut buf: &[u8]| -> bool {
        loop {
            if prefix(buf, &[0x28, 0xB5, 0x2F, 0xFD]) {
                return true;
            }
            if buf.len() < 8 {
                return false;
            }
            let magic = u32::from_le_bytes([at(buf, 0), at(buf, 1), at(buf, 2), at(buf, 3)]);
            if magic & 0xFFFF_FFF0 != 0x184D_2A50 {
                return false;
            }
            let len = u32::from_le_bytes([at(buf, 4), at(buf, 5), at(buf, 6), at(buf, 7)]) as usize;
            match buf.get(8 + len..) {
                Some(rest) if 8 + len <= buf.len() => buf = rest,
                _ => return false,
            }
        }
    };
    let dex = |buf: &[u8]| buf.len() > 36 && prefix(buf, b"dex\n") && at(buf, 36) == 0x70;
    let ole = n > 3 && prefix(buf, &[0xD0, 0xCF, 0x11, 0xE0]);
    let office = ole && (n <= 513 || matches!((b(512), b(513)), (0xEC, 0xA5) | (0x09, 0x08) | (0xA0, 0x46)));
    // application
    (n >= 8 && prefix(buf, &[0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]))
        || dex(buf)
        || (n > 100 && prefix(buf, b"dey\n") && buf.get(40..100).is_some_and(dex))
        // fonts
        || (n > 7 && (prefix(buf, &[0x77, 0x4F, 0x46, 0x46, 0, 1, 0, 0]) || prefix(buf, &[0x77, 0x4F, 0x46, 0x32, 0, 1, 0, 0])))
        || (n > 4 && (prefix(buf, &[0, 1, 0, 0, 0]) || prefix(buf, &[0x4F, 0x54, 0x54, 0x4F, 0])))
        // documents
        || office
        // archives and executables
        || (n > 3 && b(0) == 0x50 && b(1) == 0x4B && matches!(b(2), 3 | 5 | 7) && matches!(b(3), 4 | 6 | 8))
        || (n > 261 && buf.get(257..262) == Some(b"ustar"))
        || (n > 6 && prefix(buf, &[0x52, 0x61, 0x72, 0x21, 0x1A, 0x07]) && matches!(b(6), 0 | 1))
        || [
            &[0x1F, 0x8B, 0x08][..],
            &[0x42, 0x5A, 0x68],
            &[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C],
            &[0x25, 0x50, 0x44, 0x46],
            &[0x4D, 0x5A],
            &[0x7B, 0x5C, 0x72, 0x74, 0x66],
            &[0x25, 0x21],
            &[0x53, 0x51, 0x4C, 0x69],
            &[0x4E, 0x45, 0x53, 0x1A],
            &[0x43, 0x72, 0x32, 0x34],
            &[0x21, 0x3C, 0x61, 0x72, 0x63, 0x68, 0x3E],
            &[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00],
            &[0x4C, 0x5A, 0x49, 0x50],
        ]
        .iter()
        .any(|m| prefix(buf, m))
        || zst(buf)
        || (n > 2 && matches!(b(0), 0x43 | 0x46) && b(1) == 0x57 && b(2) == 0x53)
        || (n > 3 && (prefix(buf, b"MSCF") || prefix(buf, b"ISc(")))
        || (n > 35
            && b(34) == 0x4C
            && b(35) == 0x50
            && matches!((b(8), b(9), b(10)), (2, 0, 1 | 2) | (1, 0, 0)))
        || (n > 1 && b(0) == 0x1F && matches!(b(1), 0xA0 | 0x9D))
        || (n > 96 && prefix(buf, &[0xED, 0xAB, 0xEE, 0xDB]))
        || (n > 52 && prefix(buf, &[0x7F, 0x45, 0x4C, 0x46]))
        || (n > 131 && buf.get(128..132) == Some(b"DICM"))
        || (n > 32773 && buf.get(32769..32774) == Some(b"CD001"))
        || (n > 3
            && [[0xFE, 0xED, 0xFA, 0xCF], [0xFE, 0xED, 0xFA, 0xCE], [0xBE, 0xBA, 0xFE, 0xCA], [0xCF, 0xFA, 0xED, 0xFE], [0xCE, 0xFA, 0xED, 0xFE], [0xCA, 0xFE, 0xBA, 0xBE]]
                .iter()
                .any(|m| prefix(buf, m)))
}

/// Go's `bufio.Reader` (4096-byte buffer) over a file, as far as gitleaks uses it: `Read` into a
/// 100 kB buffer and `ReadByte`.
struct Buffered<R> {
    inner: R,
    buf: Vec<u8>,
    r: usize,
    w: usize,
}

/// Reads as a regular file's `read` does: everything asked for, short only at the end.
fn read_full<R: Read>(inner: &mut R, out: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while let Some(rest) = out.get_mut(total..) {
        if rest.is_empty() {
            break;
        }
        match inner.read(rest) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

impl<R: Read> Buffered<R> {
    fn new(inner: R) -> Self {
        Buffered {
            inner,
            buf: vec![0; READER_BUFFER],
            r: 0,
            w: 0,
        }
    }

    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.r == self.w {
            if out.len() >= self.buf.len() {
                return read_full(&mut self.inner, out);
            }
            self.r = 0;
            self.w = read_full(&mut self.inner, &mut self.buf)?;
        }
        let available = self.buf.get(self.r..self.w).unwrap_or_default();
        let n = available.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.r += n;
        Ok(n)
    }

    fn read_byte(&mut self) -> io::Result<Option<u8>> {
        if self.r == self.w {
            self.r = 0;
            self.w = read_full(&mut self.inner, &mut self.buf)?;
            if self.w == 0 {
                return Ok(None);
            }
        }
        let byte = self.buf.get(self.r).copied();
        self.r += 1;
        Ok(byte)
    }
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// gitleaks' `readUntilSafeBoundary`: extend the piece until two newlines end it, by at most 25 kB.
fn read_until_safe_boundary<R: Read>(
    reader: &mut Buffered<R>,
    n: usize,
    piece: &mut Vec<u8>,
) -> io::Result<()> {
    let Some(&last) = piece.last() else { return Ok(()) };
    if is_whitespace(last) {
        let mut newlines = 0;
        for &c in piece.iter().rev() {
            if c == b'\n' {
                newlines += 1;
                if newlines >= 2 {
                    return Ok(());
                }
            } else if !is_whitespace(c) {
                break;
            }
        }
    }
    let mut newlines = 0;
    loop {
        let last = piece.last().copied().unwrap_or(0);
        if last == b'\n' {
            newlines += 1;
            if newlines >= 2 {
                break;
            }
        } else if !is_whitespace(last) {
            newlines = 0;
        }
        if piece.len() - n >= MAX_PEEK {
            break;
        }
        match reader.read_byte()? {
            Some(b) => piece.push(b),
            None => break,
        }
    }
    Ok(())
}

/// What reading a file gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read2 {
    /// Every piece was handed over.
    Done,
    /// The file is binary (skipped).
    Binary,
}

/// Reads `inner` in gitleaks' pieces, calling `each(piece, start_line)`; stops at a binary piece.
pub fn pieces<R: Read>(inner: R, mut each: impl FnMut(&[u8], usize)) -> io::Result<Read2> {
    let mut reader = Buffered::new(inner);
    let mut buffer = vec![0u8; PIECE];
    let mut piece: Vec<u8> = Vec::with_capacity(PIECE + MAX_PEEK);
    let mut total_lines = 0usize;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok(Read2::Done);
        }
        let first = buffer.get(..n).unwrap_or_default();
        if total_lines == 0 && is_binary(first) {
            return Ok(Read2::Binary);
        }
        piece.clear();
        piece.extend_from_slice(first);
        read_until_safe_boundary(&mut reader, n, &mut piece)?;
        each(&piece, total_lines + 1);
        total_lines += memchr::memchr_iter(b'\n', &piece).count();
    }
}

#[cfg(test)]
mod tests {
    use super::{is_archive_name, is_binary, pieces};

    #[test]
    fn archive_names_as_gitleaks_matches_them() {
        assert!(is_archive_name("a.tar.gz"));
        assert!(is_archive_name("my.target.js"));
        assert!(is_archive_name("x.LZ"));
        assert!(!is_archive_name("x.lzma"));
        assert!(!is_archive_name("notes.txt"));
    }

    #[test]
    fn binary_signatures() {
        assert!(is_binary(b"MZ\x90\x00"));
        assert!(is_binary(&[0x1F, 0x8B, 0x08, 0]));
        assert!(!is_binary(b"hello world"));
        assert!(!is_binary(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn pieces_follow_the_buffered_reader() {
        let mut text = "x".repeat(100_000);
        text.push_str("\n\nsecond\n");
        let mut seen = Vec::new();
        pieces(text.as_bytes(), |p, line| seen.push((p.len(), line))).unwrap_or(super::Read2::Done);
        assert_eq!(seen, vec![(100_002, 1), (7, 3)]);
    }
}
