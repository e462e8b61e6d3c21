//! Execution slots for GraphQL operations: how many run at once (`IPCP_MAX_CONCURRENT_OPERATIONS`),
//! how many of those whose last answer was large (`IPCP_MAX_LARGE_OPERATIONS`), and how many
//! operations wait for a slot, per application (`ipcp_graphql_operations_waiting` at `/metrics`:
//! a queue that does not drain means the limits are too low or the database too slow).

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

pub struct Slots {
    semaphore: Semaphore,
    waiting: AtomicUsize,
}

impl Slots {
    pub fn new(slots: usize) -> Slots {
        Slots {
            semaphore: Semaphore::new(slots),
            waiting: AtomicUsize::new(0),
        }
    }

    /// A slot, at once if one is free, else after waiting (counted) for one. The semaphore is never
    /// closed, so this always gives a permit.
    pub async fn acquire(&self) -> Option<SemaphorePermit<'_>> {
        if let Ok(permit) = self.semaphore.try_acquire() {
            return Some(permit);
        }
        let _waiting = Waiting::start(&self.waiting);
        self.semaphore.acquire().await.ok()
    }

    /// Operations waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// Counts one waiting operation until dropped, also when the client goes away while it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn start(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
