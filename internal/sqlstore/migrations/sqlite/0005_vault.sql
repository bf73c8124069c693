-- The encrypted media vault: members' age keys, clip metadata, wraps.
-- Clip ciphertext lives in the blob store, never here.

-- A member's public recipient and their identity encrypted under their
-- passphrase (an age file with one scrypt stanza); the server cannot open it.
CREATE TABLE member_keys (
    user_id          TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    recipient        TEXT    NOT NULL,
    wrapped_identity BLOB    NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;

-- No ON DELETE CASCADE from households: a row may only go together with its
-- blob, so the vault deletes clips (blob first) before a household can go.
-- device_id is plain text: devices live in another migration and a clip
-- outlives the device that recorded it.
CREATE TABLE clips (
    id           TEXT    NOT NULL PRIMARY KEY,
    household_id TEXT    NOT NULL REFERENCES households (id),
    device_id    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    start_at     INTEGER NOT NULL,
    end_at       INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    header_size  INTEGER NOT NULL,
    content_hash TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (household_id, content_hash)
) STRICT;
CREATE INDEX clips_household_start ON clips (household_id, start_at);
CREATE INDEX clips_household_end ON clips (household_id, end_at);

-- An extra age header that gives one more recipient the clip's file key.
CREATE TABLE clip_wraps (
    clip_id    TEXT    NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    recipient  TEXT    NOT NULL,
    header     BLOB    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (clip_id, recipient)
) STRICT;
