# zcc-ledger tasks. `just --list` documents them.

# Run the receiver, API and web page on the SQLite default
serve:
    cargo run --release -p zcc-ledger -- serve

# Run every test (needs PostgreSQL at $ZCC_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres)
test:
    cargo nextest run --workspace --no-fail-fast

# Format check and lints, as CI runs them
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything CI runs
ci: lint test
