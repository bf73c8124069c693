-- Access grants, gated-read events (the owner's access history) and in-app notices.

CREATE TABLE access_grants (
    id               TEXT    NOT NULL PRIMARY KEY,
    staff_id         TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    object           TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    duration_seconds INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    requested_at     INTEGER NOT NULL,
    decided_by       TEXT    NOT NULL DEFAULT '',
    decided_at       INTEGER NOT NULL DEFAULT 0,
    expires_at       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX access_grants_staff ON access_grants (staff_id, requested_at);

-- Subjects are "user:<id>" (later "household:<id>"), so there is no foreign
-- key; erasing an account deletes its events explicitly.
CREATE TABLE access_events (
    id          TEXT    NOT NULL PRIMARY KEY,
    subject     TEXT    NOT NULL,
    log_index   INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    actor_role  TEXT    NOT NULL,
    object      TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    legal_basis TEXT    NOT NULL,
    grant_id    TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX access_events_subject ON access_events (subject, at);

CREATE TABLE notices (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notices_user ON notices (user_id, created_at);
