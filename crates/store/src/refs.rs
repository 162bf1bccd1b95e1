//! [`StoreRefs`]: the validator's look-ups answered from the store.

use std::cell::RefCell;

use bangfu_core::validate::Refs;
use bangfu_core::{Area, Household, Pairing, Person, Post, Unit};
use rusqlite::Connection;
use uuid::Uuid;

use crate::error::StoreError;
use crate::read;
use crate::schema::table_of;

/// Answers [`Refs`] from the database. The trait cannot return errors, so a failed read answers
/// "absent" and is kept: [`StoreRefs::into_result`] returns it, and a caller must check it before
/// trusting the validator's verdict (a refusal caused by an I/O error is not the user's mistake).
#[derive(Debug)]
pub struct StoreRefs<'c> {
    conn: &'c Connection,
    error: RefCell<Option<StoreError>>,
}

impl<'c> StoreRefs<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        StoreRefs {
            conn,
            error: RefCell::new(None),
        }
    }

    /// The first read error met while answering, if any.
    pub fn into_result(self) -> Result<(), StoreError> {
        match self.error.into_inner() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn keep<T>(&self, r: Result<Option<T>, StoreError>) -> Option<T> {
        match r {
            Ok(v) => v,
            Err(e) => {
                let mut slot = self.error.borrow_mut();
                if slot.is_none() {
                    *slot = Some(e);
                }
                None
            }
        }
    }
}

impl Refs for StoreRefs<'_> {
    fn area(&self, id: Uuid) -> Option<Area> {
        self.keep(read::get_area(self.conn, id))
    }

    fn unit(&self, id: Uuid) -> Option<Unit> {
        self.keep(read::get_unit(self.conn, id))
    }

    fn post(&self, id: Uuid) -> Option<Post> {
        self.keep(read::get_post(self.conn, id))
    }

    fn person(&self, id: Uuid) -> Option<Person> {
        self.keep(read::get_person(self.conn, id))
    }

    fn household(&self, id: Uuid) -> Option<Household> {
        self.keep(read::get_household(self.conn, id))
    }

    fn pairing(&self, id: Uuid) -> Option<Pairing> {
        self.keep(read::get_pairing(self.conn, id))
    }

    /// Unknown entities (none with ids) answer `false`.
    fn exists(&self, entity: &'static str, id: Uuid) -> bool {
        if table_of(entity).is_none() {
            return false;
        }
        let found = read::exists(self.conn, entity, id).map(|b| b.then_some(()));
        self.keep(found).is_some()
    }
}
