-- 0001_initial: the first schema of the bangfu store.
--
-- LANDED MIGRATIONS ARE NEVER EDITED: a change to the schema is a new file 000N_*.sql appended to
-- `MIGRATIONS` in src/migrate.rs. Every database records the checksum of each migration it applied
-- and refuses to open with a build whose text of that migration differs.
--
-- Encodings:
--   ids       BLOB, the 16 bytes of the UUID (same order as the hyphenated text form)
--   dates     TEXT YYYY-MM-DD (local calendar dates)
--   instants  TEXT RFC 3339 with the device's own UTC offset, plus a TEXT local day for ranges
--   money     INTEGER fen
--   enums     TEXT, the snake_case names of the dataset JSON
--   booleans  INTEGER 0/1
-- Order: rows load in rowid (insertion) order; an upsert keeps a row's rowid. Lists inside a
-- record (role grants, class history, income items) keep their order in a `pos` column.
-- Foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at COMMIT, so one transaction may
-- write records in any order (a child before its parent, a correction before what it corrects).

CREATE TABLE settings (
    id                          INTEGER PRIMARY KEY CHECK (id = 1),
    dataset_format              TEXT    NOT NULL,
    dataset_version             INTEGER NOT NULL CHECK (dataset_version >= 0),
    tracking_start              TEXT    NOT NULL,
    income_drop_percent         INTEGER NOT NULL CHECK (income_drop_percent >= 0),
    rigid_expense_jump_percent  INTEGER NOT NULL CHECK (rigid_expense_jump_percent >= 0),
    rigid_expense_jump_min_fen  INTEGER NOT NULL CHECK (rigid_expense_jump_min_fen >= 0),
    r6_pairing_due_working_days INTEGER NOT NULL CHECK (r6_pairing_due_working_days >= 0),
    province_code               TEXT    NOT NULL
);

