//! Reads: the feed (pull), devices' progress, merged state, conflicts, refused operations.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;

use bangfu_core::sync::hlc::Hlc;
use bangfu_core::sync::merge::EntityState;
use bangfu_core::sync::op::Operation;
use bangfu_core::sync::wire::{FeedEntry, PullResponse};
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::codec::{self, u64_from_sql};
use super::schema;
use crate::error::StorageError;
use crate::storage::{Conflict, EntityKey, EntitySnapshot, Health, RejectedOp};

/// One page of the feed, with each operation's stored JSON.
#[derive(Debug)]
pub(super) struct PullPage {
    entries: Vec<(u64, String, bool)>,
    cursor: u64,
    has_more: bool,
}

impl PullPage {
    pub(super) fn into_response(
        self,
        server_hlc: Hlc,
        epoch: Uuid,
    ) -> Result<PullResponse, StorageError> {
        let entries = self
            .entries
            .into_iter()
            .map(|(server_seq, body, future)| {
                let op: Operation = serde_json::from_str(&body)
                    .map_err(|e| StorageError::corrupt("ops.body", e))?;
                let mut entry = FeedEntry::new(server_seq, op);
                entry.future = future;
                Ok(entry)
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(PullResponse {
            entries,
            cursor: self.cursor,
            has_more: self.has_more,
            server_hlc,
            epoch: Some(epoch),
        })
    }

    /// The JSON of [`PullResponse`], splicing the stored operation JSON in as it is.
    pub(super) fn into_json(self, server_hlc: Hlc, epoch: Uuid) -> Vec<u8> {
        let size: usize = self.entries.iter().map(|(_, b, _)| b.len() + 40).sum();
        let mut out = Vec::with_capacity(size + 128);
        out.extend_from_slice(b"{\"entries\":[");
        for (i, (seq, body, future)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing to a Vec cannot fail.
            let _ = write!(out, "{{\"server_seq\":{seq},\"op\":");
            out.extend_from_slice(body.as_bytes());
            if *future {
                out.extend_from_slice(b",\"future\":true");
            }
            out.push(b'}');
        }
        let _ = write!(
            out,
            "],\"cursor\":{},\"has_more\":{},\"server_hlc\":\"{server_hlc}\",\"epoch\":\"{epoch}\"}}",
            self.cursor, self.has_more
        );
        out
    }
}

/// Reads one page of the feed in one read transaction (a consistent snapshot).
///
/// Every variant walks the `server_seq` primary key upwards from `after` and filters as it goes
/// (scope, origin device), stopping after `limit + 1` matches: no index beyond the primary key is
/// needed, and skipped operations still move the cursor.
pub(super) fn pull_page(
    conn: &mut Connection,
    after: u64,
    limit: u32,
    scope: Option<&str>,
    exclude_origin: Option<(Uuid, u64)>,
) -> Result<PullPage, StorageError> {
    let tx = conn.transaction()?;
    let after = past_own_run(&tx, after, exclude_origin)?;
    let after_sql = i64::try_from(after).unwrap_or(i64::MAX);
    let fetch = i64::from(limit) + 1;
    let mut rows: Vec<(u64, String, bool)> = Vec::with_capacity(limit.min(10_000) as usize + 1);
    let scope = scope
        .map(|s| s.trim_end_matches('/'))
        .filter(|s| !s.is_empty());
    // Empty (never equal to a stored 16-byte id) when nothing is excluded.
    let exclude: &[u8] = exclude_origin.as_ref().map_or(&[], |(d, _)| codec::id(d));
    let through = exclude_origin.map_or(0, |(_, t)| i64::try_from(t).unwrap_or(i64::MAX));
    {
        let map = |r: &rusqlite::Row<'_>| {
            Ok((
                u64_from_sql(r.get(0)?),
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        };
        match scope {
            None if exclude_origin.is_some() => {
                let mut stmt = tx.prepare_cached(
                    "SELECT server_seq, body, future FROM ops WHERE server_seq > ?1
                       AND NOT (origin_device = ?3 AND origin_seq <= ?4)
                     ORDER BY server_seq LIMIT ?2",
                )?;
                for row in stmt.query_map((after_sql, fetch, exclude, through), map)? {
                    rows.push(row?);
                }
            }
            None => {
                let mut stmt = tx.prepare_cached(
                    "SELECT server_seq, body, future FROM ops WHERE server_seq > ?1
                     ORDER BY server_seq LIMIT ?2",
                )?;
                for row in stmt.query_map((after_sql, fetch), map)? {
                    rows.push(row?);
                }
            }
            Some(path) => {
                // The path itself, or anything below it (`path/…`): '0' follows '/' in ASCII.
                let mut stmt = tx.prepare_cached(
                    "SELECT server_seq, body, future FROM ops WHERE server_seq > ?1
                       AND (scope_path = ?3 OR (scope_path >= ?4 AND scope_path < ?5))
                       AND NOT (origin_device = ?6 AND origin_seq <= ?7)
                     ORDER BY server_seq LIMIT ?2",
                )?;
                let below = format!("{path}/");
                let end = format!("{path}0");
                let params = (after_sql, fetch, path, &below, &end, exclude, through);
                for row in stmt.query_map(params, map)? {
                    rows.push(row?);
                }
            }
        }
    }
    let has_more = rows.len() > limit as usize;
    let cursor = if has_more {
        rows.truncate(limit as usize);
        rows.last().map_or(after, |(s, _, _)| *s)
    } else {
        // Everything up to the newest operation was looked at (some perhaps filtered out).
        let max: i64 = tx
            .prepare_cached("SELECT COALESCE(MAX(server_seq), 0) FROM ops")?
            .query_row([], |r| r.get(0))?;
        after.max(u64_from_sql(max))
    };
    tx.commit()?;
    Ok(PullPage {
        entries: rows,
        cursor,
        has_more,
    })
}

/// Where a pull may start walking the feed: past the run of the asking device's own operations
/// (those it holds, `origin_seq <= through`) that directly follows `after`. The walk would only
/// filter them out one row at a time: a device pulling right after its own first push of 100,000
/// visits read every one of them (about 75 ms) to send nothing.
///
/// Found on the `(origin_device, origin_seq)` index: a device's operations enter the feed in seq
/// order, so when its operations `s0..=s0+k` all exist and `s0+k` sits `k` places after `s0`,
/// they fill every place between. Binary search for the largest such `k`, then one count of the
/// device's operations in `s0..=s0+k` confirms none is missing (a refused one leaves a hole that
/// another device's operation may fill): if one is, nothing is skipped.
fn past_own_run(
    tx: &rusqlite::Transaction<'_>,
    after: u64,
    exclude_origin: Option<(Uuid, u64)>,
) -> Result<u64, StorageError> {
    let Some((device, through)) = exclude_origin else {
        return Ok(after);
    };
    let after_sql = i64::try_from(after).unwrap_or(i64::MAX);
    let through = i64::try_from(through).unwrap_or(i64::MAX);
    let first: Option<(i64, Vec<u8>, i64)> = tx
        .prepare_cached(
            "SELECT server_seq, origin_device, origin_seq FROM ops WHERE server_seq > ?1
             ORDER BY server_seq LIMIT 1",
        )?
        .query_row([after_sql], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((q0, origin, s0)) = first else {
        return Ok(after);
    };
    if origin != codec::id(&device) || s0 > through {
        return Ok(after);
    }
    let mut place = tx.prepare_cached(
        "SELECT server_seq FROM ops WHERE origin_device = ?1 AND origin_seq = ?2",
    )?;
    // `lo`: in the run; `hi`: the first `k` known not to be (or past `through`).
    let (mut lo, mut hi) = (0i64, through.saturating_sub(s0).saturating_add(1));
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let q: Option<i64> = place
            .query_row((codec::id(&device), s0 + mid), |r| r.get(0))
            .optional()?;
        if q == Some(q0 + mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let held: i64 = tx
        .prepare_cached(
            "SELECT count(*) FROM ops WHERE origin_device = ?1
             AND origin_seq >= ?2 AND origin_seq <= ?3",
        )?
        .query_row((codec::id(&device), s0, s0 + lo), |r| r.get(0))?;
    Ok(if held == lo + 1 {
        u64_from_sql(q0 + lo)
    } else {
        after
    })
}

/// Most operations one scoped page looks at: a cadre's pull over a county's feed answers
/// `has_more` after this many instead of scanning the whole feed in one request.
pub(super) const MAX_SCANNED: i64 = 50_000;

/// Like [`pull_page`], keeping only operations whose place passes `keep` (an account's scope: a
/// set of subtrees and households, too many for one SQL condition). An operation on a household's
/// record lies where that household lies *now* (a household the county moved to another village
/// takes its whole history along); others where they were made. Walks the primary key from
/// `after`; the cursor moves past everything looked at.
pub(super) fn pull_page_filtered(
    conn: &mut Connection,
    after: u64,
    limit: u32,
    keep: &dyn Fn(&str) -> bool,
    exclude_origin: Option<(Uuid, u64)>,
) -> Result<PullPage, StorageError> {
    let tx = conn.transaction()?;
    let after = past_own_run(&tx, after, exclude_origin)?;
    let after_sql = i64::try_from(after).unwrap_or(i64::MAX);
    let exclude: &[u8] = exclude_origin.as_ref().map_or(&[], |(d, _)| codec::id(d));
    let through = exclude_origin.map_or(0, |(_, t)| i64::try_from(t).unwrap_or(i64::MAX));
    let mut entries: Vec<(u64, String, bool)> = Vec::new();
    let mut last_seen = after;
    let mut scanned = 0i64;
    let mut has_more = false;
    {
        let mut stmt = tx.prepare_cached(
            "SELECT server_seq, scope_path, origin_device = ?3 AND origin_seq <= ?4, body,
                    household, future
             FROM ops WHERE server_seq > ?1 ORDER BY server_seq LIMIT ?2",
        )?;
        let mut place = tx.prepare_cached(
            "SELECT scope_path FROM entities WHERE entity = 'household' AND entity_id = ?1",
        )?;
        // Household → its current path, for this page.
        let mut households: HashMap<Vec<u8>, Option<String>> = HashMap::new();
        let mut rows = stmt.query((after_sql, MAX_SCANNED + 1, exclude, through))?;
        while let Some(r) = rows.next()? {
            scanned += 1;
            if scanned > MAX_SCANNED {
                has_more = true;
                break;
            }
            let seq = u64_from_sql(r.get(0)?);
            let own: bool = r.get(2)?;
            let path = r
                .get_ref(1)?
                .as_str()
                .map_err(|e| StorageError::corrupt("ops.scope_path", e))?;
            let household = match r.get_ref(4)?.as_blob_or_null() {
                Ok(Some(h)) if !own => Some(h),
                _ => None,
            };
            if let Some(h) = household
                && !households.contains_key(h)
            {
                let p: Option<String> = place.query_row([h], |r| r.get(0)).optional()?;
                households.insert(h.to_vec(), p);
            }
            let now = household
                .and_then(|h| households.get(h))
                .and_then(|p| p.as_deref())
                .unwrap_or(path);
            if !own && keep(now) {
                if entries.len() == limit as usize {
                    has_more = true;
                    break;
                }
                entries.push((seq, r.get(3)?, r.get(5)?));
            }
            last_seen = seq;
        }
    }
    tx.commit()?;
    Ok(PullPage {
        entries,
        cursor: last_seen,
        has_more,
    })
}

/// The database's epoch (migration 5).
pub(super) fn epoch(conn: &Connection) -> Result<Uuid, StorageError> {
    let bytes: Vec<u8> = conn
        .prepare_cached("SELECT epoch FROM server_epoch WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    codec::uuid_from(
        rusqlite::types::ValueRef::Blob(&bytes),
        "server_epoch.epoch",
    )
}

pub(super) fn device_seq(conn: &mut Connection, device: Uuid) -> Result<u64, StorageError> {
    let seq: Option<i64> = conn
        .prepare_cached("SELECT processed_seq FROM devices WHERE device_id = ?1")?
        .query_row([codec::id(&device)], |r| r.get(0))
        .optional()?;
    Ok(seq.map_or(0, u64_from_sql))
}

fn parse_state(json: &str) -> Result<EntityState, StorageError> {
    serde_json::from_str(json).map_err(|e| StorageError::corrupt("entities.state", e))
}

pub(super) fn entity_states(
    conn: &mut Connection,
) -> Result<BTreeMap<EntityKey, EntitySnapshot>, StorageError> {
    let tx = conn.transaction()?;
    let mut out = BTreeMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT e.entity, e.entity_id, e.state, o.body
             FROM entities e JOIN ops o ON o.server_seq = e.last_server_seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let entity: String = r.get(0)?;
            let id = codec::uuid_from(r.get_ref(1)?, "entities.entity_id")?;
            let state = match r.get::<_, Option<String>>(2)? {
                Some(json) => parse_state(&json)?,
                None => {
                    // Append-only: the state is the creating operation's.
                    let body: String = r.get(3)?;
                    let op: Operation = serde_json::from_str(&body)
                        .map_err(|e| StorageError::corrupt("ops.body", e))?;
                    let mut s = EntityState::default();
                    s.apply(&op);
                    s
                }
            };
            let snapshot = EntitySnapshot {
                winners: state.winners(),
                conflicts: state
                    .conflicts()
                    .map(|(f, heads)| (f.to_owned(), heads.to_vec()))
                    .collect(),
            };
            out.insert((entity, id), snapshot);
        }
    }
    tx.commit()?;
    Ok(out)
}

pub(super) fn conflicts(conn: &mut Connection) -> Result<Vec<Conflict>, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT entity, entity_id, scope_path, state FROM entities
         WHERE in_conflict = 1 ORDER BY entity, entity_id",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let entity: String = r.get(0)?;
        let entity_id = codec::uuid_from(r.get_ref(1)?, "entities.entity_id")?;
        let scope_path: String = r.get(2)?;
        let Some(json) = r.get::<_, Option<String>>(3)? else {
            continue;
        };
        for (field, heads) in parse_state(&json)?.conflicts() {
            out.push(Conflict {
                entity: entity.clone(),
                entity_id,
                scope_path: scope_path.clone(),
                field: field.to_owned(),
                heads: heads.to_vec(),
            });
        }
    }
    Ok(out)
}

pub(super) fn rejected(
    conn: &mut Connection,
    device: Option<Uuid>,
) -> Result<Vec<RejectedOp>, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT device, seq, op_id, code, message, body, received_at_ms FROM rejected_ops
         WHERE ?1 IS NULL OR device = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([device.as_ref().map(codec::id)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(RejectedOp {
            device: codec::uuid_from(r.get_ref(0)?, "rejected_ops.device")?,
            seq: u64_from_sql(r.get(1)?),
            op_id: codec::uuid_from(r.get_ref(2)?, "rejected_ops.op_id")?,
            code: r.get(3)?,
            message: r.get(4)?,
            body: r.get(5)?,
            received_at_ms: u64_from_sql(r.get(6)?),
        });
    }
    Ok(out)
}

pub(super) fn future_ops(
    conn: &mut Connection,
    limit: u32,
) -> Result<Vec<crate::storage::FutureOp>, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT server_seq, origin_device, origin_seq, entity, entity_id, hlc, received_at_ms
         FROM ops WHERE future = 1 ORDER BY server_seq DESC LIMIT ?1",
    )?;
    let mut rows = stmt.query([limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(crate::storage::FutureOp {
            server_seq: u64_from_sql(r.get(0)?),
            device: codec::uuid_from(r.get_ref(1)?, "ops.origin_device")?,
            seq: u64_from_sql(r.get(2)?),
            entity: r.get(3)?,
            entity_id: codec::uuid_from(r.get_ref(4)?, "ops.entity_id")?,
            stamped_ms: Hlc::from_packed(u64_from_sql(r.get(5)?)).wall_ms(),
            received_at_ms: u64_from_sql(r.get(6)?),
        });
    }
    Ok(out)
}

pub(super) fn health(conn: &mut Connection) -> Result<Health, StorageError> {
    let version = schema::version(conn)?;
    if version != schema::current_version() {
        return Err(StorageError::Schema(format!(
            "schema version {version}, expected {}",
            schema::current_version()
        )));
    }
    let max: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(server_seq), 0) FROM ops")?
        .query_row([], |r| r.get(0))?;
    Ok(Health {
        status: "ok".to_owned(),
        schema_version: version,
        last_server_seq: u64_from_sql(max),
    })
}
