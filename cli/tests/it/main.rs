//! CLI integration tests (snapshots of output).
