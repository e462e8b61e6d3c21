//! Parsed GraphQL documents by query text. Dashboards and reporting jobs send the same few queries
//! over and over; parsing one (async-graphql's pest grammar) cost about a tenth of the server's CPU
//! for a light query (bench/HISTORY.md), copying a parsed one far less.
//!
//! Only parsing is kept: validation, complexity and depth checks depend on the variables and the
//! caller, so they run for every request as before.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use lru::LruCache;

/// Documents kept, least recently used dropped first.
const CAPACITY: usize = 128;

/// Longer query texts are parsed every time: the cache holds at most `CAPACITY` texts of this size
/// and their syntax trees, a few megabytes.
const MAX_CACHED_QUERY_BYTES: usize = 8 * 1024;

pub struct DocumentCache(Mutex<LruCache<String, Arc<ExecutableDocument>>>);

impl Default for DocumentCache {
    fn default() -> Self {
        DocumentCache(Mutex::new(LruCache::new(
            NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
        )))
    }
}

impl DocumentCache {
    /// The document of `query`, parsed once per text; None when it does not parse (the execution
    /// then reports the syntax error).
    pub fn parse(&self, query: &str) -> Option<ExecutableDocument> {
        if query.len() > MAX_CACHED_QUERY_BYTES {
            return parse_query(query).ok();
        }
        let cached = self.0.lock().ok().and_then(|mut c| c.get(query).cloned());
        if let Some(document) = cached {
            return Some(ExecutableDocument::clone(&document));
        }
        let document = parse_query(query).ok()?;
        if let Ok(mut cache) = self.0.lock() {
            cache.put(query.to_owned(), Arc::new(document.clone()));
        }
        Some(document)
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_parsed_once_and_answered_from_the_cache() {
        let cache = DocumentCache::default();
        let first = cache.parse("query($c: String!) { partner(code: $c) { id } }");
        assert!(first.is_some());
        assert_eq!(cache.len(), 1);
        let again = cache.parse("query($c: String!) { partner(code: $c) { id } }");
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_query_that_does_not_parse_is_not_kept() {
        let cache = DocumentCache::default();
        assert!(cache.parse("{ partner(code: ").is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn a_long_query_is_parsed_but_not_kept() {
        let cache = DocumentCache::default();
        let long = format!(
            "{{ {} }}",
            "__typename ".repeat(MAX_CACHED_QUERY_BYTES / 10)
        );
        assert!(long.len() > MAX_CACHED_QUERY_BYTES);
        assert!(cache.parse(&long).is_some());
        assert!(cache.is_empty());
    }

    #[test]
    fn the_cache_keeps_at_most_its_capacity() {
        let cache = DocumentCache::default();
        for i in 0..CAPACITY + 10 {
            assert!(cache.parse(&format!("{{ a{i}: __typename }}")).is_some());
        }
        assert_eq!(cache.len(), CAPACITY);
    }
}
