-- Devices, their pairing codes and the events they report.
-- Times are Unix microseconds in UTC, 0 for "never".

-- A device's credential is stored only as its SHA-256.
CREATE TABLE devices (
    id              TEXT    NOT NULL PRIMARY KEY,
    household_id    TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    credential_hash BYTEA   NOT NULL UNIQUE,
    paired_at       BIGINT  NOT NULL,
    revoked_at      BIGINT  NOT NULL DEFAULT 0,
    last_seen_at    BIGINT  NOT NULL DEFAULT 0,
    online          BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX devices_household ON devices (household_id, paired_at);

-- A pairing code is shown once; only its SHA-256 is stored.
CREATE TABLE pairing_codes (
    code_hash    BYTEA   NOT NULL PRIMARY KEY,
    household_id TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    used_at      BIGINT  NOT NULL DEFAULT 0,
    device_id    TEXT    NOT NULL DEFAULT ''
);

-- The timeline reads a household's events by time, newest first.
CREATE TABLE device_events (
    id           TEXT    NOT NULL PRIMARY KEY,
    device_id    TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    household_id TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    type         TEXT    NOT NULL,
    at           BIGINT  NOT NULL,
    data         TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX device_events_household_at ON device_events (household_id, at);
CREATE INDEX device_events_device ON device_events (device_id);
