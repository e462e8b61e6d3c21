//! When the DataLoaders fetch: once the request has asked for every key it can, not after a timer.
//!
//! async-graphql's `DataLoader` gathers the keys asked for during a delay (1 ms by default) and then
//! loads them in one batch. On a fast path that delay is most of a request's latency: a query of
//! depth 3 waits 3 ms for three statements of 0.1 ms each. Here the loaders' delay is zero and the
//! batch is cut by the request itself.
//!
//! [`Batched`] wraps a request's future and drives the fetches itself, on the request's task:
//! while it polls the request, the loaders' spawner ([`spawn_fetch`]) hands it the fetches instead
//! of starting them. A fetch is started (polled) only once the request has *settled*: a poll of the
//! request returned without the request waking itself. async-graphql resolves a list's items with
//! `join_all`, whose `FuturesUnordered` yields (wakes itself and returns) after one pass over its
//! children, so one poll may leave part of a level's items still to ask for their keys; settling
//! polls again until every item has asked. A fetch answers all its keys in one poll, and the request
//! is polled only after that, so every field waiting on one batch goes on together and the next
//! level is again one batch, however the threads are scheduled. (With the fetches on tasks of their
//! own, a fetch could start, or the request run on the other core, halfway through a level, and a
//! level's keys split into several statements.)
//!
//! The loaders are shared by all requests, so a fetch this request drives may carry other
//! requests' keys too: when the request ends (or is dropped) with fetches not yet done, they go on
//! as tasks of their own. Outside a [`Batched`] future (a subscription's stream, say) the spawner
//! keeps the timer: it starts the fetch as a task after [`FALLBACK_DELAY`].

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::Duration,
};

use futures_util::{
    future::BoxFuture,
    stream::FuturesUnordered,
    task::{waker_ref, ArcWake, AtomicWaker},
    StreamExt,
};

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

/// How many times one poll of [`Batched`] polls a request that keeps waking itself before it
/// returns to the executor (tokio's cooperative budget, once spent, makes a resource wake its task
/// and return pending until the task has yielded; the fetches wait until the next poll).
const MAX_SETTLE_PASSES: usize = 32;

/// The waker the request is polled with: it records that the request was woken and wakes the
/// task.
#[derive(Default)]
struct WakeFlag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl ArcWake for WakeFlag {
    fn wake_by_ref(arc: &Arc<Self>) {
        arc.woken.store(true, Ordering::SeqCst);
        arc.task.wake();
    }
}

/// A future that runs its DataLoader fetches itself, each level's keys in one batch.
pub struct Batched<F: Future> {
    request: Pin<Box<F>>,
    /// Fetches asked for by a request that has not settled yet: not polled, so still taking keys.
    asked: Vec<Fetch>,
    /// Fetches started (waiting for their delay or their statement).
    fetches: FuturesUnordered<Fetch>,
    flag: Arc<WakeFlag>,
}

impl<F: Future> Batched<F> {
    pub fn new(request: F) -> Batched<F> {
        Batched {
            request: Box::pin(request),
            asked: Vec::new(),
            fetches: FuturesUnordered::new(),
            flag: Arc::default(),
        }
    }

    /// Polls the request with the spawner collecting its fetches into `asked`; true if the request
    /// woke itself during the poll. The enclosing collection (if any) is restored even when the
    /// poll panics.
    fn poll_request(&mut self, cx: &mut Context<'_>) -> (Poll<F::Output>, bool) {
        struct Restore(Option<Vec<Fetch>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let enclosing = self.0.take();
                let collected = QUEUED.with(|queued| queued.replace(enclosing));
                // Only on a panic is anything left here; let those fetches run anyway.
                hand_off(collected.into_iter().flatten());
            }
        }
        self.flag.task.register(cx.waker());
        self.flag.woken.store(false, Ordering::SeqCst);
        let waker = waker_ref(&self.flag);
        let mut request_cx = Context::from_waker(&waker);
        let restore = Restore(QUEUED.with(|queued| queued.replace(Some(Vec::new()))));
        let result = self.request.as_mut().poll(&mut request_cx);
        let collected = QUEUED.with(|queued| queued.borrow_mut().take().unwrap_or_default());
        drop(restore);
        self.asked.extend(collected);
        (result, self.flag.woken.load(Ordering::SeqCst))
    }

    /// Polls the request until it settles: its output, `Ready(None)` once it has settled, or
    /// `Pending` if it is still waking itself after [`MAX_SETTLE_PASSES`].
    fn settle_request(&mut self, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        for _ in 0..MAX_SETTLE_PASSES {
            match self.poll_request(cx) {
                (Poll::Ready(output), _) => return Poll::Ready(Some(output)),
                (Poll::Pending, false) => return Poll::Ready(None),
                (Poll::Pending, true) => {}
            }
        }
        // Still waking itself: the task is woken already, and the fetches wait for that poll.
        Poll::Pending
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

    /// Hands every fetch not yet done to the runtime.
    fn hand_off_fetches(&mut self) {
        hand_off(std::mem::take(&mut self.asked));
        hand_off(std::mem::take(&mut self.fetches));
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
        self.hand_off_fetches();
    }
}

impl<F: Future> Future for Batched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        // The request is polled on entry (it may wait on more than the loaders), then again only
        // when a fetch has answered; the fetches it asked for start once it has settled.
        let mut poll_request = true;
        loop {
            let answered = this.poll_fetches(cx);
            if !(poll_request || answered) {
                return Poll::Pending;
            }
            poll_request = false;
            match this.settle_request(cx) {
                Poll::Ready(Some(output)) => {
                    this.hand_off_fetches();
                    return Poll::Ready(output);
                }
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {}
            }
            if this.asked.is_empty() {
                return Poll::Pending;
            }
            this.fetches.extend(this.asked.drain(..));
        }
    }
}
