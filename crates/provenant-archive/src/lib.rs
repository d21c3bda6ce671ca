//! Bounded readers of archive formats (zip), of ELF files (the section table, read like an archive of
//! named members, the program headers and notes) and of PE files' section tables, from bytes held in
//! memory. Every offset is checked, every inflation is bounded by the caller, and nothing is read from or
//! written to anywhere: the callers (`provenant-diff`, which explains differences, and
//! `provenant-catalog`, which finds packages) bring the bytes and decide what a bound crossed means to
//! them.

pub mod elf;
mod ints;
pub mod pe;
pub mod zip;
