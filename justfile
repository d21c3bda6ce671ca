# Provenant's tasks. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Where the independent test peers are installed (see tests/harness/setup.sh).
export PROVENANT_ORACLES := env_var_or_default("PROVENANT_ORACLES", justfile_directory() / ".oracles")

default:
    @just --list

# Install everything the tests need (idempotent).
setup:
    bash tests/harness/setup.sh

# Format check, clippy with warnings as errors, then every test (unit, integration, end to end, doc).
test:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo test --workspace --doc --locked
    cargo nextest run --workspace --locked --no-fail-fast

# What CI runs: install the peers, then run every test. A one-off build keeps no incremental state.
ci: setup
    CARGO_INCREMENTAL=0 just test

# The main job end to end on embedded defaults (the release binary wherever cargo puts it).
demo:
    bin=$(bash tests/harness/release-binary.sh provenant-cli) && bash tests/harness/demo.sh "$bin"

# Benchmarks against the tools a user would otherwise use; prints ratios from one run.
bench:
    bin=$(bash tests/harness/release-binary.sh provenant-cli) && bash tests/harness/bench.sh "$bin"

# Seed the corpora and fuzz every parser target for `seconds` each (nightly; not in `test`; docs/fuzzing.md).
fuzz seconds="300":
    bash fuzz/seed.sh
    cd fuzz && for t in $(cargo +nightly fuzz list); do \
        echo "== $t"; \
        nice -n 19 cargo +nightly fuzz run "$t" -- -max_total_time={{seconds}} -rss_limit_mb=2048 -timeout=10; \
    done
