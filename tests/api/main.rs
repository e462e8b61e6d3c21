//! Black-box tests: each starts the real application on port 0 against a fresh database and talks
//! HTTP to it. Every test runs twice, on SQLite and on PostgreSQL (`on_both_backends!`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expectation is a failed test

mod helpers;

mod access;
mod batching;
mod bench_data;
mod bulk;
mod calendar;
mod catalogue;
mod change_log;
mod compiled;
mod concurrency;
pub mod contacts;
pub mod costs;
mod cycle_rules;
mod dashboard;
mod demo;
mod enrollment_properties;
pub mod enrollment_rules;
pub mod evaluation;
mod exports;
mod foundation;
mod hostile;
mod http;
mod idempotency;
pub mod itpp;
mod lists;
mod migrations;
mod one_door;
mod parsers;
mod races;
mod report_dataset;
mod reports;
mod rule_codes;
mod search;
mod subscriptions;
mod webhooks;
mod xapi;
