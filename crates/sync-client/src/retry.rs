//! Retrying one request: exponential backoff with jitter, only for failures that may pass
//! ([`TransportError::is_retryable`]). Waits with `tokio::time::sleep`, so tests run on tokio's
//! paused clock and take no real time.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use serde::Serialize;

use crate::transport::TransportError;

/// How often and how patiently one request is retried. Each request of a sync gets its own
/// attempts: a link that fails every other request still completes the sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each further one.
    pub base_delay: Duration,
    /// Cap of a single wait (also caps a server's `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, waits of about 1, 2, 4, 8 and 16 s (each between half and all of that), so a
    /// request gives up after about half a minute of failures.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The nominal wait after `failures` failures (≥ 1): `base · 2^(failures-1)`, capped.
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// The actual wait: "equal jitter" — a uniformly random point between half the nominal wait
    /// and all of it, so that phones that lost the same link do not come back in lockstep, and
    /// never shorter than the server's `Retry-After` (itself capped at `max_delay`).
    pub fn delay(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let nominal = self.backoff(failures);
        let half = nominal / 2;
        let half_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let jitter = Duration::from_millis(rand::rng().random_range(0..=half_ms));
        let wait = half + jitter;
        match retry_after {
            Some(asked) => wait.max(asked.min(self.max_delay)),
            None => wait,
        }
    }
}

/// Counts of what [`with_retry`] did, accumulated over a sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Attempts {
    pub requests: u64,
    pub retries: u64,
}

/// Runs `request` until it succeeds, fails for good, or has used `policy.max_attempts`. Before
/// each wait it calls `on_wait(error, wait)`.
pub(crate) async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    attempts: &mut Attempts,
    on_wait: &mut (dyn FnMut(&TransportError, Duration) + Send),
    mut request: F,
) -> Result<T, TransportError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, TransportError>>,
{
    let mut failures = 0u32;
    loop {
        attempts.requests += 1;
        match request().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && failures + 1 < policy.max_attempts.max(1) => {
                failures += 1;
                attempts.retries += 1;
                let wait = policy.delay(failures, e.retry_after());
                on_wait(&e, wait);
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = policy();
        let ms: Vec<u128> = (1..=6).map(|n| p.backoff(n).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 500, 500, 500]);
        assert_eq!(p.backoff(200), p.max_delay, "no overflow");
        for n in 1..=6 {
            let d = p.delay(n, None);
            assert!(d >= p.backoff(n) / 2 && d <= p.backoff(n), "{d:?}");
        }
        assert_eq!(p.delay(1, Some(Duration::from_secs(99))), p.max_delay);
        assert!(p.delay(1, Some(Duration::from_millis(300))) >= Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_failures_then_gives_up() {
        let p = policy();
        let mut attempts = Attempts::default();
        let mut waits = Vec::new();
        let mut calls = 0;
        let started = tokio::time::Instant::now();
        let r: Result<(), _> = with_retry(&p, &mut attempts, &mut |_, w| waits.push(w), || {
            calls += 1;
            async { Err(TransportError::Timeout) }
        })
        .await;
        assert_eq!(r, Err(TransportError::Timeout));
        assert_eq!((calls, attempts.requests, attempts.retries), (4, 4, 3));
        assert_eq!(waits.len(), 3);
        assert!(started.elapsed() >= Duration::from_millis(50 + 100 + 200));
    }

    #[tokio::test(start_paused = true)]
    async fn never_retries_a_refusal() {
        let mut attempts = Attempts::default();
        let mut calls = 0;
        let r: Result<(), _> = with_retry(&policy(), &mut attempts, &mut |_, _| {}, || {
            calls += 1;
            async { Err(TransportError::refused_without_body(400, "no")) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!((calls, attempts.retries), (1, 0));
    }
}
