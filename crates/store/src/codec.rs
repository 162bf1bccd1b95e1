//! How model values become SQL values and back: ids, dates, instants, quarters, enums, lists.
//!
//! Decoding never trusts the disk: every function returns a [`StoreError::Corrupt`] naming the
//! entity, record and field of a value it cannot read.

use bangfu_core::{
    AreaLevel, CheckStatus, ContactChannel, EvaluationOutcome, HouseholdClass, IncomeCategory,
    LabourAbility, MeasureKind, MeasureStatus, MedicalInsurance, MonitoredKind, PairingEndReason,
    PurchaseEventKind, Quarter, Risk, Role, SchoolStage,
};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SecondsFormat};
use rusqlite::Row;
use rusqlite::types::ValueRef;
use uuid::Uuid;

use crate::error::StoreError;

/// An enum stored as its snake_case dataset name.
pub(crate) trait TextEnum: Sized + Copy + 'static {
    /// Every variant (used by tests to compare with serde and the schema's CHECKs).
    #[cfg_attr(not(test), allow(dead_code))]
    const ALL: &'static [Self];
    fn as_text(self) -> &'static str;
    fn from_text(text: &str) -> Option<Self>;
}

/// Implements [`TextEnum`]; the `match` in `as_text` is exhaustive, so a new variant in the model
/// does not compile until it has a name here (and, through a migration, in the schema's CHECK).
macro_rules! text_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl TextEnum for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            fn as_text(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
            fn from_text(text: &str) -> Option<Self> {
                match text { $($text => Some($ty::$variant),)+ _ => None }
            }
        }
    };
}

text_enum!(AreaLevel { County => "county", Township => "township", Village => "village",
    Group => "group" });
text_enum!(Role { Cadre => "cadre", FirstSecretary => "first_secretary",
    TeamMember => "team_member", TownshipStation => "township_station",
    UnitAdmin => "unit_admin", CountyOffice => "county_office" });
text_enum!(HouseholdClass { Lifted => "lifted", Monitored => "monitored",
    RiskEliminated => "risk_eliminated", NotAssisted => "not_assisted" });
text_enum!(MonitoredKind { UnstableLifted => "unstable_lifted", Marginal => "marginal",
    SuddenHardship => "sudden_hardship" });
text_enum!(Risk { Illness => "illness", Disability => "disability", Schooling => "schooling",
    Disaster => "disaster", Accident => "accident", BusinessFailure => "business_failure",
    UnstableEmployment => "unstable_employment", LackOfLabour => "lack_of_labour",
    Housing => "housing", DrinkingWater => "drinking_water", Other => "other" });
text_enum!(LabourAbility { Able => "able", Weak => "weak", None => "none" });
text_enum!(SchoolStage { NotInSchool => "not_in_school", Preschool => "preschool",
    Primary => "primary", JuniorSecondary => "junior_secondary",
    SeniorSecondary => "senior_secondary", Vocational => "vocational", Higher => "higher",
    Dropout => "dropout" });
text_enum!(MedicalInsurance { Resident => "resident", Employee => "employee", None => "none" });
text_enum!(PairingEndReason { DepartmentChange => "department_change",
    Resignation => "resignation", Health => "health", Retirement => "retirement",
    HouseholdNotAssisted => "household_not_assisted", Other => "other" });
text_enum!(CheckStatus { Ok => "ok", Risk => "risk" });
text_enum!(ContactChannel { Phone => "phone", Network => "network",
    SocialMedia => "social_media" });
text_enum!(IncomeCategory { Wage => "wage", Business => "business", Transfer => "transfer",
    Property => "property" });
text_enum!(MeasureKind { Industry => "industry", Employment => "employment",
    PublicWelfarePost => "public_welfare_post", Microcredit => "microcredit",
    Education => "education", CompulsoryEducation => "compulsory_education", Health => "health",
    HousingSafety => "housing_safety", WaterSafety => "water_safety", Relocation => "relocation",
    SocialSecurity => "social_security", Social => "social",
    LivingConditions => "living_conditions", Infrastructure => "infrastructure",
    Consumption => "consumption", SkillsTraining => "skills_training" });
