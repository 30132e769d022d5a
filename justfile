# zcc-ledger tasks. `just --list` documents them.

# Run the receiver, API and web page on the SQLite default
serve:
    cargo run --release -p zcc-ledger -- serve

# Run every test, installing and starting what they need (scripts/test; PostgreSQL from $ZCC_TEST_POSTGRES_URL when set)
test:
    ./scripts/test

# Format check and lints, as CI runs them
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo machete

# Everything CI runs
ci: lint test

# Build the release binaries the benchmarks drive
bench-build:
    cargo build --release -p zcc-ledger -p zcc-bench

# Import and HTTP ingest against the raw batched-append ceiling, both backends (docs/BENCHMARKS.md)
bench: bench-build
    target/release/zcc-bench import --backend sqlite --events 200000
    target/release/zcc-bench import --backend postgres --events 200000
    target/release/zcc-bench ingest --backend sqlite --events 200000 --concurrency 256 --runs 5
    target/release/zcc-bench ingest --backend postgres --events 100000 --concurrency 256
    target/release/zcc-bench deliver --calls 2000 --delay-calls 400 --rate 500
    cargo bench -p zcc-events --bench parse
