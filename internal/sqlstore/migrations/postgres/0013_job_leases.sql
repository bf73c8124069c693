-- The next run of each periodic job, shared by every node on the database.
-- A node runs a job only after moving next_run past the time it was due
-- (compare-and-set on next_run), so one node does each run.
CREATE TABLE job_leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    next_run   BIGINT NOT NULL,
    node       TEXT   NOT NULL,
    claimed_at BIGINT NOT NULL
);