text_enum!(MeasureStatus { Planned => "planned", InProgress => "in_progress", Done => "done",
    Cancelled => "cancelled" });
text_enum!(EvaluationOutcome { Continue => "continue", Strengthen => "strengthen",
    AdjustPlan => "adjust_plan", ProposeElimination => "propose_elimination" });
text_enum!(PurchaseEventKind { Purchase => "purchase", Matching => "matching" });

/// `YYYY-MM-DD`. Years outside 0–9999 (refused by validation) fall back to chrono's own form.
pub(crate) fn date_text(d: NaiveDate) -> String {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return d.to_string();
    }
    let (m, day) = (d.month(), d.day());
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let y = y.unsigned_abs();
    let mut s = String::with_capacity(10);
    for c in [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        '-',
        digit(m / 10),
        digit(m),
        '-',
        digit(day / 10),
        digit(day),
    ] {
        s.push(c);
    }
    s
}

/// Parses what [`date_text`] wrote.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let num = |r: std::ops::Range<usize>| {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let y = i32::try_from(num(0..4)?).ok()?;
        return NaiveDate::from_ymd_opt(y, num(5..7)?, num(8..10)?);
    }
    s.parse().ok()
}

/// RFC 3339 with the device's own offset, e.g. `2024-03-05T10:30:00+08:00` (fractions as needed).
pub(crate) fn instant_text(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Comma-separated snake_case names.
pub(crate) fn enum_list_text<T: TextEnum>(items: &[T]) -> String {
    let mut s = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(item.as_text());
    }
    s
}

/// A JSON array of strings (`[]` when empty, without calling serde).
pub(crate) fn string_list_text(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".to_owned();
    }
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// Parses a JSON array of strings as [`string_list_text`] writes it, without serde, when no string
/// needs an escape (then a `"` can only delimit a string). `None` means "use a real JSON parser".
pub(crate) fn parse_plain_string_list(s: &str) -> Option<Vec<String>> {
    if s.contains('\\') {
        return None;
    }
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let mut out = Vec::new();
    if inner.is_empty() {
        return Some(out);
    }
    let mut rest = inner;
    loop {
        let body = rest.strip_prefix('"')?;
        let end = body.find('"')?;
        out.push(body[..end].to_owned());
        rest = &body[end + 1..];
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix(',')?;
    }
}

/// Reads the columns of one row, turning every undecodable value into [`StoreError::Corrupt`].
pub(crate) struct Cols<'r, 's> {
    row: &'r Row<'s>,
    entity: &'static str,
    /// The record's id, once read (for error messages).
    id: Option<Uuid>,
}

impl<'r, 's> Cols<'r, 's> {
    pub(crate) fn new(row: &'r Row<'s>, entity: &'static str) -> Self {
        Cols {
            row,
            entity,
            id: None,
        }
    }

    /// Reads the record's own id from column `i` and remembers it for later errors.
    pub(crate) fn record_id(&mut self, i: usize) -> Result<Uuid, StoreError> {
        let id = self.id(i, "id")?;
        self.id = Some(id);
        Ok(id)
    }

    /// Sets the id errors name (for child rows, the parent's id).
    pub(crate) fn set_id(&mut self, id: Uuid) {
        self.id = Some(id);
    }

