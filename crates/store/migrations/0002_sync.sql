-- 0002_sync: the device's side of sync. Every local change is an operation (`ops`, written in the
-- same transaction as the change); pulled operations are kept the same way; the per-field merge
-- state of every record is in `entity_states`, and the typed tables of 0001 hold the merge
-- winners ("materialized" records).
-- Encodings as in 0001: ids are 16-byte BLOBs. HLC timestamps are the packed u64 of
-- `bangfu_core::sync::Hlc` stored as a signed 64-bit INTEGER (same bits; order holds until the
-- year 6429). Operations and merge states are JSON TEXT in the wire format of bangfu-core.

-- One row: who this device is, its clock, and how far it has synced.
CREATE TABLE device (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    device_id BLOB    NOT NULL CHECK (length(device_id) = 16),
    -- the latest HLC this device issued or observed
    hlc_last  INTEGER NOT NULL DEFAULT 0,
    -- origin_seq of the next local operation (gap-free: allocated inside the change's transaction)
    next_seq  INTEGER NOT NULL DEFAULT 1 CHECK (next_seq >= 1),
    -- the server's device_seq: local operations up to it are processed by the server
    acked_seq INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq >= 0),
    -- the feed position applied up to
    cursor    INTEGER NOT NULL DEFAULT 0 CHECK (cursor >= 0)
);

-- Every operation this device made or pulled. Never deleted, never changed (but for server_seq).
CREATE TABLE ops (
    op_id         BLOB    NOT NULL PRIMARY KEY CHECK (length(op_id) = 16),
    origin_device BLOB    NOT NULL CHECK (length(origin_device) = 16),
    origin_seq    INTEGER NOT NULL,
    hlc           INTEGER NOT NULL,
    entity        TEXT    NOT NULL,
    entity_id     BLOB    NOT NULL CHECK (length(entity_id) = 16),
    -- 1: made on this device (pushed from here); 0: pulled
    local         INTEGER NOT NULL CHECK (local IN (0, 1)),
    -- the feed position, once the server has sent it back (NULL: not seen in the feed yet)
    server_seq    INTEGER,
    -- the whole operation as JSON (bangfu_core::sync::Operation), scope_path included
    body          TEXT    NOT NULL,
    UNIQUE (origin_device, origin_seq)
);
-- The history of one record.
CREATE INDEX ops_by_entity ON ops (entity_id, hlc);

-- The merge state of every record that operations touched.
CREATE TABLE entity_states (
    entity_id    BLOB    NOT NULL PRIMARY KEY CHECK (length(entity_id) = 16),
    entity       TEXT    NOT NULL,
    -- Either `sole_op` when one operation was applied (the state is then that operation's
    -- fields, each a single head, and its scope path and HLC: most records, and every
    -- append-only one, never change after their creation; a pulled visit then costs no merge
    -- state of its own), or `state`, the EntityState JSON, with the scope path and HLC of the
    -- newest operation applied (highest (hlc, scope_path)).
    sole_op      BLOB CHECK (sole_op IS NULL OR length(sole_op) = 16),
    state        TEXT,
    scope_path   TEXT,
    hlc_max      INTEGER,
    -- 1 when some field holds concurrent different values
    conflicted   INTEGER NOT NULL DEFAULT 0 CHECK (conflicted IN (0, 1)),
    -- 1 when the typed tables hold the merge winners of this record; 0 when they could not be
    -- written (fields incomplete or refused, or a reference to a record this device does not
    -- hold): the typed row is then absent or an older version, and writing it is retried
    materialized INTEGER NOT NULL CHECK (materialized IN (0, 1)),
    -- materialized = 0 for a missing reference: the id and table of the record it waits for
    waiting_for  BLOB,
    waiting_in   TEXT,
    CHECK ((sole_op IS NULL) <> (state IS NULL)),
    CHECK ((state IS NULL) = (scope_path IS NULL) AND (state IS NULL) = (hlc_max IS NULL))
);
CREATE INDEX entity_states_conflicted ON entity_states (entity, entity_id) WHERE conflicted = 1;
CREATE INDEX entity_states_waiting ON entity_states (waiting_for) WHERE materialized = 0;

-- Local operations the server refused, with its reason (the operation stays in `ops`).
CREATE TABLE rejected_ops (
    op_id      BLOB    NOT NULL PRIMARY KEY
               REFERENCES ops (op_id) DEFERRABLE INITIALLY DEFERRED,
    origin_seq INTEGER NOT NULL,
    code       TEXT    NOT NULL,
    message    TEXT    NOT NULL
);
CREATE INDEX rejected_ops_by_seq ON rejected_ops (origin_seq);
