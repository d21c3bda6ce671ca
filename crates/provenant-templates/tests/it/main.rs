//! Integration tests of the pipeline templates.

mod render;