    pub(crate) fn corrupt(&self, field: &'static str, problem: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            entity: self.entity,
            id: self.id,
            field,
            problem: problem.into(),
        }
    }

    fn value(&self, i: usize, field: &'static str) -> Result<ValueRef<'r>, StoreError> {
        self.row
            .get_ref(i)
            .map_err(|e| self.corrupt(field, e.to_string()))
    }

    pub(crate) fn opt_id(&self, i: usize, field: &'static str) -> Result<Option<Uuid>, StoreError> {
        match self.value(i, field)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => Uuid::from_slice(b)
                .map(Some)
                .map_err(|_| self.corrupt(field, format!("id of {} bytes, not 16", b.len()))),
            other => Err(self.corrupt(field, format!("id stored as {:?}", other.data_type()))),
        }
    }

    pub(crate) fn id(&self, i: usize, field: &'static str) -> Result<Uuid, StoreError> {
        self.opt_id(i, field)?
            .ok_or_else(|| self.corrupt(field, "missing id"))
    }

    pub(crate) fn opt_str(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Option<&'r str>, StoreError> {
        match self.value(i, field)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(b) => std::str::from_utf8(b)
                .map(Some)
                .map_err(|_| self.corrupt(field, "text is not UTF-8")),
            other => Err(self.corrupt(field, format!("text stored as {:?}", other.data_type()))),
        }
    }

    pub(crate) fn str(&self, i: usize, field: &'static str) -> Result<&'r str, StoreError> {
        self.opt_str(i, field)?
            .ok_or_else(|| self.corrupt(field, "missing text"))
    }

    pub(crate) fn opt_text(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self.opt_str(i, field)?.map(str::to_owned))
    }

    pub(crate) fn text(&self, i: usize, field: &'static str) -> Result<String, StoreError> {
        Ok(self.str(i, field)?.to_owned())
    }

    pub(crate) fn opt_i64(&self, i: usize, field: &'static str) -> Result<Option<i64>, StoreError> {
        match self.value(i, field)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(n) => Ok(Some(n)),
            other => Err(self.corrupt(field, format!("integer stored as {:?}", other.data_type()))),
        }
    }

    pub(crate) fn i64(&self, i: usize, field: &'static str) -> Result<i64, StoreError> {
        self.opt_i64(i, field)?
            .ok_or_else(|| self.corrupt(field, "missing integer"))
    }

    pub(crate) fn u32(&self, i: usize, field: &'static str) -> Result<u32, StoreError> {
        let n = self.i64(i, field)?;
        u32::try_from(n).map_err(|_| self.corrupt(field, format!("{n} is out of range")))
    }

    pub(crate) fn i32(&self, i: usize, field: &'static str) -> Result<i32, StoreError> {
        let n = self.i64(i, field)?;
        i32::try_from(n).map_err(|_| self.corrupt(field, format!("{n} is out of range")))
    }

    pub(crate) fn opt_bool(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Option<bool>, StoreError> {
        match self.opt_i64(i, field)? {
            None => Ok(None),
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            Some(n) => Err(self.corrupt(field, format!("{n} is not a boolean"))),
        }
    }

    pub(crate) fn bool(&self, i: usize, field: &'static str) -> Result<bool, StoreError> {
        self.opt_bool(i, field)?
            .ok_or_else(|| self.corrupt(field, "missing boolean"))
    }

    pub(crate) fn opt_f64(&self, i: usize, field: &'static str) -> Result<Option<f64>, StoreError> {
        match self.value(i, field)? {
            ValueRef::Null => Ok(None),
            ValueRef::Real(x) => Ok(Some(x)),
            ValueRef::Integer(n) => Ok(Some(n as f64)),
            other => Err(self.corrupt(field, format!("number stored as {:?}", other.data_type()))),
        }
    }

    pub(crate) fn opt_date(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Option<NaiveDate>, StoreError> {
        match self.opt_str(i, field)? {
            None => Ok(None),
            Some(s) => parse_date(s)
                .map(Some)
                .ok_or_else(|| self.corrupt(field, format!("`{s}` is not a date"))),
        }
    }

    pub(crate) fn date(&self, i: usize, field: &'static str) -> Result<NaiveDate, StoreError> {
        self.opt_date(i, field)?
            .ok_or_else(|| self.corrupt(field, "missing date"))
    }

    pub(crate) fn instant(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<DateTime<FixedOffset>, StoreError> {
        let s = self.str(i, field)?;
        DateTime::parse_from_rfc3339(s)
            .map_err(|_| self.corrupt(field, format!("`{s}` is not an RFC 3339 instant")))
    }

    pub(crate) fn quarter(&self, i: usize, field: &'static str) -> Result<Quarter, StoreError> {
        let s = self.str(i, field)?;
        s.parse()
            .map_err(|_| self.corrupt(field, format!("`{s}` is not a quarter")))
    }

    pub(crate) fn opt_enum<T: TextEnum>(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Option<T>, StoreError> {
        match self.opt_str(i, field)? {
            None => Ok(None),
            Some(s) => T::from_text(s)
                .map(Some)
                .ok_or_else(|| self.corrupt(field, format!("unknown value `{s}`"))),
        }
    }

    pub(crate) fn enum_<T: TextEnum>(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<T, StoreError> {
        self.opt_enum(i, field)?
            .ok_or_else(|| self.corrupt(field, "missing value"))
    }

    pub(crate) fn enum_list<T: TextEnum>(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let s = self.str(i, field)?;
        if s.is_empty() {
            return Ok(Vec::new());
        }
        s.split(',')
            .map(|part| {
                T::from_text(part)
                    .ok_or_else(|| self.corrupt(field, format!("unknown value `{part}`")))
            })
            .collect()
    }

    pub(crate) fn string_list(
        &self,
        i: usize,
        field: &'static str,
    ) -> Result<Vec<String>, StoreError> {
        let s = self.str(i, field)?;
        if let Some(list) = parse_plain_string_list(s) {
            return Ok(list);
        }
        serde_json::from_str(s).map_err(|e| self.corrupt(field, format!("bad list: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: TextEnum + serde::Serialize>() {
        let schema = crate::migrate::all_sql();
        for v in T::ALL {
            let json = serde_json::to_string(v).expect("serialise");
            assert_eq!(json, format!("\"{}\"", v.as_text()));
            assert_eq!(
                T::from_text(v.as_text()).map(|x| x.as_text()),
                Some(v.as_text())
            );
            // Risks are a list column without a CHECK; every other enum is checked by the schema.
            if std::any::type_name::<T>() != std::any::type_name::<Risk>() {
                assert!(
                    schema.contains(&format!("'{}'", v.as_text())),
                    "schema CHECK lacks {}",
                    v.as_text()
                );
            }
        }
    }

    #[test]
    fn enum_names_match_the_dataset_json_and_the_schema() {
        check::<AreaLevel>();
        check::<Role>();
        check::<HouseholdClass>();
        check::<MonitoredKind>();
        check::<Risk>();
        check::<LabourAbility>();
        check::<SchoolStage>();
        check::<MedicalInsurance>();
        check::<PairingEndReason>();
        check::<CheckStatus>();
        check::<ContactChannel>();
        check::<IncomeCategory>();
        check::<MeasureKind>();
        check::<MeasureStatus>();
        check::<EvaluationOutcome>();
        check::<PurchaseEventKind>();
    }

    #[test]
    fn string_lists_round_trip_with_and_without_the_fast_path() {
        let lists: [&[&str]; 6] = [
            &[],
            &[""],
            &["钱二", "钱小妹"],
            &["a,b", "[x]", " spaced "],
            &["say \"hi\"", "back\\slash", "tab\tnew\nline"],
            &["\u{1}control"],
        ];
        for list in lists {
            let list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
            let text = string_list_text(&list);
            let slow: Vec<String> = serde_json::from_str(&text).expect("json");
            assert_eq!(slow, list);
            if let Some(fast) = parse_plain_string_list(&text) {
                assert_eq!(fast, list, "{text}");
            }
        }
        for odd in [
            "[ ]",
            r#"["a" , "b"]"#,
            r#"["a",]"#,
            r#"["a""#,
            r#""a""#,
            "[1]",
            r#"["a""b"]"#,
        ] {
            let fast = parse_plain_string_list(odd);
            let slow = serde_json::from_str::<Vec<String>>(odd).ok();
            assert!(
                fast.is_none() || fast == slow,
                "{odd}: {fast:?} vs {slow:?}"
            );
        }
    }

    #[test]
    fn dates_round_trip_including_odd_years() {
        for s in ["2024-02-29", "0001-01-01", "9999-12-31", "2025-10-05"] {
            let d: NaiveDate = s.parse().expect("date");
            assert_eq!(date_text(d), s);
            assert_eq!(parse_date(s), Some(d));
        }
        for y in [-5, 10_000, 262_000] {
            let d = NaiveDate::from_ymd_opt(y, 3, 4).expect("date");
            assert_eq!(parse_date(&date_text(d)), Some(d), "{}", date_text(d));
        }
        for bad in ["2024-02-30", "2024-13-01", "20x4-01-01", "", "2024/01/01"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
