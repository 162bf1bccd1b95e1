//! The push step: send this device's operations in `origin_seq` order, in batches, until the
//! server has processed all of them.
//!
//! Where the transport can send in the background ([`Transport::push_ahead`]), two batches are
//! in flight: while the server writes batch k, batch k+1 is read from the store, encoded, sent,
//! and parsed by the server (which writes a device's pushes in arrival order). Answers are still
//! taken in order, and a batch sent ahead is used only if it follows the batch before and the
//! server had all of that one; otherwise (a gap, a server behind, an error) it is dropped and its
//! operations are sent again (answered as duplicates if it was stored).

use std::sync::Arc;

use bangfu_core::sync::DeviceStore;
use bangfu_core::sync::outgoing::{OutgoingOp, OutgoingPush};
use bangfu_core::sync::wire::{OpResult, OpStatus, PushResponse};

use super::{Phase, Progress, RejectedOp, Run};
use crate::error::SyncError;
use crate::transport::{PushAhead, Transport, TransportError};

/// Pushes in a row that make the server process nothing before the sync gives up.
const MAX_STALLS: u32 = 3;
/// Times in one sync the server may answer that it has less than it said before (a restore from
/// a backup explains one; a server that keeps forgetting would make the sync loop forever).
const MAX_REGRESSIONS: u32 = 3;

