//! The `ops` table: every operation this device made or pulled, as JSON with indexed columns.

use bangfu_core::sync::Operation;
use bangfu_core::sync::outgoing::OutgoingOp;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{Result, hlc_sql, seq_sql};
use crate::error::StoreError;

const INSERT: &str = "INSERT INTO ops (op_id, origin_device, origin_seq, hlc, entity, entity_id,
    local, server_seq, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (op_id) DO NOTHING";

/// Where a stored operation comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin<'a> {
    /// Made on this device now: to push, no feed position yet.
    Local,
    /// Pulled from the server's feed at `server_seq`. `json`: the operation's JSON as received
    /// (it parsed to the operation), stored as it is.
    Pulled {
        server_seq: u64,
        json: Option<&'a str>,
    },
}

/// Stores `op` unless an operation with its id is already stored; `true` when it was new. Another
/// operation with the same `(origin_device, origin_seq)` is an error (two operations claiming one
/// place in a device's sequence). Without JSON as received, `op` is serialised into `buf`,
/// scratch space reused across a page.
pub(crate) fn insert(
    conn: &Connection,
    op: &Operation,
    origin: Origin<'_>,
    buf: &mut Vec<u8>,
) -> Result<bool> {
    let (json, local, server_seq) = match origin {
        Origin::Local => (None, true, None),
        Origin::Pulled { server_seq, json } => (json, false, Some(server_seq)),
    };
    let encode_failed = |e: &dyn std::fmt::Display| StoreError::Sync {
        code: "encode_failed",
        message: format!("operation {}: {e}", op.op_id),
    };
    let body = match json {
        Some(json) => json,
        None => {
            buf.clear();
            serde_json::to_writer(&mut *buf, op).map_err(|e| encode_failed(&e))?;
            std::str::from_utf8(buf).map_err(|e| encode_failed(&e))?
        }
    };
    let server_seq = server_seq.map(|s| seq_sql(s, "server_seq")).transpose()?;
    let inserted = conn.prepare_cached(INSERT)?.execute(params![
        op.op_id.as_bytes(),
        op.origin_device.as_bytes(),
        seq_sql(op.origin_seq, "origin_seq")?,
        hlc_sql(op.hlc),
        op.entity,
        op.entity_id.as_bytes(),
        local,
        server_seq,
        body
    ]);
    match inserted {
        Ok(n) => Ok(n == 1),
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
        {
            Err(StoreError::Sync {
                code: "seq_reused",
                message: format!(
                    "device {} sequence number {} already belongs to another operation than {} \
                     (a device restored from an old backup, or two installations sharing an id)",
                    op.origin_device, op.origin_seq, op.op_id
                ),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Records the feed position of an operation already held (this device's own, sent back).
pub(crate) fn set_server_seq(conn: &Connection, op_id: Uuid, server_seq: u64) -> Result<()> {
    conn.prepare_cached("UPDATE ops SET server_seq = ?2 WHERE op_id = ?1 AND server_seq IS NULL")?
        .execute(params![
            op_id.as_bytes(),
            seq_sql(server_seq, "server_seq")?
        ])?;
    Ok(())
}

/// Decodes a stored operation.
pub(crate) fn parse(body: &str, op_id: Option<Uuid>) -> Result<Operation> {
    serde_json::from_str(body).map_err(|e| super::corrupt_json("operation", op_id, "body", &e))
}

/// Runs `sql` (selecting `body` as its only column) and decodes every operation.
pub(crate) fn select(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Operation>> {
    let mut st = conn.prepare_cached(sql)?;
    let mut rows = st.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(parse(super::text(row, 0)?, None)?);
    }
    Ok(out)
}

/// This device's operations with `origin_seq > after`, ascending, at most `limit`, as they are
/// pushed: each body as stored, not parsed (only its id, seq and entity are read from it).
pub(crate) fn pending_push(
    conn: &Connection,
    me: Uuid,
    after: u64,
    limit: usize,
) -> Result<Vec<OutgoingOp>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut st = conn.prepare_cached(
        "SELECT origin_seq, body FROM ops WHERE origin_device = ?1 AND local = 1
         AND origin_seq > ?2 ORDER BY origin_seq LIMIT ?3",
    )?;
    let mut rows = st.query(params![me.as_bytes(), seq_sql(after, "after_seq")?, limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let body = super::text(row, 1)?.to_owned();
        let op = OutgoingOp::from_json(body)
            .map_err(|e| super::corrupt_json("operation", None, "body", &e))?;
        if i64::try_from(op.origin_seq).ok() != Some(seq) {
            return Err(StoreError::Corrupt {
                entity: "operation",
                id: Some(op.op_id),
                field: "body",
                problem: format!("stored as seq {seq} but its body says {}", op.origin_seq),
            });
        }
        out.push(op);
    }
    Ok(out)
}

/// The id of this device's operation `seq`, if held.
pub(crate) fn local_op_id(conn: &Connection, me: Uuid, seq: u64) -> Result<Option<Uuid>> {
    let id: Option<Vec<u8>> = conn
        .prepare_cached("SELECT op_id FROM ops WHERE origin_device = ?1 AND origin_seq = ?2")?
        .query_row(params![me.as_bytes(), seq_sql(seq, "seq")?], |r| r.get(0))
        .optional()?;
    id.map(|b| super::uuid_of(&b, "operation", "op_id"))
        .transpose()
}
