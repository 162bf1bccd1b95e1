//! A typed record from its fields (merge winners) without copying them: deserializes straight
//! from the borrowed field map instead of first cloning every value into a new JSON object (that
//! copy was a fifth of the cost of applying a pulled visit).

use std::collections::BTreeMap;
use std::collections::btree_map;

use crate::model::record::Record;
use crate::{
    Area, ConsumptionPurchase, Contact, Evaluation, Household, IncomeRecord, LedgerSubmission,
    Measure, Member, Pairing, Person, Plan, Post, PurchaseEvent, SignReplacement, Unit, Visit,
};
use serde::Deserialize;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::Value;
use uuid::Uuid;

type Error = serde_json::Error;

/// The record `entity`/`id` with `fields` (a field named `id` is ignored: the id is `id`).
pub fn record_from_fields(
    entity: &str,
    id: Uuid,
    fields: &BTreeMap<String, Value>,
) -> Result<Record, Error> {
    let mut buf = Uuid::encode_buffer();
    let id = &*id.hyphenated().encode_lower(&mut buf);
    typed(entity, Fields { id, fields })
}

/// [`record_from_fields`] that also reports the path of every field (at any depth) the record
/// does not have, which serde would otherwise ignore (the server's check refuses them).
pub fn record_from_fields_noting_unknown(
    entity: &str,
    id: Uuid,
    fields: &BTreeMap<String, Value>,
    mut unknown: impl FnMut(String),
) -> Result<Record, Error> {
    let mut buf = Uuid::encode_buffer();
    let id = &*id.hyphenated().encode_lower(&mut buf);
    let mut note = |path: serde_ignored::Path<'_>| unknown(path.to_string());
    typed(
        entity,
        serde_ignored::Deserializer::new(Fields { id, fields }, &mut note),
    )
}

/// The record of `entity`, deserialized from `de`.
fn typed<'de, D: de::Deserializer<'de, Error = Error>>(
    entity: &str,
    de: D,
) -> Result<Record, Error> {
    Ok(match entity {
        "area" => Record::Area(Area::deserialize(de)?),
        "unit" => Record::Unit(Unit::deserialize(de)?),
        "post" => Record::Post(Post::deserialize(de)?),
        "person" => Record::Person(Person::deserialize(de)?),
        "household" => Record::Household(Household::deserialize(de)?),
        "member" => Record::Member(Member::deserialize(de)?),
        "pairing" => Record::Pairing(Pairing::deserialize(de)?),
        "visit" => Record::Visit(Visit::deserialize(de)?),
        "contact" => Record::Contact(Contact::deserialize(de)?),
        "income_record" => Record::IncomeRecord(IncomeRecord::deserialize(de)?),
        "evaluation" => Record::Evaluation(Evaluation::deserialize(de)?),
        "measure" => Record::Measure(Measure::deserialize(de)?),
        "plan" => Record::Plan(Plan::deserialize(de)?),
        "consumption_purchase" => {
            Record::ConsumptionPurchase(ConsumptionPurchase::deserialize(de)?)
        }
        "purchase_event" => Record::PurchaseEvent(PurchaseEvent::deserialize(de)?),
        "sign_replacement" => Record::SignReplacement(SignReplacement::deserialize(de)?),
        "ledger_submission" => Record::LedgerSubmission(LedgerSubmission::deserialize(de)?),
        other => return Err(de::Error::custom(format!("unknown entity `{other}`"))),
    })
}

/// A JSON object made of `id` and `fields`, seen as a deserializer.
struct Fields<'a> {
    id: &'a str,
    fields: &'a BTreeMap<String, Value>,
}

impl<'de> de::Deserializer<'de> for Fields<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Entries {
            id: Some(self.id),
            fields: self.fields.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// The entries of [`Fields`]: `id` first, then every field.
struct Entries<'de> {
    id: Option<&'de str>,
    fields: btree_map::Iter<'de, String, Value>,
    value: Option<Next<'de>>,
}

/// The value after the key just read.
enum Next<'de> {
    Id(&'de str),
    Field(&'de Value),
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if let Some(id) = self.id.take() {
            self.value = Some(Next::Id(id));
            return seed
                .deserialize(BorrowedStrDeserializer::<Error>::new("id"))
                .map(Some);
        }
        for (k, v) in self.fields.by_ref() {
            if k == "id" {
                continue;
            }
            self.value = Some(Next::Field(v));
            return seed
                .deserialize(BorrowedStrDeserializer::<Error>::new(k))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(Next::Id(id)) => seed.deserialize(BorrowedStrDeserializer::<Error>::new(id)),
            Some(Next::Field(v)) => seed.deserialize(v),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len() + usize::from(self.id.is_some()))
    }
}
