//! The sync screen's data.

use bangfu_app::ErrorCode;
use bangfu_app::contact::ContactInput;
use bangfu_app::sync::{SyncFailure, SyncReport};
use bangfu_core::ContactChannel;

use crate::common::{self, Who};

#[test]
fn sync_status_counts_what_waits_and_keeps_the_last_run() {
    let mut f = common::fixture(Who::Cadre);
    let s = f.app.sync_status().expect("status");
    assert_eq!((s.pending_ops, s.photos_waiting), (0, 0));
    assert!(s.last_sync.is_none());
    let hid = common::paired_household(f.ds(), f.me);
    for _ in 0..2 {
        f.app
            .record_contact(ContactInput {
                household_id: hid,
                channel: ContactChannel::Phone,
                at: None,
                note: String::new(),
            })
            .expect("contact");
    }
    let s = f.app.sync_status().expect("status");
    assert_eq!(s.pending_ops, 2);
    assert_eq!(s.pending.len(), 1);
    assert_eq!(
        (s.pending[0].entity.as_str(), s.pending[0].count),
        ("contact", 2)
    );

    let failed = SyncReport {
        started_at: "2025-12-20T10:00:00+08:00".into(),
        finished_at: "2025-12-20T10:00:05+08:00".into(),
        ok: false,
        pushed: 0,
        pulled: 0,
        rejected: vec![],
        photos_uploaded: 0,
        photos_failed: 0,
        clock_warning: None,
        future_received: 0,
        failure: Some(SyncFailure::of(ErrorCode::Offline, true)),
    };
    f.app.record_sync_run(&failed).expect("record");
    let s = f.app.sync_status().expect("status");
    assert_eq!(s.last_sync.as_ref(), Some(&failed));
    assert!(s.last_success_at.is_none());
    let ok = SyncReport {
        ok: true,
        failure: None,
        pushed: 2,
        finished_at: "2025-12-20T11:00:00+08:00".into(),
        ..failed
    };
    f.app.record_sync_run(&ok).expect("record");
    let s = f.app.sync_status().expect("status");
    assert_eq!(
        s.last_success_at.as_deref(),
        Some("2025-12-20T11:00:00+08:00")
    );
}

#[test]
fn every_failure_says_what_to_do() {
    for code in [
        "offline",
        "connection_lost",
        "timeout",
        "server_unavailable",
        "unauthorized",
        "forbidden",
        "not_found",
        "server_busy",
        "photo_quota",
        "too_large",
        "bad_response",
        "version_mismatch",
        "config",
        "device_storage",
        "disk_full",
        "protocol_violation",
        "push_stuck",
        "local_ops_missing",
    ] {
        let f = SyncFailure::of_sync_code(code, false);
        let expected = if code == "not_found" {
            "service_not_found"
        } else {
            code
        };
        assert_eq!(f.code, expected);
        assert!(f.message_zh.contains("不会丢失"), "{code}");
        assert!(!f.what_to_do.is_empty(), "{code}");
    }
}
