-- Devices, their pairing codes and the events they report.
-- Times are Unix microseconds in UTC, 0 for "never".

-- A device's credential is stored only as its SHA-256.
CREATE TABLE devices (
    id              TEXT    NOT NULL PRIMARY KEY,
    household_id    TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    credential_hash BLOB    NOT NULL UNIQUE,
    paired_at       INTEGER NOT NULL,
    revoked_at      INTEGER NOT NULL DEFAULT 0,
    last_seen_at    INTEGER NOT NULL DEFAULT 0,
    online          INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1))
) STRICT;
CREATE INDEX devices_household ON devices (household_id, paired_at);

-- A pairing code is shown once; only its SHA-256 is stored.
CREATE TABLE pairing_codes (
    code_hash    BLOB    NOT NULL PRIMARY KEY,
    household_id TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER NOT NULL DEFAULT 0,
    device_id    TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The timeline reads a household's events by time, newest first.
CREATE TABLE device_events (
    id           TEXT    NOT NULL PRIMARY KEY,
    device_id    TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    household_id TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    type         TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    data         TEXT    NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX device_events_household_at ON device_events (household_id, at);
CREATE INDEX device_events_device ON device_events (device_id);
