//! Operations tests: database outages, pool exhaustion, graceful shutdown, backups, probes and
//! metrics. A test binary of its own because these tests are slow (a PostgreSQL restart, a drain)
//! and would hold back the api suite. Each is bounded in time, uses loopback addresses only and
//! cleans up after itself (databases, temporary files, the throw-away cluster) even when it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

mod support;

mod backup;
mod capacity;
mod decoding;
mod outage;
mod pool;
mod probes;
mod replicas;
mod shutdown;
mod webhooks;
