-- The encrypted media vault: members' age keys, clip metadata, wraps.
-- Clip ciphertext lives in the blob store, never here.

-- A member's public recipient and their identity encrypted under their
-- passphrase (an age file with one scrypt stanza); the server cannot open it.
CREATE TABLE member_keys (
    user_id          TEXT    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    recipient        TEXT    NOT NULL,
    wrapped_identity BYTEA   NOT NULL,
    updated_at       BIGINT  NOT NULL
);

-- No ON DELETE CASCADE from households: a row may only go together with its
-- blob, so the vault deletes clips (blob first) before a household can go.
-- device_id is plain text: devices live in another migration and a clip
-- outlives the device that recorded it.
CREATE TABLE clips (
    id           TEXT    NOT NULL PRIMARY KEY,
    household_id TEXT    NOT NULL REFERENCES households (id),
    device_id    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    start_at     BIGINT  NOT NULL,
    end_at       BIGINT  NOT NULL,
    size         BIGINT  NOT NULL,
    header_size  BIGINT  NOT NULL,
    content_hash TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    UNIQUE (household_id, content_hash)
);
CREATE INDEX clips_household_start ON clips (household_id, start_at);
CREATE INDEX clips_household_end ON clips (household_id, end_at);

-- An extra age header that gives one more recipient the clip's file key.
CREATE TABLE clip_wraps (
    clip_id    TEXT    NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    recipient  TEXT    NOT NULL,
    header     BYTEA   NOT NULL,
    created_by TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (clip_id, recipient)
);
