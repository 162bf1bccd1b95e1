-- 0003_states_by_kind: a record's merge state is keyed by its entity kind and id, not by its id
-- alone. An operation that carries an id another kind already uses (a visit with a household's
-- id, pulled from a server that accepted it) is then merged under its own kind, and never folded
-- into the other record. The table is rebuilt with every row kept as it was (SQLite cannot change
-- a primary key in place). The key's first column stays `entity_id`: look-ups by id alone (is an
-- id used by another kind?) use it too.

CREATE TABLE entity_states_by_kind (
    entity_id    BLOB    NOT NULL CHECK (length(entity_id) = 16),
    entity       TEXT    NOT NULL,
    sole_op      BLOB CHECK (sole_op IS NULL OR length(sole_op) = 16),
    state        TEXT,
    scope_path   TEXT,
    hlc_max      INTEGER,
    conflicted   INTEGER NOT NULL DEFAULT 0 CHECK (conflicted IN (0, 1)),
    materialized INTEGER NOT NULL CHECK (materialized IN (0, 1)),
    waiting_for  BLOB,
    waiting_in   TEXT,
    PRIMARY KEY (entity_id, entity),
    CHECK ((sole_op IS NULL) <> (state IS NULL)),
    CHECK ((state IS NULL) = (scope_path IS NULL) AND (state IS NULL) = (hlc_max IS NULL))
);

INSERT INTO entity_states_by_kind (entity_id, entity, sole_op, state, scope_path, hlc_max,
                                   conflicted, materialized, waiting_for, waiting_in)
SELECT entity_id, entity, sole_op, state, scope_path, hlc_max, conflicted, materialized,
       waiting_for, waiting_in
FROM entity_states;

DROP TABLE entity_states;
ALTER TABLE entity_states_by_kind RENAME TO entity_states;
CREATE INDEX entity_states_conflicted ON entity_states (entity, entity_id) WHERE conflicted = 1;
CREATE INDEX entity_states_waiting ON entity_states (waiting_for) WHERE materialized = 0;
