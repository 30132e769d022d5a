//! The PostgreSQL backend against a real server: every test gets its own fresh database
//! (`support::TestDb`). Needs PostgreSQL at `ZCC_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); fails, never skips, without it.

mod concurrency;
mod conformance;
mod documents;
mod immutability;
mod log;
mod outbound;
mod roles;
mod scan;
mod support;
mod tamper;
mod unavailable;
