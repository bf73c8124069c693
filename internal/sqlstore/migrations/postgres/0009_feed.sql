-- The neighbours feed: residents' posts. Times are Unix microseconds in
-- UTC. lat and lng are the household's PUBLIC (coarsened) location when the
-- post was made, never its home. A post that shares a clip keeps the age
-- identity made for it (post_key), its public key (clip_recipient), which
-- names the clip's wrap, and the log entry that recorded the sharing
-- (clip_log_index). clip_id is plain text because a clip may expire before
-- the post goes. Posts go with their author's account and with their
-- household.
--
-- id compares byte by byte (COLLATE "C"), as in SQLite and in Go: the feed's
-- pages are cut at an id.

CREATE TABLE feed_posts (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    household_id   TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    author_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category       TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    lng            DOUBLE PRECISION NOT NULL,
    posted_at      BIGINT  NOT NULL,
    clip_id        TEXT    NOT NULL DEFAULT '',
    clip_recipient TEXT    NOT NULL DEFAULT '',
    post_key       TEXT    NOT NULL DEFAULT '',
    clip_log_index BIGINT  NOT NULL DEFAULT 0
);
-- The feed reads newest first with keyset pagination on (posted_at, id),
-- inside a latitude/longitude box.
CREATE INDEX feed_posts_time ON feed_posts (posted_at, id);
CREATE INDEX feed_posts_place ON feed_posts (lat, lng);
CREATE INDEX feed_posts_household ON feed_posts (household_id);
CREATE INDEX feed_posts_author ON feed_posts (author_id);
