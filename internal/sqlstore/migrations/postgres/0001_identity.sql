-- Accounts, recovery codes, sessions, API tokens and sign-in throttles.
-- Times are Unix microseconds in UTC, 0 for "never".

CREATE TABLE users (
    id                  TEXT    NOT NULL PRIMARY KEY,
    email               TEXT    NOT NULL UNIQUE,
    role                TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    password_hash       TEXT    NOT NULL DEFAULT '',
    totp_secret         TEXT    NOT NULL DEFAULT '',
    totp_enabled        BOOLEAN NOT NULL DEFAULT FALSE,
    totp_pending_secret TEXT    NOT NULL DEFAULT '',
    totp_last_step      BIGINT  NOT NULL DEFAULT 0,
    created_at          BIGINT  NOT NULL,
    password_changed_at BIGINT  NOT NULL DEFAULT 0
);

-- The primary key serves both lookups: counting a user's unused codes and
-- using one by its hash.
CREATE TABLE recovery_codes (
    user_id TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash    BYTEA  NOT NULL,
    used_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, hash)
);

CREATE TABLE sessions (
    id           TEXT   NOT NULL PRIMARY KEY,
    token_hash   BYTEA  NOT NULL UNIQUE,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stage        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    user_agent   TEXT   NOT NULL DEFAULT '',
    client_addr  TEXT   NOT NULL DEFAULT ''
);

-- ListSessions (newest first) and the per-user deletes.
CREATE INDEX sessions_user_created ON sessions (user_id, created_at);
-- DeleteExpiredSessions looks up either bound.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE api_tokens (
    id           TEXT   NOT NULL PRIMARY KEY,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    scopes       TEXT   NOT NULL DEFAULT '',
    hash         BYTEA  NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0
);

-- ListAPITokens (newest first).
CREATE INDEX api_tokens_user_created ON api_tokens (user_id, created_at);

CREATE TABLE login_throttles (
    key          TEXT   NOT NULL PRIMARY KEY,
    failures     BIGINT NOT NULL DEFAULT 0,
    last_failure BIGINT NOT NULL DEFAULT 0
);
