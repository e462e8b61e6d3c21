//! Heap memory given back to the operating system once large answers stop.
//!
//! A large answer (the deep dashboard query: a value tree of thousands of objects) takes megabytes
//! of heap while it is built, and glibc's allocator keeps most of what is freed in its
//! arenas, resident, for the next allocations. Each worker thread has an arena of its own, so an
//! instance that has built large answers on both stays at the sum of their peaks plus what the
//! other queries left behind. `malloc_trim` returns the free pages of every arena.
//!
//! Trimming after every large answer costs server CPU on the next one (its pages are faulted back
//! in; measured in bench/HISTORY.md, session 9), so the trim waits until no large
//! answer has finished for [`QUIET`]: under a steady stream of large answers it never runs, and
//! after a burst the instance goes back to its working set instead of staying at its high-water
//! mark.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::time::Instant;

/// How long after the last large answer the free pages are given back.
pub const QUIET: Duration = Duration::from_secs(1);

/// Returns the allocator's free pages to the operating system (glibc on Linux; elsewhere nothing).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` has no preconditions; it only takes the allocator's own locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Schedules one trim [`QUIET`] after the last of a run of large answers.
pub struct Trimmer {
    origin: Instant,
    /// Milliseconds from `origin` to the end of the last large answer.
    last_large_ms: AtomicU64,
    /// A trim task is waiting.
    pending: AtomicBool,
    trim: fn(),
}

impl Default for Trimmer {
    fn default() -> Self {
        Trimmer::with(release_free_memory)
    }
}

impl Trimmer {
    /// A trimmer that runs `trim` (tests count the calls).
    pub fn with(trim: fn()) -> Self {
        Trimmer {
            origin: Instant::now(),
            last_large_ms: AtomicU64::new(0),
            pending: AtomicBool::new(false),
            trim,
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A large answer has just been freed: trim once no other has followed it for `QUIET`.
    pub fn large_answer_freed(self: &Arc<Self>) {
        self.last_large_ms.store(self.now_ms(), Ordering::Relaxed);
        if self.pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let quiet = u64::try_from(QUIET.as_millis()).unwrap_or(u64::MAX);
            loop {
                let since = me
                    .now_ms()
                    .saturating_sub(me.last_large_ms.load(Ordering::Relaxed));
                if since >= quiet {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(quiet - since)).await;
            }
            me.pending.store(false, Ordering::Release);
            (me.trim)();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TRIMS: AtomicU64 = AtomicU64::new(0);

    fn count() {
        TRIMS.fetch_add(1, Ordering::SeqCst);
    }

    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn free_pages_are_given_back_once_large_answers_stop_for_the_quiet_period() {
        let trimmer = Arc::new(Trimmer::with(count));
        let trims = || TRIMS.load(Ordering::SeqCst);
        // A steady stream of large answers, closer together than QUIET: no trim.
        for _ in 0..20 {
            trimmer.large_answer_freed();
            tokio::time::sleep(QUIET / 4).await;
            settle().await;
        }
        assert_eq!(trims(), 0, "trimmed while large answers kept coming");
        // Then quiet: no trim before QUIET has passed since the last answer, one after.
        tokio::time::sleep(QUIET / 2).await;
        settle().await;
        assert_eq!(trims(), 0, "trimmed before the quiet period was over");
        tokio::time::sleep(QUIET / 2).await;
        settle().await;
        assert_eq!(trims(), 1, "no trim once the answers stopped");
        tokio::time::sleep(QUIET * 5).await;
        settle().await;
        assert_eq!(trims(), 1, "trimmed again without a new large answer");
        // A later burst schedules one more.
        trimmer.large_answer_freed();
        trimmer.large_answer_freed();
        tokio::time::sleep(QUIET * 2).await;
        settle().await;
        assert_eq!(trims(), 2);
    }
}
