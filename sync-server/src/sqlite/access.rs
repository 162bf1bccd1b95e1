//! [`AccessStorage`] on SQLite: accounts, device tokens, scopes, the audit log (migration 2).

use chrono::{Days, NaiveDate};
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use super::codec::{self, u64_from_sql, u64_to_sql};
use super::{SqliteStorage, lock};
use crate::auth::scope::ENDED_GRACE_DAYS;
use crate::auth::{
    self, AccessStorage, Account, AccountError, Anchor, AuditEntry, AuthError, DeviceInfo,
    NewAccount, Principal, Role, Scope,
};
use crate::error::StorageError;

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.display_name, a.role, a.person_id, a.unit_id, a.area_path, a.disabled, \
     a.created_at_ms";

fn opt_uuid(r: &Row<'_>, i: usize, what: &str) -> Result<Option<Uuid>, StorageError> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        v => codec::uuid_from(v, what).map(Some),
    }
}

fn account_row(r: &Row<'_>) -> Result<Account, StorageError> {
    let role: String = r.get(3)?;
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).ok_or_else(|| StorageError::corrupt("accounts.role", &role))?,
        person_id: opt_uuid(r, 4, "accounts.person_id")?,
        unit_id: opt_uuid(r, 5, "accounts.unit_id")?,
        area_path: r.get(6)?,
        disabled: r.get(7)?,
        created_at_ms: u64_from_sql(r.get(8)?),
    })
}

fn account_by_name(conn: &Connection, username: &str) -> Result<Option<Account>, StorageError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.username = ?1");
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows = st.query([username])?;
    match rows.next()? {
        Some(r) => account_row(r).map(Some),
        None => Ok(None),
    }
}

fn audit_in(
    conn: &Connection,
    actor: &str,
    device: Option<Uuid>,
    action: &str,
    detail: &str,
    now_ms: u64,
) -> Result<(), StorageError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at_ms, actor, device_id, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        u64_to_sql(now_ms),
        actor,
        device.as_ref().map(codec::id),
        action,
        detail
    ])?;
    Ok(())
}

/// Household paths of active pairings, and `(path, last day)` of lately ended ones.
type Paired = (Vec<String>, Vec<(String, NaiveDate)>);

/// `(household path, pairing end)` of the pairings of `cadres` that are active on `today` or
/// ended within the grace period.
fn pairings_of(
    conn: &Connection,
    cadres: &[Uuid],
    today: NaiveDate,
) -> Result<Paired, StorageError> {
    let grace_start = today
        .checked_sub_days(Days::new(ENDED_GRACE_DAYS as u64))
        .unwrap_or(today);
    let mut active = Vec::new();
    let mut ended = Vec::new();
    let mut st = conn.prepare_cached(
        "SELECT h.scope_path, json_extract(p.record, '$.record.start'),
                json_extract(p.record, '$.record.end')
         FROM entities p JOIN entities h
           ON h.entity = 'household'
          AND h.entity_id = unhex(replace(json_extract(p.record, '$.record.household_id'), '-', ''))
         WHERE p.entity = 'pairing' AND json_extract(p.record, '$.record.cadre_id') = ?1",
    )?;
    for cadre in cadres {
        let mut rows = st.query([cadre.hyphenated().to_string()])?;
        while let Some(r) = rows.next()? {
            let path: String = r.get(0)?;
            let start: Option<String> = r.get(1)?;
            let end: Option<String> = r.get(2)?;
            let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
            if start.as_deref().and_then(date).is_some_and(|s| s > today) {
                continue;
            }
            match end.as_deref().map(date) {
                None => active.push(path),
                Some(Some(e)) if e >= today => active.push(path),
                Some(Some(e)) if e >= grace_start => ended.push((path, e)),
                _ => {}
            }
        }
    }
    Ok((active, ended))
}

