//! Visit drafts: at most one open per household, each stored whole as the app's JSON.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::{LocalDb, ms_sql};
use crate::error::StoreError;

impl LocalDb {
    /// The body of draft `id`, if it is open.
    pub fn draft(&self, id: Uuid) -> Result<Option<String>, StoreError> {
        self.one_draft("SELECT body FROM drafts WHERE id = ?1", id)
    }

    /// The body of the household's open draft, if any.
    pub fn draft_of_household(&self, household_id: Uuid) -> Result<Option<String>, StoreError> {
        self.one_draft(
            "SELECT body FROM drafts WHERE household_id = ?1",
            household_id,
        )
    }

    fn one_draft(&self, sql: &str, id: Uuid) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// The households with an open draft.
    pub fn draft_households(&self) -> Result<BTreeSet<Uuid>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT household_id FROM drafts")?;
        let mut rows = st.query([])?;
        let mut out = BTreeSet::new();
        while let Some(r) = rows.next()? {
            if let Ok(id) = r.get::<_, String>(0)?.parse() {
                out.insert(id);
            }
        }
        Ok(out)
    }

    /// Writes a draft (one statement: it is there, whole, when this returns). A draft keeps the
    /// household it was opened for.
    pub fn put_draft(
        &self,
        id: Uuid,
        household_id: Uuid,
        updated_at_ms: u64,
        body: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO drafts (id, household_id, updated_at_ms, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET updated_at_ms = excluded.updated_at_ms,
                                            body = excluded.body",
            params![
                id.to_string(),
                household_id.to_string(),
                ms_sql(updated_at_ms),
                body
            ],
        )?;
        Ok(())
    }

    /// Throws a draft away.
    pub fn delete_draft(&self, id: Uuid) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM drafts WHERE id = ?1", [id.to_string()])?;
        Ok(())
    }

    /// Whether any open draft's body mentions `text` (a photo's SHA-256).
    pub fn draft_mentions(&self, text: &str) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM drafts WHERE instr(body, ?1) > 0)",
            [text],
            |r| r.get(0),
        )?)
    }

    /// Finishing a visit, in one transaction: its photos (`shas`) queued for upload under
    /// `visit_id` (those not already queued), the draft removed.
    pub fn finish_draft(
        &mut self,
        draft_id: Uuid,
        visit_id: Uuid,
        shas: &[&str],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for sha in shas {
            tx.execute(
                "UPDATE photos SET visit_id = ?2 WHERE sha256 = ?1 AND visit_id IS NULL",
                params![sha, visit_id.to_string()],
            )?;
        }
        tx.execute("DELETE FROM drafts WHERE id = ?1", [draft_id.to_string()])?;
        tx.commit()?;
        Ok(())
    }
}
