//! The stable codes of [`ValidationError::code`](super::ValidationError::code). Programs and the UI
//! match on these, never on the messages. A code, once published, keeps its meaning.

// Any record.
/// A required text is empty (or only spaces).
pub const REQUIRED: &str = "required";
/// A date before 2000-01-01 or after 2100-12-31: the programme has no such dates.
pub const DATE_OUT_OF_RANGE: &str = "date_out_of_range";
/// An end date (pairing `end`, role grant `to`) before the start date.
pub const END_BEFORE_START: &str = "end_before_start";
/// A sum of money below zero.
pub const NEGATIVE_MONEY: &str = "negative_money";
/// A sum of money too large to be true (more than 1 billion yuan).
pub const MONEY_TOO_LARGE: &str = "money_too_large";
/// A photo or signature reference that is not a lowercase hex SHA-256.
pub const HASH_INVALID: &str = "hash_invalid";
/// A phone number with characters or a length no phone number has.
pub const PHONE_INVALID: &str = "phone_invalid";
/// Two records of one entity with the same id.
pub const DUPLICATE_ID: &str = "duplicate_id";
/// `corrects` names no record of the same entity.
pub const CORRECTS_UNKNOWN: &str = "corrects_unknown";
/// `corrects` names the record itself.
pub const CORRECTS_ITSELF: &str = "corrects_itself";
/// A correction without its reason (`correction_reason`).
pub const CORRECTION_REASON_REQUIRED: &str = "correction_reason_required";
/// A reason given on a record that corrects nothing.
pub const CORRECTION_REASON_WITHOUT_CORRECTS: &str = "correction_reason_without_corrects";
/// A correction's reason longer than [`MAX_CORRECTION_REASON_CHARS`](super::MAX_CORRECTION_REASON_CHARS).
pub const CORRECTION_REASON_TOO_LONG: &str = "correction_reason_too_long";
/// A quarter that does not exist (q outside 1–4, or a year outside 2000–2100).
pub const PERIOD_INVALID: &str = "period_invalid";

// References.
pub const UNKNOWN_AREA: &str = "unknown_area";
/// An area of the wrong administrative level (a household's village that is a township …).
pub const WRONG_AREA_LEVEL: &str = "wrong_area_level";
/// A role grant that needs an area (village, township or county) has none.
pub const MISSING_AREA: &str = "missing_area";
pub const UNKNOWN_UNIT: &str = "unknown_unit";
/// A cadre or unit administrator without a unit.
pub const MISSING_UNIT: &str = "missing_unit";
pub const UNKNOWN_POST: &str = "unknown_post";
/// A person's post belongs to another unit than the person's (or the person has no unit).
pub const POST_NOT_IN_UNIT: &str = "post_not_in_unit";
pub const UNKNOWN_PERSON: &str = "unknown_person";
pub const UNKNOWN_HOUSEHOLD: &str = "unknown_household";
pub const UNKNOWN_PAIRING: &str = "unknown_pairing";
pub const UNKNOWN_PLAN: &str = "unknown_plan";

// Areas.
/// A county with a parent.
pub const COUNTY_HAS_PARENT: &str = "county_has_parent";
/// A township, village or group without a parent.
pub const MISSING_PARENT: &str = "missing_parent";
/// A division code that is not 6 (county), 9 (township) or 12 (village) digits.
pub const AREA_CODE_INVALID: &str = "area_code_invalid";
/// A division code that does not begin with its parent's code.
pub const AREA_CODE_MISMATCH: &str = "area_code_mismatch";

// Members.
pub const ID_NUMBER_LENGTH: &str = "id_number_length";
pub const ID_NUMBER_CHARACTERS: &str = "id_number_characters";
/// The birth date in the ID number does not exist (or is before 1900 or after 2100).
pub const ID_NUMBER_BIRTH_DATE: &str = "id_number_birth_date";
pub const ID_NUMBER_CHECKSUM: &str = "id_number_checksum";
/// Two members of the dataset with the same ID number (dataset check only).
pub const DUPLICATE_ID_NUMBER: &str = "duplicate_id_number";

// Households.
pub const CLASS_HISTORY_EMPTY: &str = "class_history_empty";
/// Class history entries not strictly ascending by `from`.
pub const CLASS_HISTORY_ORDER: &str = "class_history_order";
/// A `monitored` or `risk_eliminated` entry without its kind.
pub const KIND_REQUIRED: &str = "kind_required";
/// A `lifted` or `not_assisted` entry with a kind.
pub const KIND_NOT_ALLOWED: &str = "kind_not_allowed";
/// More than [`MAX_RISKS`](crate::model::household::MAX_RISKS) risks.
pub const TOO_MANY_RISKS: &str = "too_many_risks";
pub const DUPLICATE_RISK: &str = "duplicate_risk";

// Pairings.
pub const UNKNOWN_CADRE: &str = "unknown_cadre";
/// The paired person does not hold the cadre role on the pairing's start.
pub const NOT_A_CADRE: &str = "not_a_cadre";
pub const END_REASON_WITHOUT_END: &str = "end_reason_without_end";

// Visits, contacts, signs.
/// The visitor is unknown, or holds no visiting role (cadre, first secretary, team member)
/// on the visit day.
pub const VISITOR_NOT_CADRE: &str = "visitor_not_cadre";
/// A check marked risk without a note.
pub const RISK_NEEDS_NOTE: &str = "risk_needs_note";
/// A latitude or longitude outside the globe.
pub const PLACE_INVALID: &str = "place_invalid";
/// A sign replacement whose pairing is of another household.
pub const PAIRING_HOUSEHOLD_MISMATCH: &str = "pairing_household_mismatch";
pub const REPLACED_BEFORE_PAIRING: &str = "replaced_before_pairing";

// Income, evaluations, plans, ledgers.
pub const COLLECTED_BEFORE_PERIOD: &str = "collected_before_period";
pub const HOUSEHOLD_SIZE_ZERO: &str = "household_size_zero";
/// More than 50 people in one household.
pub const HOUSEHOLD_SIZE_IMPLAUSIBLE: &str = "household_size_implausible";
pub const EVALUATED_BEFORE_PERIOD: &str = "evaluated_before_period";
/// Outcome `propose_elimination` while a finding says the household is not ready (D5).
pub const OUTCOME_CONTRADICTS_FINDINGS: &str = "outcome_contradicts_findings";
pub const PLAN_WITHOUT_RISKS: &str = "plan_without_risks";
pub const SUBMITTED_BEFORE_PERIOD: &str = "submitted_before_period";

// The dataset as a whole.
pub const DATASET_FORMAT: &str = "dataset_format";
/// Written by a newer bangfu: upgrade.
pub const DATASET_VERSION_NEWER: &str = "dataset_version_newer";
pub const DATASET_VERSION_UNKNOWN: &str = "dataset_version_unknown";
pub const SETTING_OUT_OF_RANGE: &str = "setting_out_of_range";
pub const MONITORING_LINE_NOT_POSITIVE: &str = "monitoring_line_not_positive";
pub const DUPLICATE_MONITORING_LINE: &str = "duplicate_monitoring_line";
/// A region code that is neither `CN` nor 6 digits.
pub const REGION_CODE_INVALID: &str = "region_code_invalid";
/// The error list was cut short; this is its last entry.
pub const TOO_MANY_ERRORS: &str = "too_many_errors";
