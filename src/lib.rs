//! ipcp: a GraphQL service for NATO partnership cooperation programmes.

pub mod alloc;
pub mod config;
pub mod db;
pub mod error;
pub mod export;
pub mod graphql;
pub mod http;
pub mod service;
pub mod startup;
pub mod telemetry;
