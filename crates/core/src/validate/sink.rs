//! Collecting errors, and the checks every entity shares (dates, money, text, hashes, references).
//!
//! Nothing here allocates unless an error is found: field paths are [`Path`] values rendered only
//! when an error is pushed. Messages never carry the checked value (it may be personal data).

use std::borrow::Cow;

use chrono::NaiveDate;
use uuid::Uuid;

use super::ValidationError;
use super::codes as c;
use super::lookup::Lookup;
use crate::calendar::Quarter;
use crate::model::area::Person;

/// At most this many errors are returned; a last `too_many_errors` entry then says the list was
/// cut short.
pub const MAX_ERRORS: usize = 1000;

/// Money above this (1 billion yuan, in fen) cannot be one household's or unit's sum.
const MAX_FEN: i64 = 100_000_000_000;

/// First and last day a record of the programme can carry.
pub(super) fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}
pub(super) fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2100, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// A field of a record: `name`, `photos[1]` or `roles[2].from`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Path {
    Field(&'static str),
    Item(&'static str, usize),
    ItemField(&'static str, usize, &'static str),
}

impl Path {
    fn render(self) -> String {
        match self {
            Path::Field(f) => f.to_owned(),
            Path::Item(list, i) => format!("{list}[{i}]"),
            Path::ItemField(list, i, f) => format!("{list}[{i}].{f}"),
        }
    }
}

/// What a field holds, in English and Chinese, for messages (`"visit day"`, `"走访日期"`).
pub(super) type Label = (&'static str, &'static str);

/// The errors found so far, capped at [`MAX_ERRORS`].
#[derive(Debug, Default)]
pub(super) struct Sink {
    errors: Vec<ValidationError>,
    truncated: bool,
}

impl Sink {
    pub fn is_full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    /// Notes that checking stopped with errors possibly left unreported.
    pub fn truncate(&mut self) {
        self.truncated = true;
    }

    pub fn push(&mut self, error: ValidationError) {
        if self.is_full() {
            self.truncated = true;
        } else {
            self.errors.push(error);
        }
    }

    /// Errors of the record `id` of `entity` go through the returned context.
    pub fn ctx(&mut self, entity: &'static str, id: Uuid) -> Ctx<'_> {
        Ctx {
            sink: self,
            entity,
            id,
        }
    }

    pub fn finish(mut self) -> Result<(), Vec<ValidationError>> {
        if self.truncated {
            self.errors.push(ValidationError {
                entity: "dataset",
                record_id: Uuid::nil(),
                field: String::new(),
                code: c::TOO_MANY_ERRORS,
                message: format!(
                    "Only the first {MAX_ERRORS} errors are listed; there may be more. \
                     Correct these and validate again."
                ),
                message_zh: format!(
                    "错误较多，仅列出前{MAX_ERRORS}条，可能还有更多。请先更正这些错误，再重新校验。"
                ),
            });
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// The errors of one record.
#[derive(Debug)]
pub(super) struct Ctx<'s> {
    sink: &'s mut Sink,
    entity: &'static str,
    id: Uuid,
}

impl Ctx<'_> {
    pub fn err(
        &mut self,
        path: Path,
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) {
        if self.sink.is_full() {
            self.sink.truncated = true;
            return;
        }
        self.sink.push(ValidationError {
            entity: self.entity,
            record_id: self.id,
            field: path.render(),
            code,
            message: message.into(),
            message_zh: message_zh.into(),
        });
    }

    /// A required text must not be empty or blank.
    pub fn required(&mut self, path: Path, text: &str, (en, zh): Label) {
        if text.trim().is_empty() {
            self.err(
                path,
                c::REQUIRED,
                format!("The {en} is empty. Fill it in."),
                format!("{zh}不能为空，请填写。"),
            );
        }
    }

    /// A date of the programme lies in 2000–2100.
    pub fn date(&mut self, path: Path, day: NaiveDate, (en, zh): Label) {
        if day < first_day() || day > last_day() {
            self.err(
                path,
                c::DATE_OUT_OF_RANGE,
                format!(
                    "The {en} is before 2000 or after 2100, which cannot be right. Correct the date."
                ),
                format!("{zh}早于2000年或晚于2100年，不可能成立。请核对并更正日期。"),
            );
        }
    }

    /// `end`, when given, is not before `start`.
    pub fn end_not_before(
        &mut self,
        path: Path,
        start: NaiveDate,
        end: Option<NaiveDate>,
        (en, zh): Label,
    ) {
        if end.is_some_and(|end| end < start) {
            self.err(
                path,
                c::END_BEFORE_START,
                format!(
                    "The {en} ends before it starts. Correct the start or the end date \
                     (the end is the last day, inclusive)."
                ),
                format!("{zh}的结束日期早于开始日期。请更正开始或结束日期（结束日期为最后一天，含当天）。"),
            );
        }
    }

    /// A quarter that exists, in 2000–2100. Returns whether it is usable.
    pub fn period(&mut self, path: Path, period: Quarter) -> bool {
        let ok = (1..=4).contains(&period.q) && (2000..=2100).contains(&period.year);
        if !ok {
            self.err(
                path,
                c::PERIOD_INVALID,
                "The quarter does not exist (quarters are 1–4, years 2000–2100). Choose the quarter again.",
                "所属季度不存在（季度为1–4，年份为2000–2100）。请重新选择季度。",
            );
        }
        ok
    }

    /// Money is never negative, nor absurdly large. The amount is not repeated in the message.
    pub fn money(&mut self, path: Path, fen: i64, (en, zh): Label) {
        if fen < 0 {
            self.err(
                path,
                c::NEGATIVE_MONEY,
                format!(
                    "The {en} is negative. Enter it without a minus sign (production costs go in \
                     the business cost field)."
                ),
                format!("{zh}不能为负数。请填写不带负号的金额（生产经营性支出请填在相应栏目）。"),
            );
        } else if fen > MAX_FEN {
            self.err(
                path,
                c::MONEY_TOO_LARGE,
                format!(
                    "The {en} is more than 1 billion yuan, which cannot be right. Check the unit \
                     (yuan, not fen) and the number of digits."
                ),
                format!("{zh}超过10亿元，不可能成立。请核对金额单位（元）和位数。"),
            );
        }
    }

    /// A lowercase hex SHA-256, as photos and signatures are stored.
    pub fn hash(&mut self, path: Path, hash: &str, (en, zh): Label) {
        let ok = hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !ok {
            self.err(
                path,
                c::HASH_INVALID,
                format!(
                    "The {en} reference is not a SHA-256 (64 lowercase hex characters). \
                     Attach the file again."
                ),
                format!("{zh}的文件标识无效（应为64位小写十六进制SHA-256）。请重新添加该文件。"),
            );
        }
    }

    /// A phone number: digits with optional `+`, spaces and dashes, 5–15 digits.
    pub fn phone(&mut self, path: Path, phone: Option<&str>) {
        let Some(phone) = phone else { return };
        let body = phone.trim().strip_prefix('+').unwrap_or(phone.trim());
        let mut digits = 0;
        let mut ok = !body.is_empty();
        for ch in body.chars() {
            match ch {
                '0'..='9' => digits += 1,
                ' ' | '-' => {}
                _ => ok = false,
            }
        }
        if !ok || !(5..=15).contains(&digits) {
            self.err(
                path,
                c::PHONE_INVALID,
                "The phone number is not a phone number (5–15 digits, with optional +, spaces \
                 or dashes). Correct it, or leave it empty.",
                "电话号码格式不正确（应为5–15位数字，可含+、空格或-）。请更正，或留空。",
            );
        }
    }

    /// A reference to a record that does not exist.
    pub fn unknown(&mut self, path: Path, code: &'static str, (en, zh): Label) {
        self.err(
            path,
            code,
            format!(
                "The {en} it refers to does not exist. Choose an existing {en}, or add it first."
            ),
            format!("所选{zh}不存在。请重新选择已有的{zh}，或先录入该{zh}。"),
        );
    }

    pub fn household<L: Lookup + ?Sized>(&mut self, refs: &L, path: Path, id: Uuid) {
        if !refs.household_exists(id) {
            self.unknown(path, c::UNKNOWN_HOUSEHOLD, ("household", "农户"));
        }
    }

    pub fn unit<L: Lookup + ?Sized>(&mut self, refs: &L, path: Path, id: Uuid) {
        if !refs.unit_exists(id) {
            self.unknown(path, c::UNKNOWN_UNIT, ("assisting unit", "帮扶单位"));
        }
    }

    /// The person `id`, or an `unknown_person` error.
    pub fn person<'r, L: Lookup + ?Sized>(
        &mut self,
        refs: &'r L,
        path: Path,
        id: Uuid,
    ) -> Option<Cow<'r, Person>> {
        let person = refs.person(id);
        if person.is_none() {
            self.unknown(path, c::UNKNOWN_PERSON, ("person", "人员"));
        }
        person
    }

    /// `corrects`, when given, names another existing record of the same entity.
    pub fn corrects<L: Lookup + ?Sized>(&mut self, refs: &L, corrects: Option<Uuid>) {
        let Some(target) = corrects else { return };
        if target == self.id {
            self.err(
                Path::Field("corrects"),
                c::CORRECTS_ITSELF,
                "The record says it corrects itself. A correction names the earlier record it replaces.",
                "该记录的“更正对象”是它自己。更正记录应指向被更正的原记录。",
            );
        } else if !refs.exists(self.entity, target) {
            self.err(
                Path::Field("corrects"),
                c::CORRECTS_UNKNOWN,
                "The record it corrects does not exist (or is of another kind). Choose the record \
                 to correct again.",
                "被更正的原记录不存在（或不是同类记录）。请重新选择要更正的记录。",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors_of(f: impl FnOnce(&mut Ctx<'_>)) -> Vec<&'static str> {
        let mut sink = Sink::default();
        f(&mut sink.ctx("visit", Uuid::nil()));
        match sink.finish() {
            Ok(()) => Vec::new(),
            Err(es) => es.into_iter().map(|e| e.code).collect(),
        }
    }

    #[test]
    fn hashes_must_be_lowercase_hex_sha256() {
        let good = "a".repeat(64);
        assert!(errors_of(|c| c.hash(Path::Field("signature"), &good, ("x", "x"))).is_empty());
        for bad in [
            "A".repeat(64),
            "a".repeat(63),
            "g".repeat(64),
            String::new(),
        ] {
            assert_eq!(
                errors_of(|c| c.hash(Path::Field("signature"), &bad, ("x", "x"))),
                [c::HASH_INVALID]
            );
        }
    }

    #[test]
    fn phones_are_digits_with_separators() {
        for good in ["13800138000", "+86 138-0013-8000", "0797-3322110"] {
            assert!(errors_of(|c| c.phone(Path::Field("phone"), Some(good))).is_empty());
        }
        for bad in ["abc", "", "123", "1380013800a", "+"] {
            assert_eq!(
                errors_of(|c| c.phone(Path::Field("phone"), Some(bad))),
                [c::PHONE_INVALID]
            );
        }
    }

    #[test]
    fn paths_render_as_documented() {
        assert_eq!(Path::Field("name").render(), "name");
        assert_eq!(Path::Item("photos", 1).render(), "photos[1]");
        assert_eq!(
            Path::ItemField("members", 2, "id_number").render(),
            "members[2].id_number"
        );
    }

    #[test]
    fn the_list_is_capped_with_a_last_entry_saying_so() {
        let mut sink = Sink::default();
        for _ in 0..MAX_ERRORS + 5 {
            sink.ctx("visit", Uuid::nil())
                .err(Path::Field("x"), c::REQUIRED, "x", "x");
        }
        let errors = sink.finish().expect_err("errors");
        assert_eq!(errors.len(), MAX_ERRORS + 1);
        assert_eq!(errors[MAX_ERRORS].code, c::TOO_MANY_ERRORS);
    }
}
