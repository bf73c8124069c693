-- Households, their members and invitation links.

CREATE TABLE households (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL,
    address        TEXT    NOT NULL DEFAULT '',
    home_lat       REAL    NOT NULL,
    home_lng       REAL    NOT NULL,
    time_zone      TEXT    NOT NULL,
    retention_days INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE household_members (
    household_id TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL,
    joined_at    INTEGER NOT NULL,
    PRIMARY KEY (household_id, user_id)
) STRICT;
CREATE INDEX household_members_user ON household_members (user_id);

-- An invitation link carries a random token; only its SHA-256 is stored.
CREATE TABLE household_invitations (
    token_hash   BLOB    NOT NULL PRIMARY KEY,
    household_id TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_by      TEXT    NOT NULL DEFAULT '',
    used_at      INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Deleting a household deletes its invitations: find them without a scan.
CREATE INDEX household_invitations_household ON household_invitations (household_id);