impl<S: DeviceStore, T: Transport> Run<'_, S, T> {
    /// Pushes every pending operation. The next batch always starts right after the server's
    /// `device_seq` of the last answer (at first, the store's `acked_seq`): after a lost answer
    /// the batch is sent again (answered as duplicates); when the server is behind what was sent
    /// (a gap: it lost operations, or a batch was cut), the device resends from where the server
    /// is.
    pub(super) async fn push(
        &mut self,
        mut batch_size: usize,
        mut batch_max: usize,
    ) -> Result<(), SyncError> {
        let device_id = self.store.device_id();
        let mut after = self.store.acked_seq().map_err(SyncError::store)?;
        let mut total = self.store.pending_count().map_err(SyncError::store)?;
        let mut done = 0u64;
        let mut stalls = 0u32;
        let mut regressions = 0u32;
        let transport = self.transport;
        self.report_progress(push_progress(done, total, total > 0));
        let mut ahead: Option<(Arc<OutgoingPush>, PushAhead)> = None;
        // The last seq of the batch answered before: a batch sent ahead follows it.
        let mut prev_last = after;
        loop {
            let started = tokio::time::Instant::now();
            let (request, in_flight) = match ahead.take() {
                // It follows the batch before, and the server has all up to that one (it may
                // have more: the batch sent ahead itself, written first, answered below).
                Some((request, sent))
                    if starts_at(&request) == Some(prev_last + 1) && after >= prev_last =>
                {
                    (request, Some(sent))
                }
                _ => {
                    let ops = self
                        .store
                        .pending_push(after, batch_size)
                        .map_err(SyncError::store)?;
                    (Arc::new(OutgoingPush::new(device_id, ops)), None)
                }
            };
            let ops = &request.ops;
            let (Some(first), Some(last)) = (ops.first(), ops.last()) else {
                // Nothing left, unless the server is behind and the device no longer has them.
                if after < self.store.acked_seq().map_err(SyncError::store)? {
                    return Err(SyncError::MissingLocalOps {
                        from: after + 1,
                        found: None,
                    });
                }
                break;
            };
            let (first, last) = (first.origin_seq, last.origin_seq);
            prev_last = last;
            if in_flight.is_none() && first != after + 1 {
                return Err(SyncError::MissingLocalOps {
                    from: after + 1,
                    found: Some(first),
                });
            }
            let sent = ops.len() as u64;
            // This batch goes now (unless it already went), and the next one right behind it.
            let pipeline = self.options.pipeline;
            let in_flight =
                in_flight.or_else(|| pipeline.then(|| transport.push_ahead(request.clone()))?);
            if in_flight.is_some() {
                let next = self
                    .store
                    .pending_push(last, batch_size)
                    .map_err(SyncError::store)?;
                if !next.is_empty() {
                    let next = Arc::new(OutgoingPush::new(device_id, next));
                    ahead = transport.push_ahead(next.clone()).map(|sent| (next, sent));
                }
            }
            let mut attempts = 0u64;
            let answered = match in_flight {
                Some(sent) => {
                    attempts += 1;
                    self.attempts.requests += 1;
                    match sent.await {
                        Err(e) if e.is_retryable() => {
                            self.attempts.retries += 1;
                            None
                        }
                        // Written before the batch it follows (it overtook it on the way): an
                        // older view of the server than the answer before; sent again.
                        Ok(r) if r.device_seq < after => {
                            self.attempts.retries += 1;
                            None
                        }
                        other => Some(other),
                    }
                }
                None => None,
            };
            let outcome = match answered {
                Some(outcome) => outcome,
                None => {
                    self.request(|| {
                        attempts += 1;
                        transport.push(&request)
                    })
                    .await
                }
            };
            self.report.ops_sent += attempts * sent;
            let response = match outcome {
                Ok(r) => r,
                Err(TransportError::Refused { status: 413, .. }) if batch_size > 1 => {
                    batch_size /= 2;
                    batch_max = batch_size;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if started.elapsed() < self.options.grow_below {
                batch_size = batch_size.saturating_mul(2).min(batch_max);
            }
            // A restored server: own operations after its `device_seq` are unsynced again (the
            // loop below sends them: `after` follows `device_seq`), the feed starts over.
            self.follow_epoch(response.epoch, Some(response.device_seq))
                .await?;
            self.store
                .observe_server_clock(response.server_hlc)
                .map_err(SyncError::store)?;
            self.report.server_hlc = Some(response.server_hlc);
            // Only answers up to `device_seq` are final; past a gap they are resent.
            let settled_to = last.min(response.device_seq);
            let settled = settled_results(&response, first, settled_to)?;
            let counted = self.count(&settled, &request.ops);
            self.store
                .acknowledge(&PushResponse {
                    results: settled,
                    device_seq: response.device_seq,
                    server_hlc: response.server_hlc,
                    epoch: response.epoch,
                })
                .map_err(SyncError::store)?;
            done += counted;
            if response.device_seq == after && counted == 0 {
                stalls += 1;
                if stalls >= MAX_STALLS {
                    return Err(SyncError::Stuck {
                        device_seq: response.device_seq,
                    });
                }
            } else {
                stalls = 0;
            }
            if response.device_seq < after {
                // The server has less than the device thought: those operations go again.
                regressions += 1;
                if regressions > MAX_REGRESSIONS {
                    return Err(SyncError::Protocol(format!(
                        "the server's device_seq went back {regressions} times in one sync"
                    )));
                }
                total += after - response.device_seq;
            }
            after = response.device_seq;
            total = total.max(done);
            self.report_progress(push_progress(done, total, true));
        }
        self.report_progress(push_progress(done, done.max(total), false));
        Ok(())
    }

    /// Adds settled results to the report; returns how many operations they cover.
    fn count(&mut self, results: &[OpResult], ops: &[OutgoingOp]) -> u64 {
        let mut counted = 0;
        for r in results {
            let n = r.last_seq - r.first_seq + 1;
            counted += n;
            match r.status {
                OpStatus::Accepted => self.report.accepted += n,
                OpStatus::Duplicate => self.report.duplicate += n,
                OpStatus::Rejected => {
                    for seq in r.first_seq..=r.last_seq {
                        let op = ops.iter().find(|o| o.origin_seq == seq);
                        self.report.rejected.push(RejectedOp {
                            origin_seq: seq,
                            op_id: op.map(|o| o.op_id),
                            entity: op.map(|o| o.entity.clone()),
                            reason: r.reason.clone().unwrap_or_else(|| {
                                bangfu_core::sync::wire::Reason {
                                    code: "unknown".to_owned(),
                                    message: "rejected without a reason".to_owned(),
                                }
                            }),
                        });
                    }
                }
            }
        }
        counted
    }
}

/// The first `origin_seq` of a batch.
fn starts_at(request: &OutgoingPush) -> Option<u64> {
    request.ops.first().map(|o| o.origin_seq)
}

fn push_progress(done: u64, total: u64, more: bool) -> Progress {
    Progress {
        phase: Phase::Push,
        done,
        total: Some(total),
        more,
        retry_in: None,
    }
}

/// The runs of `response` for `first..=settled_to`, clipped to that range, after checking that
/// they cover it exactly, in order. Empty when `settled_to < first` (nothing settled).
fn settled_results(
    response: &PushResponse,
    first: u64,
    settled_to: u64,
) -> Result<Vec<OpResult>, SyncError> {
    let mut out = Vec::new();
    let mut next = first;
    for r in &response.results {
        if r.first_seq > r.last_seq {
            return Err(SyncError::Protocol(format!(
                "a result run goes backwards ({}..{})",
                r.first_seq, r.last_seq
            )));
        }
        if r.first_seq > settled_to || next > settled_to {
            break;
        }
        if r.first_seq != next {
            return Err(SyncError::Protocol(format!(
                "push results skip or repeat operation {next} (a run starts at {})",
                r.first_seq
            )));
        }
        let last = r.last_seq.min(settled_to);
        out.push(OpResult {
            first_seq: r.first_seq,
            last_seq: last,
            ..r.clone()
        });
        next = last + 1;
    }
    if next <= settled_to {
        return Err(SyncError::Protocol(format!(
            "the server processed up to {settled_to} but answered only up to {}",
            next - 1
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangfu_core::sync::Hlc;

    fn run(first: u64, last: u64, status: OpStatus) -> OpResult {
        OpResult {
            first_seq: first,
            last_seq: last,
            status,
            reason: None,
        }
    }

    fn response(results: Vec<OpResult>, device_seq: u64) -> PushResponse {
        PushResponse {
            results,
            device_seq,
            server_hlc: Hlc::ZERO,
            epoch: None,
        }
    }

    #[test]
    fn settled_results_are_clipped_to_device_seq() {
        let r = response(
            vec![
                run(5, 7, OpStatus::Duplicate),
                run(8, 12, OpStatus::Accepted),
            ],
            10,
        );
        let got = settled_results(&r, 5, 10).expect("valid");
        assert_eq!(
            got,
            vec![
                run(5, 7, OpStatus::Duplicate),
                run(8, 10, OpStatus::Accepted)
            ]
        );
        // A gap before the batch: nothing settled.
        let r = response(vec![run(5, 12, OpStatus::Rejected)], 3);
        assert_eq!(settled_results(&r, 5, 3).expect("valid"), vec![]);
    }

    #[test]
    fn results_that_do_not_cover_the_batch_are_a_protocol_violation() {
        let hole = response(
            vec![run(5, 6, OpStatus::Accepted), run(8, 9, OpStatus::Accepted)],
            9,
        );
        assert!(matches!(
            settled_results(&hole, 5, 9),
            Err(SyncError::Protocol(_))
        ));
        let short = response(vec![run(5, 6, OpStatus::Accepted)], 9);
        assert!(matches!(
            settled_results(&short, 5, 9),
            Err(SyncError::Protocol(_))
        ));
        let backwards = response(vec![run(6, 5, OpStatus::Accepted)], 9);
        assert!(matches!(
            settled_results(&backwards, 5, 9),
            Err(SyncError::Protocol(_))
        ));
    }
}
