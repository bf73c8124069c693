package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/jobs"
)

// leaseOf reads a job's row: its next due time and the node that claimed it.
func leaseOf(t *testing.T, db *DB, name jobs.Name) (time.Time, string) {
	t.Helper()
	var next int64
	var node string
	err := db.read(context.Background(), "test", func(tx *tx) error {
		return tx.queryRow(context.Background(), `SELECT next_run, node FROM job_leases WHERE name = ?`, string(name)).Scan(&next, &node)
	})
	if err != nil {
		t.Fatalf("lease of %s: %v", name, err)
	}
	return fromMicros(next), node
}

func TestStore_JobClaims(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewJobStore(db)
		const every = 10 * time.Minute
		claim := func(what string, name jobs.Name, now time.Time, node string, want bool) {
			t.Helper()
			got, err := s.Claim(ctx, name, now, now.Add(every), node)
			if err != nil || got != want {
				t.Errorf("%s: Claim = %v, %v; want %v", what, got, err, want)
			}
		}
		claim("first run of a job", "vault.purge", t0, "a", true)
		if next, node := leaseOf(t, db, "vault.purge"); !next.Equal(t0.Add(every)) || node != "a" {
			t.Errorf("after the first claim: next %v by %q, want %v by a", next, node, t0.Add(every))
		}
		claim("the same run again", "vault.purge", t0, "b", false)
		claim("before the next run is due", "vault.purge", t0.Add(every-time.Microsecond), "b", false)
		claim("another job", "identity.purge", t0, "b", true)
		claim("when the next run is due", "vault.purge", t0.Add(every), "b", true)
		if next, node := leaseOf(t, db, "vault.purge"); !next.Equal(t0.Add(2*every)) || node != "b" {
			t.Errorf("after the second claim: next %v by %q, want %v by b", next, node, t0.Add(2*every))
		}
		claim("late, after a pause of every node", "vault.purge", t0.Add(10*every), "a", true)
		claim("by a node whose clock is behind", "vault.purge", t0.Add(9*every), "b", false)

		_, err := s.Claim(ctx, "vault.purge", t0.Add(20*every), t0.Add(20*every), "a")
		wantCode(t, "Claim with next equal to now", err, apperr.Invalid)
		if next, _ := leaseOf(t, db, "vault.purge"); !next.Equal(t0.Add(11 * every)) {
			t.Errorf("a refused claim moved the next run to %v", next)
		}
	})
}

// TestStore_JobClaimsConcurrent claims the same run from many goroutines on
// two handles on one database, as nodes sharing it do: exactly one wins
// each run, including the first, which inserts the row.
func TestStore_JobClaimsConcurrent(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, a *DB) {
		ctx := context.Background()
		stores := []*JobStore{NewJobStore(a), NewJobStore(openTest(t, a.url))}
		const perHandle, runs = 4, 3
		for run := range runs {
			now := t0.Add(time.Duration(run) * time.Minute)
			var (
				wg      sync.WaitGroup
				winners atomic.Int32
			)
			for h, s := range stores {
				for i := range perHandle {
					wg.Go(func() {
						ok, err := s.Claim(ctx, "legal.notify", now, now.Add(time.Minute), fmt.Sprintf("node-%d-%d", h, i))
						if err != nil {
							t.Errorf("run %d: Claim: %v", run, err)
						}
						if ok {
							winners.Add(1)
						}
					})
				}
			}
			wg.Wait()
			if n := winners.Load(); n != 1 {
				t.Errorf("run %d: %d claims succeeded, want 1", run, n)
			}
		}
	})
}
