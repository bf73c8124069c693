-- Legal demands: recorded and decided by staff, never deleted (the
-- transparency report counts them). Times are Unix microseconds in UTC, 0
-- for "never". account_id is cleared when the account is deleted; the
-- demand stays. produced is a space-separated list of categories.
-- notice_claimed_at is when a node took on telling the person, so that two
-- nodes do not both do it.

CREATE TABLE legal_demands (
    id                TEXT    NOT NULL PRIMARY KEY,
    type              TEXT    NOT NULL,
    agency            TEXT    NOT NULL,
    jurisdiction      TEXT    NOT NULL,
    scope             TEXT    NOT NULL,
    received_at       INTEGER NOT NULL,
    account_id        TEXT    REFERENCES users (id) ON DELETE SET NULL,
    owner_consent     INTEGER NOT NULL CHECK (owner_consent IN (0, 1)),
    delay_order       TEXT    NOT NULL DEFAULT '',
    delay_until       INTEGER NOT NULL DEFAULT 0,
    recorded_by       TEXT    NOT NULL,
    recorded_at       INTEGER NOT NULL,
    recorded_index    INTEGER NOT NULL,
    outcome           TEXT    NOT NULL,
    produced          TEXT    NOT NULL DEFAULT '',
    note              TEXT    NOT NULL DEFAULT '',
    decided_by        TEXT    NOT NULL DEFAULT '',
    decided_at        INTEGER NOT NULL DEFAULT 0,
    decided_index     INTEGER NOT NULL DEFAULT 0,
    notice_claimed_at INTEGER NOT NULL DEFAULT 0,
    notified_at       INTEGER NOT NULL DEFAULT 0,
    notified_index    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX legal_demands_recorded ON legal_demands (recorded_at);
CREATE INDEX legal_demands_received ON legal_demands (received_at);
CREATE INDEX legal_demands_account ON legal_demands (account_id);
CREATE INDEX legal_demands_unnotified ON legal_demands (delay_until) WHERE notified_at = 0 AND outcome <> 'pending';
