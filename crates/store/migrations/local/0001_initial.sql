-- The field app's own database (app.sqlite): the enrolled account, the PIN, visit drafts, the
-- photo queue and sync runs. Nothing here is synced.
CREATE TABLE account (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    server_url   TEXT NOT NULL,
    username     TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    person_id    TEXT,
    device_id    TEXT NOT NULL,
    enrolled_at  TEXT NOT NULL
);
CREATE TABLE pin (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    hash            TEXT NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    locked_until_ms INTEGER NOT NULL DEFAULT 0
);
-- One open visit draft per household; the body is the VisitDraft JSON.
CREATE TABLE drafts (
    id            TEXT NOT NULL PRIMARY KEY,
    household_id  TEXT NOT NULL UNIQUE,
    updated_at_ms INTEGER NOT NULL,
    body          TEXT NOT NULL
);
-- Photo and signature files under photos/, by SHA-256. `visit_id` is set when the visit that
-- refers to it is recorded: from then on it waits for upload until `uploaded_at_ms`.
CREATE TABLE photos (
    sha256         TEXT NOT NULL PRIMARY KEY CHECK (length(sha256) = 64),
    kind           TEXT NOT NULL CHECK (kind IN ('photo', 'signature')),
    bytes          INTEGER NOT NULL CHECK (bytes >= 0),
    added_at_ms    INTEGER NOT NULL,
    visit_id       TEXT,
    uploaded_at_ms INTEGER
);
CREATE INDEX photos_waiting ON photos (visit_id) WHERE visit_id IS NOT NULL
                                                AND uploaded_at_ms IS NULL;
-- Every sync run's report (SyncReport JSON), newest last.
CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    finished_at TEXT NOT NULL,
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    body        TEXT NOT NULL
);
