-- The PIN's wait as what is left of it (served in monotonic time while the app runs), not as a
-- wall-clock deadline the user could skip by setting the phone's clock forward (or make endless
-- by setting it back). A deadline of 0001 becomes what was left of it, at most an hour (the
-- longest wait). `locked_until_ms` is no longer read.
ALTER TABLE pin ADD COLUMN wait_left_ms INTEGER NOT NULL DEFAULT 0 CHECK (wait_left_ms >= 0);
UPDATE pin SET wait_left_ms = min(3600000, max(0, locked_until_ms
    - CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)));