fn scope_in(conn: &Connection, account: &Account, today: NaiveDate) -> Result<Scope, StorageError> {
    Ok(match Anchor::of(account.role) {
        Anchor::Area(_) if account.role == Role::CountyOffice => Scope::all(),
        Anchor::Area(_) => Scope::of(account.area_path.clone(), [], []),
        Anchor::Person => {
            let cadres: Vec<Uuid> = account.person_id.into_iter().collect();
            let (active, ended) = pairings_of(conn, &cadres, today)?;
            Scope::of([], active, ended)
        }
        Anchor::Unit => {
            let mut cadres = Vec::new();
            if let Some(unit) = account.unit_id {
                let mut st = conn.prepare_cached(
                    "SELECT entity_id FROM entities
                     WHERE entity = 'person' AND json_extract(record, '$.record.unit_id') = ?1",
                )?;
                let mut rows = st.query([unit.hyphenated().to_string()])?;
                while let Some(r) = rows.next()? {
                    cadres.push(codec::uuid_from(r.get_ref(0)?, "entities.entity_id")?);
                }
            }
            let (active, ended) = pairings_of(conn, &cadres, today)?;
            Scope::of([], active, ended)
        }
    })
}

impl AccessStorage for SqliteStorage {
    fn create_account(
        &self,
        new: &NewAccount,
        actor: &str,
        now_ms: u64,
    ) -> Result<Account, AccountError> {
        new.check().map_err(AccountError::Invalid)?;
        let hash = auth::hash_password(&new.password).map_err(AccountError::Invalid)?;
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction().map_err(StorageError::from)?;
        if account_by_name(&tx, &new.username)?.is_some() {
            return Err(AccountError::Exists);
        }
        tx.execute(
            "INSERT INTO accounts (username, display_name, role, person_id, unit_id, area_path,
                                   password_hash, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                new.username,
                new.display_name,
                new.role.as_str(),
                new.person_id.as_ref().map(codec::id),
                new.unit_id.as_ref().map(codec::id),
                new.area_path,
                hash,
                u64_to_sql(now_ms)
            ],
        )
        .map_err(StorageError::from)?;
        let account = account_by_name(&tx, &new.username)?.ok_or(AccountError::NoSuchAccount)?;
        audit_in(
            &tx,
            actor,
            None,
            "account_create",
            &format!("account {} role {}", account.id, account.role),
            now_ms,
        )?;
        tx.commit().map_err(StorageError::from)?;
        Ok(account)
    }

    fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
        actor: &str,
        now_ms: u64,
    ) -> Result<Account, AccountError> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction().map_err(StorageError::from)?;
        let n = tx
            .execute(
                "UPDATE accounts SET disabled = ?2 WHERE username = ?1",
                params![username, disabled],
            )
            .map_err(StorageError::from)?;
        if n == 0 {
            return Err(AccountError::NoSuchAccount);
        }
        let account = account_by_name(&tx, username)?.ok_or(AccountError::NoSuchAccount)?;
        let action = if disabled {
            "account_disable"
        } else {
            "account_enable"
        };
        audit_in(
            &tx,
            actor,
            None,
            action,
            &format!("account {}", account.id),
            now_ms,
        )?;
        tx.commit().map_err(StorageError::from)?;
        Ok(account)
    }

    fn accounts(&self) -> Result<Vec<Account>, StorageError> {
        self.read(|c| {
            let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.username");
            let mut st = c.prepare(&sql)?;
            let mut rows = st.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(account_row(r)?);
            }
            Ok(out)
        })
    }

    fn sign_in(
        &self,
        username: &str,
        password: &str,
        device: Uuid,
        device_name: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<Result<(Account, String), AuthError>, StorageError> {
        // The attempt is reserved under the writer: the wait is read and this attempt counted as
        // a failure in one transaction, before the slow hash check (which runs without the
        // writer). Parallel guesses each see those before them; a right password resets the
        // count; a crash mid-check gives no free guess.
        let found = {
            let mut conn = lock(&self.writer)?;
            let tx = conn.transaction()?;
            let row = tx
                .prepare_cached(
                    "SELECT id, password_hash, failed_signins, last_failed_ms FROM accounts
                     WHERE username = ?1",
                )?
                .query_row([username], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .optional()?;
            match row {
                None => None,
                Some((id, phc, failures, last_failed)) => {
                    let last = u64_from_sql(last_failed);
                    let failures = if now_ms.saturating_sub(last) >= auth::FORGET_AFTER_MS {
                        0
                    } else {
                        failures
                    };
                    let wait = auth::wait_after_failures(failures, last, now_ms);
                    if wait > 0 {
                        audit_in(
                            &tx,
                            username,
                            Some(device),
                            "signin_throttled",
                            &format!("account {id}"),
                            now_ms,
                        )?;
                        tx.commit()?;
                        return Ok(Err(AuthError::SlowDown(wait)));
                    }
                    tx.execute(
                        "UPDATE accounts SET failed_signins = ?2, last_failed_ms = ?3 WHERE id = ?1",
                        params![id, failures.saturating_add(1), u64_to_sql(now_ms)],
                    )?;
                    tx.commit()?;
                    Some((id, phc))
                }
            }
        };
        let Some((id, phc)) = found else {
            auth::verify_against_dummy(password);
            self.audit_unknown_signin(device, now_ms)?;
            return Ok(Err(AuthError::BadCredentials));
        };
        let ok = auth::verify_password(password, &phc);
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction()?;
        if !ok {
            // Counted already, when it was reserved.
            audit_in(
                &tx,
                username,
                Some(device),
                "signin_failed",
                &format!("account {id}"),
                now_ms,
            )?;
            tx.commit()?;
            return Ok(Err(AuthError::BadCredentials));
        }
        tx.execute("UPDATE accounts SET failed_signins = 0 WHERE id = ?1", [id])?;
        let account = account_by_name(&tx, username)?
            .ok_or_else(|| StorageError::Internal("account vanished during sign-in".into()))?;
        let refused = if account.disabled {
            Some(("signin_disabled", AuthError::Disabled))
        } else {
            // A device id belongs to the account that enrolled it, and a revoked one stays so.
            let enrolled: Option<(i64, Option<i64>)> = tx
                .prepare_cached(
                    "SELECT account_id, revoked_at_ms FROM device_tokens WHERE device_id = ?1",
                )?
                .query_row([codec::id(&device)], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match enrolled {
                Some((_, Some(_))) => Some(("signin_device_revoked", AuthError::Revoked)),
                Some((owner, None)) if owner != id => {
                    Some(("signin_device_taken", AuthError::DeviceTaken))
                }
                _ => None,
            }
        };
        if let Some((action, e)) = refused {
            audit_in(
                &tx,
                username,
                Some(device),
                action,
                &format!("account {id}"),
                now_ms,
            )?;
            tx.commit()?;
            return Ok(Err(e));
        }
        let token = auth::new_token(device);
        // The row, if any, is this account's and not revoked (checked above, same transaction):
        // a fresh token replaces the old one; what the device was last served stays.
        tx.execute(
            "INSERT INTO device_tokens (device_id, account_id, token_hash, name, created_at_ms,
                                        expires_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (device_id) DO UPDATE SET token_hash = excluded.token_hash,
                name = excluded.name, created_at_ms = excluded.created_at_ms,
                expires_at_ms = excluded.expires_at_ms
             WHERE account_id = excluded.account_id AND revoked_at_ms IS NULL",
            params![
                codec::id(&device),
                id,
                &auth::token_hash(&token)[..],
                device_name,
                u64_to_sql(now_ms),
                u64_to_sql(now_ms.saturating_add(ttl_ms))
            ],
        )?;
        audit_in(
            &tx,
            username,
            Some(device),
            "signin",
            &format!("account {id}"),
            now_ms,
        )?;
        tx.commit()?;
        Ok(Ok((account, token)))
    }

    fn authenticate(
        &self,
        token: &str,
        now_ms: u64,
    ) -> Result<Result<Principal, AuthError>, StorageError> {
        let Some(device) = auth::token_device(token) else {
            return Ok(Err(AuthError::BadToken));
        };
        let hash = auth::token_hash(token);
        self.read(|c| {
            let sql = format!(
                "SELECT {ACCOUNT_COLUMNS}, d.device_id, d.expires_at_ms, d.revoked_at_ms
                 FROM device_tokens d JOIN accounts a ON a.id = d.account_id
                 WHERE d.token_hash = ?1"
            );
            let mut st = c.prepare_cached(&sql)?;
            let mut rows = st.query([&hash[..]])?;
            let Some(r) = rows.next()? else {
                return Ok(Err(AuthError::BadToken));
            };
            let account = account_row(r)?;
            let stored_device = codec::uuid_from(r.get_ref(9)?, "device_tokens.device_id")?;
            let expires = u64_from_sql(r.get(10)?);
            let revoked: Option<i64> = r.get(11)?;
            Ok(if stored_device != device {
                Err(AuthError::BadToken)
            } else if revoked.is_some() {
                Err(AuthError::Revoked)
            } else if account.disabled {
                Err(AuthError::Disabled)
            } else if expires <= now_ms {
                Err(AuthError::Expired)
            } else {
                Ok(Principal {
                    account,
                    device_id: device,
                })
            })
        })
    }

    fn devices(&self, username: Option<&str>) -> Result<Vec<DeviceInfo>, StorageError> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT d.device_id, a.username, d.name, d.created_at_ms, d.expires_at_ms,
                        d.revoked_at_ms, d.last_sync_ms, d.unsynced_ops, d.unsynced_photos,
                        d.reported_at_ms
                 FROM device_tokens d JOIN accounts a ON a.id = d.account_id
                 WHERE ?1 IS NULL OR a.username = ?1
                 ORDER BY d.created_at_ms DESC, d.device_id",
            )?;
            let mut rows = st.query([username])?;
            let mut out = Vec::new();
            let opt = |v: Option<i64>| v.map(u64_from_sql);
            while let Some(r) = rows.next()? {
                out.push(DeviceInfo {
                    device_id: codec::uuid_from(r.get_ref(0)?, "device_tokens.device_id")?,
                    username: r.get(1)?,
                    name: r.get(2)?,
                    created_at_ms: u64_from_sql(r.get(3)?),
                    expires_at_ms: u64_from_sql(r.get(4)?),
                    revoked_at_ms: opt(r.get(5)?),
                    last_sync_ms: opt(r.get(6)?),
                    reported_unsynced_ops: opt(r.get(7)?),
                    reported_unsynced_photos: opt(r.get(8)?),
                    reported_at_ms: opt(r.get(9)?),
                });
            }
            Ok(out)
        })
    }

    fn revoke_device(&self, device: Uuid, actor: &str, now_ms: u64) -> Result<bool, StorageError> {
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE device_tokens SET revoked_at_ms = COALESCE(revoked_at_ms, ?2) WHERE device_id = ?1",
            params![codec::id(&device), u64_to_sql(now_ms)],
        )?;
        if n > 0 {
            audit_in(
                &tx,
                actor,
                Some(device),
                "device_revoke",
                &format!("device {device}"),
                now_ms,
            )?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    fn note_sync(
        &self,
        device: Uuid,
        unsynced: Option<(u64, u64)>,
        now_ms: u64,
    ) -> Result<(), StorageError> {
        let conn = lock(&self.writer)?;
        match unsynced {
            // At most once a minute: a pull then rarely costs a write (and its fsync).
            None => conn
                .prepare_cached(
                    "UPDATE device_tokens SET last_sync_ms = ?2
                     WHERE device_id = ?1 AND (last_sync_ms IS NULL OR last_sync_ms < ?2 - 60000)",
                )?
                .execute(params![codec::id(&device), u64_to_sql(now_ms)])?,
            Some((ops, photos)) => conn
                .prepare_cached(
                    "UPDATE device_tokens SET unsynced_ops = ?2, unsynced_photos = ?3,
                            reported_at_ms = ?4 WHERE device_id = ?1",
                )?
                .execute(params![
                    codec::id(&device),
                    u64_to_sql(ops),
                    u64_to_sql(photos),
                    u64_to_sql(now_ms)
                ])?,
        };
        Ok(())
    }

    fn scope_of(&self, account: &Account, today: NaiveDate) -> Result<Scope, StorageError> {
        use std::sync::atomic::Ordering;
        let key = (account.id, today);
        let generation = self.scope_generation.load(Ordering::Acquire);
        if let Some((at, scope)) = lock(&self.scopes)?.get(&key)
            && *at == generation
        {
            return Ok(scope.clone());
        }
        let scope = self.read(|c| scope_in(c, account, today))?;
        let mut cache = lock(&self.scopes)?;
        if cache.len() >= 10_000 {
            cache.clear();
        }
        cache.insert(key, (generation, scope.clone()));
        Ok(scope)
    }

    fn device_scope(&self, device: Uuid) -> Result<Option<Scope>, StorageError> {
        let json: Option<Option<String>> = self.read(|c| {
            Ok(
                c.prepare_cached("SELECT read_scope FROM device_tokens WHERE device_id = ?1")?
                    .query_row([codec::id(&device)], |r| r.get(0))
                    .optional()?,
            )
        })?;
        match json.flatten() {
            Some(j) => serde_json::from_str(&j)
                .map(Some)
                .map_err(|e| StorageError::corrupt("device_tokens.read_scope", e)),
            None => Ok(None),
        }
    }

    fn set_device_scope(&self, device: Uuid, scope: &Scope) -> Result<(), StorageError> {
        let json = serde_json::to_string(scope)
            .map_err(|e| StorageError::Internal(format!("scope: {e}")))?;
        let conn = lock(&self.writer)?;
        conn.prepare_cached("UPDATE device_tokens SET read_scope = ?2 WHERE device_id = ?1")?
            .execute(params![codec::id(&device), json])?;
        Ok(())
    }

    fn start_feed(&self, device: Uuid, scope: &Scope) -> Result<(), StorageError> {
        let json = serde_json::to_string(scope)
            .map_err(|e| StorageError::Internal(format!("scope: {e}")))?;
        let conn = lock(&self.writer)?;
        conn.prepare_cached(
            "UPDATE device_tokens SET read_scope = ?2,
                    feed_start_seq = (SELECT COALESCE(MAX(server_seq), 0) FROM ops)
             WHERE device_id = ?1",
        )?
        .execute(params![codec::id(&device), json])?;
        Ok(())
    }

    fn moved_in(&self, device: Uuid, scope: &Scope) -> Result<bool, StorageError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT m.old_path, m.new_path FROM household_moves m
                 WHERE m.server_seq > COALESCE(
                     (SELECT feed_start_seq FROM device_tokens WHERE device_id = ?1), 0)",
            )?;
            let mut rows = st.query([codec::id(&device)])?;
            while let Some(r) = rows.next()? {
                let old: String = r.get(0)?;
                let new: String = r.get(1)?;
                if scope.reads(&new) && !scope.reads(&old) {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StorageError> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, at_ms, actor, device_id, action, detail FROM audit_log
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let mut rows = st.query([limit])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(AuditEntry {
                    id: r.get(0)?,
                    at_ms: u64_from_sql(r.get(1)?),
                    actor: r.get(2)?,
                    device_id: opt_uuid(r, 3, "audit_log.device_id")?,
                    action: r.get(4)?,
                    detail: r.get(5)?,
                });
            }
            Ok(out)
        })
    }

    fn reference(&self) -> Result<Option<bangfu_core::sync::wire::Reference>, StorageError> {
        let json: Option<String> = self.read(|c| {
            Ok(c.prepare_cached("SELECT json FROM reference WHERE id = 1")?
                .query_row([], |r| r.get(0))
                .optional()?)
        })?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| StorageError::corrupt("reference.json", e))
        })
        .transpose()
    }

    fn set_reference(
        &self,
        reference: &bangfu_core::sync::wire::Reference,
        actor: &str,
        now_ms: u64,
    ) -> Result<(), StorageError> {
        let json = serde_json::to_string(reference)
            .map_err(|e| StorageError::Internal(format!("reference: {e}")))?;
        let mut conn = lock(&self.writer)?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO reference (id, json, updated_at_ms) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET json = excluded.json, updated_at_ms = excluded.updated_at_ms",
            params![json, u64_to_sql(now_ms)],
        )?;
        audit_in(
            &tx,
            actor,
            None,
            "reference_set",
            &format!("monitoring lines {}", reference.monitoring_lines.len()),
            now_ms,
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Sign-ins for usernames that do not exist since the last audit row about them.
#[derive(Debug, Default)]
pub(super) struct UnknownSignins {
    /// When the last row was written (0: never).
    last_row_ms: u64,
    /// Attempts since then, not written.
    unwritten: u64,
}

/// One row a minute at most: `signin_failed` "unknown account", with the count of those not
/// written since the row before. (Each would otherwise cost a write and its fsync: 600 of them
/// from one script, 600 rows.)
const UNKNOWN_SIGNIN_ROW_EVERY_MS: u64 = 60_000;

impl SqliteStorage {
    fn audit_unknown_signin(&self, device: Uuid, now_ms: u64) -> Result<(), StorageError> {
        let detail = {
            let mut state = lock(&self.unknown_signins)?;
            if state.last_row_ms != 0
                && now_ms.saturating_sub(state.last_row_ms) < UNKNOWN_SIGNIN_ROW_EVERY_MS
            {
                state.unwritten += 1;
                return Ok(());
            }
            let detail = if state.unwritten == 0 {
                "unknown account".to_owned()
            } else {
                format!(
                    "unknown account (and {} more since the last such entry)",
                    state.unwritten
                )
            };
            state.last_row_ms = now_ms.max(1);
            state.unwritten = 0;
            detail
        };
        let conn = lock(&self.writer)?;
        audit_in(&conn, "-", Some(device), "signin_failed", &detail, now_ms)
    }
}
