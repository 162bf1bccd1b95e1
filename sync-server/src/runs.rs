//! Compressing per-operation answers into runs (see [`OpResult`]).

use bangfu_core::sync::wire::{OpResult, OpStatus, Reason};

/// Builds the `results` of a push answer: consecutive operations (by `origin_seq`) with the same
/// status share one run; a rejected operation is always a run of its own, with its reason.
#[derive(Debug, Default)]
pub struct Runs {
    runs: Vec<OpResult>,
}

impl Runs {
    pub fn new() -> Runs {
        Runs::default()
    }

    pub fn accepted(&mut self, seq: u64) {
        self.add(seq, OpStatus::Accepted);
    }

    pub fn duplicate(&mut self, seq: u64) {
        self.add(seq, OpStatus::Duplicate);
    }

    pub fn rejected(&mut self, seq: u64, reason: Reason) {
        self.runs.push(OpResult {
            first_seq: seq,
            last_seq: seq,
            status: OpStatus::Rejected,
            reason: Some(reason),
        });
    }

    fn add(&mut self, seq: u64, status: OpStatus) {
        if let Some(last) = self.runs.last_mut()
            && last.status == status
            && last.last_seq.checked_add(1) == Some(seq)
        {
            last.last_seq = seq;
            return;
        }
        self.runs.push(OpResult {
            first_seq: seq,
            last_seq: seq,
            status,
            reason: None,
        });
    }

    pub fn finish(self) -> Vec<OpResult> {
        self.runs
    }
}

/// Counts of (accepted, duplicate, rejected) operations in a push answer, for logs.
pub fn counts(results: &[OpResult]) -> (u64, u64, u64) {
    let mut c = (0, 0, 0);
    for r in results {
        let n = r.last_seq.saturating_sub(r.first_seq).saturating_add(1);
        match r.status {
            OpStatus::Accepted => c.0 += n,
            OpStatus::Duplicate => c.1 += n,
            OpStatus::Rejected => c.2 += n,
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason() -> Reason {
        Reason {
            code: "x".into(),
            message: "y".into(),
        }
    }

    #[test]
    fn runs_merge_consecutive_same_status_and_isolate_rejections() {
        let mut r = Runs::new();
        r.duplicate(1);
        r.duplicate(2);
        r.accepted(3);
        r.accepted(4);
        r.rejected(5, reason());
        r.rejected(6, reason());
        r.accepted(7);
        r.accepted(9); // not consecutive
        let got: Vec<_> = r
            .finish()
            .into_iter()
            .map(|o| (o.first_seq, o.last_seq, o.status))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 2, OpStatus::Duplicate),
                (3, 4, OpStatus::Accepted),
                (5, 5, OpStatus::Rejected),
                (6, 6, OpStatus::Rejected),
                (7, 7, OpStatus::Accepted),
                (9, 9, OpStatus::Accepted),
            ]
        );
    }
}
