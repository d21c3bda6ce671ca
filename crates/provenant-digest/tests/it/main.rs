//! Integration tests of `provenant-digest`: one binary, one module per concern.

mod checklist;
mod parse;
mod tree;
