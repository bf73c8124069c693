package sqlstore

import (
	"context"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/jobs"
)

// JobStore implements jobs.Store.
type JobStore struct{ db *DB }

// NewJobStore returns a JobStore over db.
func NewJobStore(db *DB) *JobStore { return &JobStore{db: db} }

var _ jobs.Store = (*JobStore)(nil)

// Claim takes the job's run due at now for node; see jobs.Store. One
// statement decides: the insert of a job never claimed, or the update of one
// whose due time has come, guarded by that due time. On PostgreSQL a
// concurrent claim of the same row waits for this one's commit and then
// finds the new due time, so it changes nothing.
func (s *JobStore) Claim(ctx context.Context, name jobs.Name, now, next time.Time, node string) (bool, error) {
	const op = "sqlstore.ClaimJob"
	if !next.After(now) {
		return false, apperr.E(op, apperr.Invalid, "The next run of a job must be due after the one claimed.")
	}
	var claimed bool
	err := s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `INSERT INTO job_leases (name, next_run, node, claimed_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET next_run = excluded.next_run, node = excluded.node, claimed_at = excluded.claimed_at
			WHERE job_leases.next_run <= excluded.claimed_at`,
			string(name), micros(next), node, micros(now))
		claimed = n == 1
		return err
	})
	return claimed, err
}
