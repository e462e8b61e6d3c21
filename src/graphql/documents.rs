//! Parsed GraphQL documents by query text. Dashboards and reporting jobs send the same few queries
//! over and over; parsing one (async-graphql's pest grammar) cost about a tenth of the server's CPU
//! for a light query (bench/HISTORY.md), copying a parsed one far less.
//!
//! Only parsing is kept: validation, complexity and depth checks depend on the variables and the
//! caller, so they run for every request as before.
//!
//! Each text also keeps the size of its last answer: an operation whose last answer was large
//! waits for one of the few large-answer slots (`IPCP_MAX_LARGE_OPERATIONS`), since building a
//! large answer takes many times its size in memory.

use std::{
    num::NonZeroUsize,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use lru::LruCache;

/// Documents kept, least recently used dropped first.
const CAPACITY: usize = 128;

/// Longer query texts are parsed every time: the cache holds at most `CAPACITY` texts of this size
/// and their syntax trees, a few megabytes.
const MAX_CACHED_QUERY_BYTES: usize = 8 * 1024;

pub struct DocumentCache(Mutex<LruCache<String, Arc<Known>>>);

/// What the server knows of one query text.
pub struct Known {
    document: ExecutableDocument,
    last_answer_bytes: AtomicUsize,
}

impl Known {
    /// The size of the last answer to this text (0 before the first).
    pub fn last_answer_bytes(&self) -> usize {
        self.last_answer_bytes.load(Ordering::Relaxed)
    }

    pub fn record_answer(&self, bytes: usize) {
        self.last_answer_bytes.store(bytes, Ordering::Relaxed);
    }
}

/// A parsed request: its document and, when its text is kept, what is known of it.
pub struct Parsed {
    pub document: ExecutableDocument,
    pub known: Option<Arc<Known>>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        DocumentCache(Mutex::new(LruCache::new(
            NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
        )))
    }
}

impl DocumentCache {
    /// The document of `query`, parsed once per text, or the syntax error.
    pub fn parse(&self, query: &str) -> Result<Parsed, async_graphql::parser::Error> {
        if query.len() > MAX_CACHED_QUERY_BYTES {
            return parse_query(query).map(|document| Parsed {
                document,
                known: None,
            });
        }
        let cached = self.0.lock().ok().and_then(|mut c| c.get(query).cloned());
        if let Some(known) = cached {
            return Ok(Parsed {
                document: known.document.clone(),
                known: Some(known),
            });
        }
        let document = parse_query(query)?;
        let known = Arc::new(Known {
            document: document.clone(),
            last_answer_bytes: AtomicUsize::new(0),
        });
        if let Ok(mut cache) = self.0.lock() {
            cache.put(query.to_owned(), known.clone());
        }
        Ok(Parsed {
            document,
            known: Some(known),
        })
    }

    /// Documents held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().map_or(0, |c| c.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_parsed_once_and_answered_from_the_cache() {
        let cache = DocumentCache::default();
        let q = "query($c: String!) { partner(code: $c) { id } }";
        let first = cache.parse(q).expect("parses");
        assert_eq!(cache.len(), 1);
        first.known.as_ref().expect("kept").record_answer(1234);
        let again = cache.parse(q).expect("parses");
        assert_eq!(
            format!("{:?}", first.document),
            format!("{:?}", again.document)
        );
        assert_eq!(again.known.expect("kept").last_answer_bytes(), 1234);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_query_that_does_not_parse_is_not_kept() {
        let cache = DocumentCache::default();
        assert!(cache.parse("{ partner(code: ").is_err());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_long_query_is_parsed_but_not_kept() {
        let cache = DocumentCache::default();
        let long = format!(
            "{{ {} }}",
            "__typename ".repeat(MAX_CACHED_QUERY_BYTES / 10)
        );
        assert!(long.len() > MAX_CACHED_QUERY_BYTES);
        assert!(cache.parse(&long).is_ok_and(|p| p.known.is_none()));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_cache_keeps_at_most_its_capacity() {
        let cache = DocumentCache::default();
        for i in 0..CAPACITY + 10 {
            assert!(cache.parse(&format!("{{ a{i}: __typename }}")).is_ok());
        }
        assert_eq!(cache.len(), CAPACITY);
    }
}
