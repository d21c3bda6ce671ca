//! Bounded readers of archive formats (zip), of the section table of ELF object files, read like
//! archives of named members, and of executables' headers (ELF program headers, PE sections, Mach-O
//! segments, thin and universal), from bytes held in memory. Every offset is checked, every
//! inflation is bounded by the caller, and nothing is read from or written to anywhere: the callers
//! (`provenant-diff`, which explains differences, and `provenant-catalog`, which finds packages and maps
//! executables' virtual addresses) bring the bytes and decide what a bound crossed means to them.

pub mod elf;
mod ints;
pub mod macho;
pub mod pe;
pub mod zip;
