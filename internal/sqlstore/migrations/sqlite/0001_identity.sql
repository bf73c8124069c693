-- Accounts, recovery codes, sessions, API tokens and sign-in throttles.
-- Times are Unix microseconds in UTC, 0 for "never". Tables are STRICT so a
-- value of the wrong type is refused instead of stored; INTEGER is SQLite's
-- 64-bit integer (STRICT tables do not accept the BIGINT spelling).

CREATE TABLE users (
    id                  TEXT    NOT NULL PRIMARY KEY,
    email               TEXT    NOT NULL UNIQUE,
    role                TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    password_hash       TEXT    NOT NULL DEFAULT '',
    totp_secret         TEXT    NOT NULL DEFAULT '',
    totp_enabled        INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),
    totp_pending_secret TEXT    NOT NULL DEFAULT '',
    totp_last_step      INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The primary key serves both lookups: counting a user's unused codes and
-- using one by its hash.
CREATE TABLE recovery_codes (
    user_id TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    BLOB    NOT NULL,
    used_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, hash)
) STRICT;

CREATE TABLE sessions (
    id           TEXT    NOT NULL PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    user_agent   TEXT    NOT NULL DEFAULT '',
    client_addr  TEXT    NOT NULL DEFAULT ''
) STRICT;

-- ListSessions (newest first) and the per-user deletes.
CREATE INDEX sessions_user_created ON sessions (user_id, created_at);
-- DeleteExpiredSessions looks up either bound.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE api_tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL DEFAULT '',
    hash         BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
) STRICT;

-- ListAPITokens (newest first).
CREATE INDEX api_tokens_user_created ON api_tokens (user_id, created_at);

CREATE TABLE login_throttles (
    key          TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    last_failure INTEGER NOT NULL DEFAULT 0
) STRICT;
