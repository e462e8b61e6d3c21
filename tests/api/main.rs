//! Black-box tests: each starts the real application on port 0 against a fresh database and talks
//! HTTP to it. Every test runs twice, on SQLite and on PostgreSQL (`on_both_backends!`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

mod helpers;

mod access;
mod foundation;
mod hostile;
mod http;
mod live;
mod migrations;
