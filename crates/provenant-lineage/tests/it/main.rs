//! Lineage verification tests.
