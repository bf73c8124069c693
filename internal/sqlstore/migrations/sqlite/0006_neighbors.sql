-- Agencies, their officers, their Requests for Assistance, and households'
-- choice not to receive requests. Times are Unix microseconds in UTC, 0 for
-- "never". Requests are never deleted and change only when resolved.

CREATE TABLE agencies (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    jurisdiction  TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    recipient     TEXT    NOT NULL DEFAULT '',
    registered_by TEXT    NOT NULL,
    registered_at INTEGER NOT NULL,
    verified_by   TEXT    NOT NULL DEFAULT '',
    verified_at   INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE agency_officers (
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (agency_id, user_id)
) STRICT;
CREATE INDEX agency_officers_user ON agency_officers (user_id);

-- The area is the JSON of geo.Area as drawn.
CREATE TABLE rfa_requests (
    id             TEXT    NOT NULL PRIMARY KEY,
    agency_id      TEXT    NOT NULL REFERENCES agencies (id),
    posted_by      TEXT    NOT NULL,
    incident_type  TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    description    TEXT    NOT NULL,
    case_number    TEXT    NOT NULL,
    contact        TEXT    NOT NULL,
    window_start   INTEGER NOT NULL,
    window_end     INTEGER NOT NULL,
    area           TEXT    NOT NULL,
    square_miles   REAL    NOT NULL,
    posted_at      INTEGER NOT NULL,
    posted_index   INTEGER NOT NULL,
    resolved_at    INTEGER NOT NULL DEFAULT 0,
    resolved_index INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX rfa_requests_agency ON rfa_requests (agency_id, posted_at);
CREATE INDEX rfa_requests_posted ON rfa_requests (posted_at);

CREATE TABLE household_rfa_opt_outs (
    household_id TEXT    NOT NULL PRIMARY KEY REFERENCES households (id) ON DELETE CASCADE,
    opted_out    INTEGER NOT NULL CHECK (opted_out IN (0, 1)),
    updated_at   INTEGER NOT NULL
) STRICT;