CREATE TABLE areas (
    id        BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    level     TEXT NOT NULL CHECK (level IN ('county', 'township', 'village', 'group')),
    parent_id BLOB REFERENCES areas (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX areas_by_parent ON areas (parent_id);
CREATE INDEX areas_by_code ON areas (code);

CREATE TABLE units (
    id   BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    name TEXT NOT NULL
);

CREATE TABLE posts (
    id      BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    unit_id BLOB NOT NULL REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED,
    title   TEXT NOT NULL
);
CREATE INDEX posts_by_unit ON posts (unit_id);

CREATE TABLE people (
    id      BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    name    TEXT NOT NULL,
    phone   TEXT,
    unit_id BLOB REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED,
    post_id BLOB REFERENCES posts (id) DEFERRABLE INITIALLY DEFERRED,
    left_on TEXT
);
CREATE INDEX people_by_unit ON people (unit_id);
CREATE INDEX people_by_post ON people (post_id);

CREATE TABLE role_grants (
    person_id BLOB    NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    pos       INTEGER NOT NULL,
    role      TEXT    NOT NULL CHECK (role IN ('cadre', 'first_secretary', 'team_member',
                                               'township_station', 'unit_admin', 'county_office')),
    area_id   BLOB REFERENCES areas (id) DEFERRABLE INITIALLY DEFERRED,
    from_day  TEXT    NOT NULL,
    to_day    TEXT,
    PRIMARY KEY (person_id, pos)
) WITHOUT ROWID;
CREATE INDEX role_grants_by_area ON role_grants (area_id, role);

CREATE TABLE households (
    id            BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    village_id    BLOB NOT NULL REFERENCES areas (id) DEFERRABLE INITIALLY DEFERRED,
    village_group TEXT,
    head_name     TEXT NOT NULL,
    address       TEXT,
    phone         TEXT,
    -- current risks, comma-separated snake_case names in the record's order ('' for none)
    risks         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX households_by_village ON households (village_id);

CREATE TABLE household_classes (
    household_id BLOB    NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    pos          INTEGER NOT NULL,
    from_day     TEXT    NOT NULL,
    class        TEXT    NOT NULL CHECK (class IN ('lifted', 'monitored', 'risk_eliminated',
                                                   'not_assisted')),
    kind         TEXT CHECK (kind IN ('unstable_lifted', 'marginal', 'sudden_hardship')),
    PRIMARY KEY (household_id, pos)
) WITHOUT ROWID;

CREATE TABLE members (
    id                BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id      BLOB NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    name              TEXT NOT NULL,
    relation          TEXT NOT NULL,
    id_number         TEXT NOT NULL,
    labour            TEXT NOT NULL CHECK (labour IN ('able', 'weak', 'none')),
    school_stage      TEXT NOT NULL CHECK (school_stage IN ('not_in_school', 'preschool', 'primary',
                          'junior_secondary', 'senior_secondary', 'vocational', 'higher',
                          'dropout')),
    medical_insurance TEXT NOT NULL CHECK (medical_insurance IN ('resident', 'employee', 'none'))
);
CREATE INDEX members_by_household ON members (household_id);

CREATE TABLE pairings (
    id           BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id BLOB NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    cadre_id     BLOB NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    start_day    TEXT NOT NULL,
    end_day      TEXT,
    end_reason   TEXT CHECK (end_reason IN ('department_change', 'resignation', 'health',
                                            'retirement', 'household_not_assisted', 'other')),
    successor_id BLOB REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    arranged_by  BLOB REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED
);
-- (…, end_day) serves both "all pairings of" and "active pairings of" (end_day IS NULL).
CREATE INDEX pairings_by_household ON pairings (household_id, end_day);
CREATE INDEX pairings_by_cadre ON pairings (cadre_id, end_day);

CREATE TABLE visits (
    id                BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id      BLOB NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    visitor_id        BLOB NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    visited_at        TEXT NOT NULL,
    visited_day       TEXT NOT NULL,
    place_lat         REAL,
    place_lon         REAL,
    present           TEXT NOT NULL DEFAULT '[]',
    education_status  TEXT NOT NULL CHECK (education_status IN ('ok', 'risk')),
    education_note    TEXT,
    medical_status    TEXT NOT NULL CHECK (medical_status IN ('ok', 'risk')),
    medical_note      TEXT,
    housing_status    TEXT NOT NULL CHECK (housing_status IN ('ok', 'risk')),
    housing_note      TEXT,
    water_status      TEXT NOT NULL CHECK (water_status IN ('ok', 'risk')),
    water_note        TEXT,
    policy_talk       TEXT NOT NULL DEFAULT '[]',
    tidy_yard         INTEGER CHECK (tidy_yard IN (0, 1)),
    tidy_rooms        INTEGER CHECK (tidy_rooms IN (0, 1)),
    tidy_kitchen      INTEGER CHECK (tidy_kitchen IN (0, 1)),
    tidy_toilet       INTEGER CHECK (tidy_toilet IN (0, 1)),
    tidy_person       INTEGER CHECK (tidy_person IN (0, 1)),
    tidy_arrangement  INTEGER CHECK (tidy_arrangement IN (0, 1)),
    problems          TEXT NOT NULL DEFAULT '',
    measures          TEXT NOT NULL DEFAULT '',
    photos            TEXT NOT NULL DEFAULT '[]',
    signature         TEXT,
    corrects          BLOB REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    CHECK ((place_lat IS NULL) = (place_lon IS NULL)),
    CHECK ((tidy_yard IS NULL) + (tidy_rooms IS NULL) + (tidy_kitchen IS NULL)
         + (tidy_toilet IS NULL) + (tidy_person IS NULL) + (tidy_arrangement IS NULL) IN (0, 6))
);
CREATE INDEX visits_by_household ON visits (household_id, visited_day);
CREATE INDEX visits_by_visitor ON visits (visitor_id, visited_day);
CREATE INDEX visits_by_corrects ON visits (corrects) WHERE corrects IS NOT NULL;

CREATE TABLE contacts (
    id           BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id BLOB NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    person_id    BLOB NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    at           TEXT NOT NULL,
    at_day       TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('phone', 'network', 'social_media')),
    note         TEXT NOT NULL DEFAULT '',
    corrects     BLOB REFERENCES contacts (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX contacts_by_household ON contacts (household_id, at_day);
CREATE INDEX contacts_by_person ON contacts (person_id, at_day);
CREATE INDEX contacts_by_corrects ON contacts (corrects) WHERE corrects IS NOT NULL;

CREATE TABLE income_records (
    id                   BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id         BLOB    NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    period               TEXT    NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-Q[1-4]'),
    collected_on         TEXT    NOT NULL,
    collector_id         BLOB    NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    household_size       INTEGER NOT NULL CHECK (household_size >= 0),
    business_cost_fen    INTEGER NOT NULL CHECK (business_cost_fen >= 0),
    insurance_payout_fen INTEGER NOT NULL CHECK (insurance_payout_fen >= 0),
    out_of_pocket_fen    INTEGER NOT NULL CHECK (out_of_pocket_fen >= 0),
    rigid_expense_fen    INTEGER NOT NULL CHECK (rigid_expense_fen >= 0),
    corrects             BLOB REFERENCES income_records (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX income_records_by_household ON income_records (household_id, period);
CREATE INDEX income_records_by_corrects ON income_records (corrects) WHERE corrects IS NOT NULL;

CREATE TABLE income_items (
    income_record_id BLOB    NOT NULL
                     REFERENCES income_records (id) DEFERRABLE INITIALLY DEFERRED,
    pos              INTEGER NOT NULL,
    category         TEXT    NOT NULL CHECK (category IN ('wage', 'business', 'transfer',
                                                          'property')),
    label            TEXT    NOT NULL,
    amount_fen       INTEGER NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (income_record_id, pos)
) WITHOUT ROWID;

CREATE TABLE evaluations (
    id                      BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id            BLOB    NOT NULL
                            REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    period                  TEXT    NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-Q[1-4]'),
    evaluated_on            TEXT    NOT NULL,
    evaluator_id            BLOB    NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    income_above_line       INTEGER NOT NULL CHECK (income_above_line IN (0, 1)),
    guarantees_consolidated INTEGER NOT NULL CHECK (guarantees_consolidated IN (0, 1)),
    risk_eliminated         INTEGER NOT NULL CHECK (risk_eliminated IN (0, 1)),
    outcome                 TEXT    NOT NULL CHECK (outcome IN ('continue', 'strengthen',
                                                   'adjust_plan', 'propose_elimination')),
    note                    TEXT    NOT NULL DEFAULT '',
    corrects                BLOB REFERENCES evaluations (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX evaluations_by_household ON evaluations (household_id, period);
CREATE INDEX evaluations_by_corrects ON evaluations (corrects) WHERE corrects IS NOT NULL;

CREATE TABLE plans (
    id           BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id BLOB NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    created_on   TEXT NOT NULL,
    -- risks addressed, comma-separated snake_case names in the record's order
    risks        TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    recorded_by  BLOB NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX plans_by_household ON plans (household_id);

CREATE TABLE measures (
    id           BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id BLOB NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    plan_id      BLOB REFERENCES plans (id) DEFERRABLE INITIALLY DEFERRED,
    kind         TEXT NOT NULL CHECK (kind IN ('industry', 'employment', 'public_welfare_post',
                     'microcredit', 'education', 'compulsory_education', 'health',
                     'housing_safety', 'water_safety', 'relocation', 'social_security', 'social',
                     'living_conditions', 'infrastructure', 'consumption', 'skills_training')),
    started_on   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    description  TEXT NOT NULL DEFAULT '',
    recorded_by  BLOB NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX measures_by_household ON measures (household_id);
CREATE INDEX measures_by_plan ON measures (plan_id) WHERE plan_id IS NOT NULL;

CREATE TABLE consumption_purchases (
    id           BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    unit_id      BLOB    NOT NULL REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED,
    purchased_on TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    amount_fen   INTEGER NOT NULL CHECK (amount_fen >= 0),
    household_id BLOB REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX consumption_purchases_by_unit ON consumption_purchases (unit_id, purchased_on);
CREATE INDEX consumption_purchases_by_household ON consumption_purchases (household_id)
    WHERE household_id IS NOT NULL;

CREATE TABLE purchase_events (
    id      BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    unit_id BLOB NOT NULL REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED,
    held_on TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('purchase', 'matching')),
    title   TEXT NOT NULL
);
CREATE INDEX purchase_events_by_unit ON purchase_events (unit_id, held_on);

CREATE TABLE sign_replacements (
    id           BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    household_id BLOB NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    pairing_id   BLOB NOT NULL REFERENCES pairings (id) DEFERRABLE INITIALLY DEFERRED,
    replaced_on  TEXT NOT NULL,
    recorded_by  BLOB NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX sign_replacements_by_pairing ON sign_replacements (pairing_id);
CREATE INDEX sign_replacements_by_household ON sign_replacements (household_id);

CREATE TABLE ledger_submissions (
    id           BLOB NOT NULL PRIMARY KEY CHECK (length(id) = 16),
    unit_id      BLOB NOT NULL REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED,
    period       TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]-Q[1-4]'),
    submitted_on TEXT NOT NULL
);
CREATE INDEX ledger_submissions_by_unit ON ledger_submissions (unit_id, period);

CREATE TABLE monitoring_lines (
    year            INTEGER NOT NULL,
    region_code     TEXT    NOT NULL,
    yuan_per_person INTEGER NOT NULL CHECK (yuan_per_person >= 0),
    source          TEXT    NOT NULL
);
CREATE INDEX monitoring_lines_by_region ON monitoring_lines (region_code, year);
