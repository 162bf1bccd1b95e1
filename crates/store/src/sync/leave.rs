//! Leaving a scope: a household that is no longer this device's (its pairing ended) is removed
//! with its whole history, once none of its changes still waits to be synced.
//!
//! Removed: the typed rows, the merge states and the operations of the household's `scope_path`
//! (pulled ones, and this device's own ones the server has processed). Kept: a household with a
//! local change the server has not processed yet, or one it refused (the user must see those);
//! the next sync pushes the changes and then leaves. The device's own operations removed here may
//! lower `own_ops_held_through`: the server then sends back the ones still in scope, which
//! applying skips, so nothing is lost or doubled.

use bangfu_core::sync::Scope;
use rusqlite::Connection;
use uuid::Uuid;

use super::Result;

/// Tables whose rows belong to one household, by `household_id` (children before parents).
const HOUSEHOLD_TABLES: &[&str] = &[
    "sign_replacements",
    "consumption_purchases",
    "measures",
    "plans",
    "evaluations",
    "contacts",
    "visits",
    "pairings",
    "members",
    "household_classes",
];

pub(crate) fn leave_scope(conn: &Connection, me: Uuid, scope: &Scope) -> Result<u64> {
    if scope.all {
        return Ok(0);
    }
    let mut held: Vec<(Vec<u8>, String)> = Vec::new();
    {
        // A record changed once keeps its path in its one operation (`sole_op`).
        let mut st = conn.prepare(
            "SELECT s.entity_id, COALESCE(s.scope_path, json_extract(o.body, '$.scope_path'))
             FROM entity_states s LEFT JOIN ops o ON o.op_id = s.sole_op
             WHERE s.entity = 'household'",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(path) = r.get::<_, Option<String>>(1)? {
                held.push((r.get(0)?, path));
            }
        }
    }
    let mut dropped = 0;
    for (id, path) in held {
        if scope.reads(&path) {
            continue;
        }
        let waiting: i64 = conn
            .prepare_cached(
                "SELECT count(*) FROM ops o
                 WHERE o.local = 1 AND o.origin_device = ?1
                   AND json_extract(o.body, '$.scope_path') = ?2
                   AND (o.origin_seq > (SELECT acked_seq FROM device WHERE id = 1)
                        OR o.op_id IN (SELECT op_id FROM rejected_ops))",
            )?
            .query_row((me.as_bytes(), &path), |r| r.get(0))?;
        if waiting > 0 {
            continue;
        }
        conn.execute(
            "DELETE FROM income_items WHERE income_record_id IN
                 (SELECT id FROM income_records WHERE household_id = ?1)",
            [&id],
        )?;
        conn.execute("DELETE FROM income_records WHERE household_id = ?1", [&id])?;
        for table in HOUSEHOLD_TABLES {
            conn.execute(
                &format!("DELETE FROM {table} WHERE household_id = ?1"),
                [&id],
            )?;
        }
        conn.execute("DELETE FROM households WHERE id = ?1", [&id])?;
        conn.execute(
            "DELETE FROM entity_states WHERE (entity_id, entity) IN
                 (SELECT entity_id, entity FROM ops
                  WHERE json_extract(body, '$.scope_path') = ?1)",
            [&path],
        )?;
        conn.execute(
            "DELETE FROM ops WHERE json_extract(body, '$.scope_path') = ?1
               AND op_id NOT IN (SELECT op_id FROM rejected_ops)",
            [&path],
        )?;
        dropped += 1;
    }
    Ok(dropped)
}
