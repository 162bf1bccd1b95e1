//! 联系记录: a contact by phone, network or social media. Recorded and synced like any record;
//! it never counts as a visit (the rules engine only counts visits for R2–R4).

use bangfu_core::{Contact, Record};
use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::App;
use crate::clock::epoch_ms;
use crate::error::{AppError, FieldError, Result};
use crate::scope::{Areas, scope_path};
use bangfu_core::ContactChannel;

/// Longest note of a contact.
pub const MAX_NOTE_CHARS: usize = 1000;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ContactInput {
    pub household_id: Uuid,
    pub channel: ContactChannel,
    /// When (RFC 3339); now when absent.
    pub at: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ContactSaved {
    pub id: Uuid,
    pub at: String,
}

impl App {
    /// Records a contact (never a visit).
    pub fn record_contact(&mut self, input: ContactInput) -> Result<ContactSaved> {
        let scope = self.scope()?;
        let household = self.household_in_scope(&scope, input.household_id)?;
        let now = self.now();
        let mut fields = Vec::new();
        let at = match input.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => now,
            Some(text) => match DateTime::<FixedOffset>::parse_from_rfc3339(text) {
                Ok(at) if at > now + Duration::minutes(5) => {
                    fields.push(FieldError {
                        field: "at".into(),
                        code: "in_future".into(),
                        message: "联系时间晚于现在。请选择已经发生的联系时间。".into(),
                    });
                    now
                }
                Ok(at) => at,
                Err(_) => {
                    fields.push(FieldError {
                        field: "at".into(),
                        code: "bad_time".into(),
                        message: "联系时间无法识别。请重新选择日期和时间。".into(),
                    });
                    now
                }
            },
        };
        if input.note.chars().count() > MAX_NOTE_CHARS {
            fields.push(FieldError {
                field: "note".into(),
                code: "too_long".into(),
                message: format!("联系内容太长（最多 {MAX_NOTE_CHARS} 字）。请精简后再保存。"),
            });
        }
        if !fields.is_empty() {
            return Err(AppError::Invalid(fields));
        }
        let contact = Contact {
            id: Uuid::now_v7(),
            household_id: household.id,
            person_id: scope.me.id,
            at,
            channel: input.channel,
            note: input.note.trim().to_owned(),
            corrects: None,
        };
        let mut areas = Areas::default();
        let path = scope_path(&self.store, &mut areas, &household)?;
        self.store.record_change(
            &Record::Contact(contact.clone()),
            scope.me.id,
            &path,
            epoch_ms(now),
            now,
        )?;
        Ok(ContactSaved {
            id: contact.id,
            at: contact.at.to_rfc3339(),
        })
    }
}
