//! Streams made by GNU gzip from real files, split many times, against flate2's `MultiGzDecoder`.

use std::io::{Read, Write};
use std::path::Path;

use provenant_gzip::{Split, SplitFailed, inflate, inflate_all, is};

/// Real files one after the other, as in a layer's tar: this test's own executable (machine code and
/// debug information) and the repository's sources and documents, repeated to `len` bytes with a
/// few bytes changed each round so that no round is a copy of the last.
pub(crate) fn real_files(len: usize) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![std::fs::read(std::env::current_exe().unwrap()).unwrap()];
    let mut stack = vec![root.join("crates"), root.join("docs"), root.join("cli")];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|e| e == "rs" || e == "md" || e == "toml")
            {
                files.push(std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = Vec::with_capacity(len + (1 << 20));
    let mut round = 0u8;
    while out.len() < len {
        for f in &files {
            out.extend_from_slice(format!("{round:02x} file of {} bytes\n", f.len()).as_bytes());
            out.extend(f.iter().step_by(1 + usize::from(round % 3)));
        }
        round = round.wrapping_add(1);
    }
    out.truncate(len);
    out
}

fn gnu_gzip(args: &[&str], input: &[u8]) -> Vec<u8> {
    let tool = provenant_testkit::require_on_path("gzip");
    let mut child = std::process::Command::new(tool)
        .args(args)
        .args(["-q", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn flate2(blob: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(blob)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn a_stream_split_many_times_decodes_as_flate2_does_at_every_level() {
    let data = real_files(72 << 20);
    // Each split covers two chunks: the first decoder's and the second's.
    let split = Split::new(2 << 20).smallest(1 << 20);
    for level in ["-1", "-6", "-9"] {
        let blob = gnu_gzip(&[level, "-n"], &data);
        let expected = flate2(&blob);
        assert!(
            expected == data,
            "{level}: flate2 does not read GNU gzip's stream back"
        );
        let (out, stats) = inflate_all(&blob, Some(split), u64::MAX).unwrap();
        assert!(out == expected, "{level}: the split output differs from flate2's");
        // Some splits of these files never agree within 16 MiB (back-references chain through the made-up
        // window) and are decoded by the first decoder alone; the others join.
        assert!(
            stats.splits >= 3 && stats.joins >= 2,
            "{level}: {} bytes, {stats:?}",
            blob.len()
        );
        assert!(
            stats.peak_compressed < blob.len() as u64 / 2,
            "{level}: {stats:?} of {} bytes: the whole stream was held",
            blob.len()
        );
        // The default split, as image layers are read.
        let (out, stats) = inflate_all(&blob, Some(Split::default()), u64::MAX).unwrap();
        assert!(out == expected && stats.joins >= 1, "{level}: {stats:?}");
    }
}

#[test]
fn memory_stays_within_the_documented_bound_whatever_the_size() {
    // The same 4 MiB chunks over 24 and 96 MiB of real files: what is held does not grow with the stream.
    let split = Split::new(4 << 20).smallest(1 << 20);
    let mut peaks = Vec::new();
    for len in [24 << 20, 96 << 20] {
        let blob = gnu_gzip(&["-6"], &real_files(len));
        // Through a reader that is not a slice, as a layer arrives from a store.
        let mut reader = std::io::BufReader::new(std::io::Cursor::new(&blob));
        let mut sink = Counting(0);
        let stats = inflate(&mut reader, blob.len() as u64, Some(split), u64::MAX, &mut sink).unwrap();
        assert_eq!(sink.0, len as u64);
        // The smaller stream is split in the middle once; the larger one several times.
        assert!(
            stats.joins >= if len > 32 << 20 { 2 } else { 1 },
            "{len}: {stats:?}"
        );
        assert!(
            stats.peak_compressed <= split.compressed_window() + (1 << 20),
            "{len}: {stats:?} against a window of {}",
            split.compressed_window()
        );
        assert!(stats.peak_ahead <= split.output_ahead(), "{len}: {stats:?}");
        assert!(stats.peak_compressed + stats.peak_ahead <= split.memory_bound());
        peaks.push(stats.peak_compressed);
    }
    assert!(
        peaks[1] <= split.compressed_window() + (1 << 20),
        "96 MiB held {} compressed bytes",
        peaks[1]
    );
}

#[test]
fn a_crafted_member_that_fails_its_crc_after_a_join_asks_for_a_reading_in_one_piece() {
    let mut blob = gnu_gzip(&["-6"], &real_files(40 << 20));
    let at = blob.len() - 8;
    blob[at] ^= 0x20;
    let err = inflate_all(&blob, Some(Split::new(4 << 20).smallest(1 << 20)), u64::MAX).unwrap_err();
    assert!(is::<SplitFailed>(&err), "{err}");
    let err = inflate_all(&blob, None, u64::MAX).unwrap_err();
    assert!(err.to_string().contains("CRC-32"), "{err}");
}

struct Counting(u64);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
