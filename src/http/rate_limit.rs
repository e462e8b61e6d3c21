//! Per-token rate limits (governor's GCRA): over the budget a request gets HTTP 429 with
//! Retry-After, and the budget refills by itself.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use governor::{clock::Clock, clock::DefaultClock, DefaultKeyedRateLimiter, Quota, RateLimiter};

#[derive(Clone)]
pub struct RateLimit {
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl RateLimit {
    /// `per_second` 0 disables the limit.
    pub fn new(per_second: u32, burst: u32) -> RateLimit {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        RateLimit { limiter }
    }

    /// None when the caller may go on, else the whole seconds to wait (at least 1), for
    /// `Retry-After`. Each token has its own budget; anonymous callers share one.
    pub fn retry_after(&self, caller: &crate::service::auth::Caller) -> Option<u64> {
        let bucket = caller
            .token_id
            .map_or_else(|| "anonymous".to_owned(), |id| id.to_string());
        self.check(&bucket)
            .map(|wait| (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    }

    /// None when the caller may go on, else how long to wait.
    pub fn check(&self, caller: &str) -> Option<Duration> {
        let limiter = self.limiter.as_ref()?;
        match limiter.check_key(&caller.to_owned()) {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(DefaultClock::default().now())),
        }
    }
}

/// The answer to a caller who spent their budget: 429 with `Retry-After`.
pub fn rate_limited(media: &'static str, secs: u64) -> super::error_body::HttpError {
    super::error_body::HttpError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        media,
        crate::error::ErrorCode::RateLimited,
        "rate limit exceeded: slow down and retry after the delay in Retry-After",
    )
    .retry_after(secs)
}
