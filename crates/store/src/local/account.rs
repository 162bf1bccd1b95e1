//! The enrolled account and the PIN (its argon2id hash, wrong guesses and what is left of the
//! wait they caused).

use rusqlite::{OptionalExtension, params};

use super::{LocalDb, ms_sql};
use crate::error::StoreError;

/// The enrolled account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub server_url: String,
    pub username: String,
    pub display_name: String,
    /// The server's role name.
    pub role: String,
    pub person_id: Option<String>,
    pub device_id: String,
    /// RFC 3339.
    pub enrolled_at: String,
}

/// The PIN's hash, failures so far and what is left of the wait they caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinRow {
    pub hash: String,
    pub failures: u32,
    pub wait_left_ms: u64,
}

const PUT_PIN: &str = "INSERT INTO pin (id, hash, failures, locked_until_ms, wait_left_ms)
    VALUES (1, ?1, 0, 0, 0)
    ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, failures = 0, wait_left_ms = 0";

impl LocalDb {
    /// The enrolled account, if any.
    pub fn account(&self) -> Result<Option<AccountRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT server_url, username, display_name, role, person_id, device_id,
                        enrolled_at
                 FROM account WHERE id = 1",
                [],
                |r| {
                    Ok(AccountRow {
                        server_url: r.get(0)?,
                        username: r.get(1)?,
                        display_name: r.get(2)?,
                        role: r.get(3)?,
                        person_id: r.get(4)?,
                        device_id: r.get(5)?,
                        enrolled_at: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores the account and the PIN's hash together (one transaction; the PIN's failures are
    /// cleared).
    pub fn put_account(&mut self, a: &AccountRow, pin_hash: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO account (id, server_url, username, display_name, role, person_id,
                                  device_id, enrolled_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url,
                 username = excluded.username, display_name = excluded.display_name,
                 role = excluded.role, person_id = excluded.person_id,
                 device_id = excluded.device_id, enrolled_at = excluded.enrolled_at",
            params![
                a.server_url,
                a.username,
                a.display_name,
                a.role,
                a.person_id,
                a.device_id,
                a.enrolled_at
            ],
        )?;
        tx.execute(PUT_PIN, [pin_hash])?;
        tx.commit()?;
        Ok(())
    }

    /// The PIN, if one was set.
    pub fn pin(&self) -> Result<Option<PinRow>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT hash, failures, wait_left_ms FROM pin WHERE id = 1",
                [],
                |r| {
                    Ok(PinRow {
                        hash: r.get(0)?,
                        failures: r.get::<_, i64>(1)?.try_into().unwrap_or(u32::MAX),
                        wait_left_ms: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                    })
                },
            )
            .optional()?)
    }

    /// Sets a new PIN hash, clearing failures and wait.
    pub fn put_pin(&self, hash: &str) -> Result<(), StoreError> {
        self.conn.execute(PUT_PIN, [hash])?;
        Ok(())
    }

    /// Records wrong guesses in a row and the wait they cause.
    pub fn set_pin_failures(&self, failures: u32, wait_left_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE pin SET failures = ?1, wait_left_ms = ?2 WHERE id = 1",
            params![i64::from(failures), ms_sql(wait_left_ms)],
        )?;
        Ok(())
    }

    /// Records what is left of the PIN's wait.
    pub fn set_pin_wait_left(&self, wait_left_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE pin SET wait_left_ms = ?1 WHERE id = 1",
            [ms_sql(wait_left_ms)],
        )?;
        Ok(())
    }
}
