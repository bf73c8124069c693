-- Where requests for assistance were delivered, and what residents
-- submitted. Times are Unix microseconds in UTC, 0 for "never". Deliveries
-- and submissions name households; they are shown to those households
-- only, never to agencies.

ALTER TABLE rfa_requests ADD COLUMN delivered_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX rfa_requests_undelivered ON rfa_requests (delivered_at, posted_at);

CREATE TABLE rfa_deliveries (
    request_id   TEXT    NOT NULL REFERENCES rfa_requests (id),
    household_id TEXT    NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    delivered_at BIGINT NOT NULL,
    PRIMARY KEY (request_id, household_id)
);
CREATE INDEX rfa_deliveries_household ON rfa_deliveries (household_id, delivered_at);

-- A submission outlives its household and clips: it is part of the public
-- record (as a commitment in the log, and in the transparency report).
CREATE TABLE rfa_submissions (
    id              TEXT    NOT NULL PRIMARY KEY,
    request_id      TEXT    NOT NULL REFERENCES rfa_requests (id),
    household_id    TEXT    NOT NULL,
    submitted_by    TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    note            TEXT    NOT NULL,
    salt            BYTEA    NOT NULL,
    commitment      TEXT    NOT NULL,
    clip_count      BIGINT NOT NULL,
    submitted_at    BIGINT NOT NULL,
    submitted_index BIGINT NOT NULL,
    opened_at       BIGINT NOT NULL DEFAULT 0,
    withdrawn_at    BIGINT NOT NULL DEFAULT 0,
    withdrawn_index BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX rfa_submissions_request ON rfa_submissions (request_id, submitted_at);
CREATE INDEX rfa_submissions_household ON rfa_submissions (household_id, submitted_at);
CREATE INDEX rfa_submissions_time ON rfa_submissions (submitted_at);

CREATE TABLE rfa_submission_clips (
    submission_id TEXT    NOT NULL REFERENCES rfa_submissions (id),
    position      BIGINT NOT NULL,
    clip_id       TEXT    NOT NULL,
    PRIMARY KEY (submission_id, position)
);
