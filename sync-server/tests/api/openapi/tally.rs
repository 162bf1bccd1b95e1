//! Judging the answers to malformed requests: never a 5xx, a 2xx only to input the operation
//! does not read, every refusal a 4xx with a JSON `ErrorBody`.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;

use super::harness::{Answer, Auth};
use super::probes::Probe;
use super::spec::Op;
use super::{DOCUMENTED_BUT_NOT_YET_MOUNTED, JSON};

/// What the battery saw.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) sent: usize,
    pub(super) by_status: BTreeMap<u16, usize>,
    /// 2xx answers to input the operation does not read.
    pub(super) ignored: usize,
    /// (operation, status) answered but not in the operation's documented responses.
    pub(super) undocumented: BTreeSet<(String, u16)>,
    pub(super) failures: Vec<String>,
}

impl Tally {
    pub(super) fn judge(&mut self, op: &Op, probe: &Probe, auth: &Auth, answer: &Answer) {
        self.sent += 1;
        *self.by_status.entry(answer.status).or_default() += 1;
        let status = answer.status;
        let must_refuse = probe.must_refuse || (op.secured() && !matches!(auth, Auth::Valid));
        let what = format!(
            "{} {} [{}; {}]",
            probe.method,
            &probe.path_and_query[..probe.path_and_query.len().min(100)],
            probe.what,
            auth.label()
        );
        let shown =
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)]).into_owned();
        if status >= 500 {
            self.failures.push(format!("{what}: {status} {shown}"));
            return;
        }
        if (200..300).contains(&status) {
            if must_refuse {
                self.failures
                    .push(format!("{what}: {status} for a malformed request: {shown}"));
            } else {
                self.ignored += 1;
            }
            return;
        }
        if !(400..500).contains(&status) {
            self.failures.push(format!("{what}: {status}, not a 4xx"));
            return;
        }
        if matches!(auth, Auth::Valid) && op.secured() && status == 401 {
            // The battery must not lose its token (a request that got through by mistake could
            // sign the device in again): the rest would prove nothing.
            self.failures
                .push(format!("{what}: 401 with the valid token: {shown}"));
        }
        let responses = op.op["responses"].as_object();
        let unmounted = DOCUMENTED_BUT_NOT_YET_MOUNTED.contains(&op.path.as_str());
        if !unmounted
            && responses.is_some_and(|r| !r.is_empty() && !r.contains_key(&status.to_string()))
        {
            self.undocumented.insert((op.name(), status));
        }
        if probe.method == Method::HEAD {
            return;
        }
        let is_json = answer
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with(JSON));
        match answer.error_body() {
            Some(e) if is_json && !e.code.is_empty() && !e.message.is_empty() => {}
            _ => self.failures.push(format!(
                "{what}: {status} without a JSON ErrorBody {{code, message}} ({:?}): {shown}",
                answer.content_type
            )),
        }
    }

    /// Prints what was sent and answered, and fails on any wrong answer that is not one of
    /// `known_gaps` (what, marks: a failure whose message holds every mark is reported, not
    /// fatal); fails too on a known gap that did not show (it is fixed: remove it).
    pub(super) fn assert_clean(&self, operations: usize, known_gaps: &[(&str, &[&str])]) {
        println!(
            "{} malformed requests sent to {operations} documented operations; answers by status \
             {:?}; {} 2xx to input the operation does not read",
            self.sent, self.by_status, self.ignored
        );
        if !self.undocumented.is_empty() {
            println!(
                "statuses answered but not in the operation's documented responses: {:?}",
                self.undocumented
            );
        }
        let (known, unknown): (Vec<String>, Vec<String>) =
            self.failures.iter().cloned().partition(|f| {
                known_gaps
                    .iter()
                    .any(|(_, marks)| marks.iter().all(|m| f.contains(m)))
            });
        for (gap, marks) in known_gaps {
            let n = known
                .iter()
                .filter(|f| marks.iter().all(|m| f.contains(m)))
                .count();
            println!("known gap, {n} answers: {gap}");
            assert!(
                n > 0,
                "the known gap \"{gap}\" did not show: it is fixed, remove it from KNOWN_GAPS"
            );
        }
        assert!(
            unknown.is_empty(),
            "{} of {} requests answered wrongly; the first ones:\n{}",
            unknown.len(),
            self.sent,
            unknown
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
