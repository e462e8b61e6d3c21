//! When the DataLoaders fetch: at the end of the poll that asked, not after a timer.
//!
//! async-graphql's `DataLoader` gathers the keys asked for during a delay (1 ms by default) and then
//! loads them in one batch. On a fast path that delay is most of a request's latency: a query of
//! depth 3 waits 3 ms for three statements of 0.1 ms each. The keys of one level of a query are all
//! asked for within one poll of the request's future (async-graphql resolves a list's items and an
//! object's fields with `join_all`, which polls every child once per pass), so the batch is complete
//! as soon as that poll returns.
//!
//! [`Batched`] wraps a request's future: while it polls the request, the loaders' spawner
//! ([`spawn_fetch`]) queues the fetch tasks instead of starting them, and once the poll returns they
//! are spawned, with the loaders' delay set to zero. Outside a [`Batched`] future (a subscription's
//! stream, say) the spawner keeps the timer: it starts the fetch after [`FALLBACK_DELAY`].

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::future::BoxFuture;

/// How long a fetch asked for outside a [`Batched`] future waits for more keys.
pub const FALLBACK_DELAY: Duration = Duration::from_millis(1);

thread_local! {
    /// The fetches queued during the poll of the [`Batched`] future running on this thread.
    static QUEUED: RefCell<Option<Vec<BoxFuture<'static, ()>>>> = const { RefCell::new(None) };
}

/// The loaders' spawner: queue the fetch until the current [`Batched`] poll ends, or start it after
/// [`FALLBACK_DELAY`] when there is none.
pub fn spawn_fetch(fetch: BoxFuture<'static, ()>) {
    let fetch = QUEUED.with(|queued| match queued.borrow_mut().as_mut() {
        Some(queue) => {
            queue.push(fetch);
            None
        }
        None => Some(fetch),
    });
    if let Some(fetch) = fetch {
        tokio::spawn(async move {
            tokio::time::sleep(FALLBACK_DELAY).await;
            fetch.await;
        });
    }
}

/// A future whose DataLoader fetches start when each of its polls returns.
pub struct Batched<F: Future>(Pin<Box<F>>);

impl<F: Future> Batched<F> {
    pub fn new(inner: F) -> Batched<F> {
        Batched(Box::pin(inner))
    }
}

/// Restores the enclosing queue (if any) and starts the fetches queued during one poll, even when
/// the poll panics.
struct Flush(Option<Vec<BoxFuture<'static, ()>>>);

impl Drop for Flush {
    fn drop(&mut self) {
        let queued = QUEUED.with(|queued| queued.replace(self.0.take()));
        for fetch in queued.into_iter().flatten() {
            tokio::spawn(async move {
                // One turn of the scheduler first: a sibling woken by the same event as this poll
                // (one batch answering many keys) gets polled and joins the next batch.
                tokio::task::yield_now().await;
                fetch.await;
            });
        }
    }
}

impl<F: Future> Future for Batched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let outer = QUEUED.with(|queued| queued.replace(Some(Vec::new())));
        let _flush = Flush(outer);
        self.0.as_mut().poll(cx)
    }
}
