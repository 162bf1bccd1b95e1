//! The pull step: read the feed from the store's cursor, page by page, applying each page (and
//! moving the cursor) in one local commit. Pages grow while they come quickly and shrink when
//! they have to be retried. Where the transport can ([`Transport::pull_ahead`]), the next page is
//! fetched and parsed on another worker while this one is applied; it is asked from the cursor
//! the applied page moves to, so a page fetched ahead is exactly the one asked for next (and if
//! the fetch fails, it is simply asked again).

use bangfu_core::sync::DeviceStore;
use bangfu_core::sync::wire::PullResponse;

use super::{Phase, Progress, Run};
use crate::error::SyncError;
use crate::transport::{PullAhead, Transport, TransportError};

/// How a pull ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PullEnd {
    /// At the end of the feed.
    Done,
    /// A page carried a new epoch: the device followed the restored server (its own operations
    /// the server lost are unsynced again, the cursor is 0); the page was not applied. Push, then
    /// pull again.
    ServerRestored,
}

impl<S: DeviceStore, T: Transport> Run<'_, S, T> {
    pub(super) async fn pull(&mut self, first: u32, max: u32) -> Result<PullEnd, SyncError> {
        let mut cursor = self.store.cursor().map_err(SyncError::store)?;
        let scope = self.options.scope.as_deref();
        // The device's own operations are in its store already: the server need not send them
        // (but those it lost, restored from an old backup, still come back).
        let held = self
            .store
            .own_ops_held_through()
            .map_err(SyncError::store)?;
        let me = (held > 0).then(|| (self.store.device_id(), held));
        let transport = self.transport;
        let mut pulled = 0u64;
        let mut limit = first;
        let mut restarts = 0u32;
        self.report_progress(pull_progress(pulled, true));
        let mut ahead: Option<(u32, PullAhead)> = None;
        loop {
            let started = tokio::time::Instant::now();
            let (mut asked, mut next) = (limit, limit);
            let fetched = match ahead.take() {
                Some((ahead_limit, fetch)) => {
                    self.attempts.requests += 1;
                    asked = ahead_limit;
                    let fetched = fetch.await.ok();
                    if fetched.is_none() {
                        self.attempts.retries += 1; // asked again below
                    }
                    fetched
                }
                None => None,
            };
            let page = match fetched {
                Some(page) => Ok(page),
                None => {
                    self.request(|| {
                        asked = next;
                        next = (next / 2).max(first);
                        transport.pull(cursor, asked, scope, me)
                    })
                    .await
                }
            };
            let page = match page {
                Err(TransportError::Refused {
                    status: 409, body, ..
                }) if body.code == "scope_grew" && cursor > 0 && restarts < 2 => {
                    // A newly paired household's history lies behind the cursor: start over
                    // (applying is idempotent; only what is missing is new).
                    restarts += 1;
                    self.store.restart_feed().map_err(SyncError::store)?;
                    cursor = 0;
                    continue;
                }
                other => other?,
            };
            limit = if started.elapsed() < self.options.grow_below {
                asked.saturating_mul(2).min(max)
            } else {
                asked
            };
            if self.follow_epoch(page.epoch, None).await? {
                // A page fetched ahead (from the old cursor) is dropped with `ahead`.
                return Ok(PullEnd::ServerRestored);
            }
            check_page(&page, cursor)?;
            if page.has_more && self.options.pipeline {
                ahead = transport
                    .pull_ahead(page.cursor, limit, scope, me)
                    .map(|fetch| (limit, fetch));
            }
            self.store
                .apply_pulled(&page.entries, page.cursor)
                .map_err(SyncError::store)?;
            self.store
                .observe_server_clock(page.server_hlc)
                .map_err(SyncError::store)?;
            self.report.future_pulled += page.entries.iter().filter(|e| e.future).count() as u64;
            self.report.server_hlc = Some(page.server_hlc);
            pulled += page.entries.len() as u64;
            cursor = page.cursor;
            let more = page.has_more;
            super::drop_elsewhere(page.entries);
            self.report.pulled = pulled;
            self.report.cursor = cursor;
            self.report_progress(pull_progress(pulled, more));
            if !more {
                return Ok(PullEnd::Done);
            }
        }
    }
}

fn pull_progress(done: u64, more: bool) -> Progress {
    Progress {
        phase: Phase::Pull,
        done,
        total: None,
        more,
        retry_in: None,
    }
}

/// A page must move forward: entries ascending after `after`, none beyond the new cursor, and a
/// cursor that advances whenever more is announced (or the loop would never end).
fn check_page(page: &PullResponse, after: u64) -> Result<(), SyncError> {
    if page.cursor < after {
        return Err(SyncError::Protocol(format!(
            "the feed cursor went back from {after} to {}",
            page.cursor
        )));
    }
    if page.has_more && page.cursor == after {
        return Err(SyncError::Protocol(format!(
            "the feed announces more after {after} but does not advance"
        )));
    }
    let mut prev = after;
    for e in &page.entries {
        if e.server_seq <= prev || e.server_seq > page.cursor {
            return Err(SyncError::Protocol(format!(
                "feed entry {} is out of order (after {prev}, cursor {})",
                e.server_seq, page.cursor
            )));
        }
        prev = e.server_seq;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangfu_core::sync::Hlc;

    fn page(cursor: u64, has_more: bool) -> PullResponse {
        PullResponse {
            entries: vec![],
            cursor,
            has_more,
            server_hlc: Hlc::ZERO,
            epoch: None,
        }
    }

    #[test]
    fn a_page_must_move_forward() {
        assert!(check_page(&page(10, false), 10).is_ok());
        assert!(check_page(&page(12, true), 10).is_ok());
        assert!(matches!(
            check_page(&page(9, false), 10),
            Err(SyncError::Protocol(_))
        ));
        assert!(matches!(
            check_page(&page(10, true), 10),
            Err(SyncError::Protocol(_))
        ));
    }
}
