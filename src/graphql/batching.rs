//! When the DataLoaders fetch: once the request has asked for every key it can, not after a timer.
//!
//! async-graphql's `DataLoader` gathers the keys asked for during a delay (1 ms by default) and then
//! loads them in one batch. On a fast path that delay is most of a request's latency: a query of
//! depth 3 waits 3 ms for three statements of 0.1 ms each. The keys of one level of a query are all
//! asked for within one poll of the request's future (async-graphql resolves a list's items and an
//! object's fields with `join_all`, which polls every woken child once per pass), so the batch is
//! complete as soon as that poll returns.
//!
//! [`Batched`] wraps a request's future and drives the fetches itself, on the request's task:
//! while it polls the request, the loaders' spawner ([`spawn_fetch`]) hands it the fetches instead
//! of starting them; it polls them after the request's poll returns. A fetch answers all its keys
//! in one poll, and the request is polled only after that, so every field waiting on one batch
//! goes on together and asks for its own keys in the same pass: the next level is one batch, not
//! two, however the threads are scheduled. (With the fetches on their own tasks, the request could
//! be polled on the other core while a fetch was still answering, and a level could split.)
//!
//! The loaders are shared by all requests, so a fetch this request drives may carry other
//! requests' keys too: when the request ends (or is dropped) with fetches still running, they go on
//! as tasks of their own. Outside a [`Batched`] future (a subscription's stream, say) the spawner
//! keeps the timer: it starts the fetch as a task after [`FALLBACK_DELAY`].

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::{future::BoxFuture, stream::FuturesUnordered, StreamExt};

/// How long a fetch asked for outside a [`Batched`] future waits for more keys.
pub const FALLBACK_DELAY: Duration = Duration::from_millis(1);

type Fetch = BoxFuture<'static, ()>;

thread_local! {
    /// The fetches asked for during the poll of the [`Batched`] future running on this thread.
    static QUEUED: RefCell<Option<Vec<Fetch>>> = const { RefCell::new(None) };
}

/// The loaders' spawner: hand the fetch to the [`Batched`] future being polled on this thread, or
/// start it as a task after [`FALLBACK_DELAY`] when there is none.
pub fn spawn_fetch(fetch: Fetch) {
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

/// A future that runs its DataLoader fetches itself, each level's keys in one batch.
pub struct Batched<F: Future> {
    request: Pin<Box<F>>,
    fetches: FuturesUnordered<Fetch>,
}

impl<F: Future> Batched<F> {
    pub fn new(request: F) -> Batched<F> {
        Batched {
            request: Box::pin(request),
            fetches: FuturesUnordered::new(),
        }
    }

    /// Polls the request with the spawner collecting its fetches; returns them with the result.
    /// The enclosing collection (if any) is restored even when the poll panics.
    fn poll_request(&mut self, cx: &mut Context<'_>) -> (Poll<F::Output>, Vec<Fetch>) {
        struct Restore(Option<Vec<Fetch>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let enclosing = self.0.take();
                let collected = QUEUED.with(|queued| queued.replace(enclosing));
                // Only on a panic is anything left here; let those fetches run anyway.
                hand_off(collected.into_iter().flatten());
            }
        }
        let restore = Restore(QUEUED.with(|queued| queued.replace(Some(Vec::new()))));
        let result = self.request.as_mut().poll(cx);
        let collected = QUEUED.with(|queued| queued.borrow_mut().take().unwrap_or_default());
        drop(restore);
        (result, collected)
    }

    /// Polls every fetch that is ready to go on; true if one of them finished (and so answered
    /// its keys).
    fn poll_fetches(&mut self, cx: &mut Context<'_>) -> bool {
        let mut answered = false;
        while let Poll::Ready(Some(())) = self.fetches.poll_next_unpin(cx) {
            answered = true;
        }
        answered
    }
}

/// Runs fetches as tasks of their own: other requests may be waiting on them. (Without a runtime,
/// when it is shutting down, they are dropped with everything else.)
fn hand_off(fetches: impl IntoIterator<Item = Fetch>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    for fetch in fetches {
        runtime.spawn(fetch);
    }
}

impl<F: Future> Drop for Batched<F> {
    fn drop(&mut self) {
        hand_off(std::mem::take(&mut self.fetches));
    }
}

impl<F: Future> Unpin for Batched<F> {}

impl<F: Future> Future for Batched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        // The request is polled on entry (it may wait on more than the loaders), then again only
        // when a fetch has answered; fetches it asks for are started at once.
        let mut poll_request = true;
        loop {
            let answered = this.poll_fetches(cx);
            if !(poll_request || answered) {
                return Poll::Pending;
            }
            poll_request = false;
            let (result, asked) = this.poll_request(cx);
            if let Poll::Ready(output) = result {
                hand_off(asked);
                hand_off(std::mem::take(&mut this.fetches));
                return Poll::Ready(output);
            }
            if asked.is_empty() {
                return Poll::Pending;
            }
            this.fetches.extend(asked);
        }
    }
}
