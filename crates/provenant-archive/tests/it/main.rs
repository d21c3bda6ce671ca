//! Integration tests of provenant-archive: archives made by the real `zip` tool and objects made by GNU binutils, and hostile ones.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod elf;
mod macho;
mod pe;
mod zip;

/// Gives `read` every prefix of `bytes`, and `bytes` with each byte's lowest and highest bit flipped.
fn every_truncation_and_flip(bytes: &[u8], read: impl Fn(&[u8])) {
    for len in 0..bytes.len() {
        read(&bytes[..len]);
    }
    for at in 0..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut b = bytes.to_vec();
            b[at] ^= bit;
            read(&b);
        }
    }
}
