package jobs

import (
	"context"
	"regexp"
	"time"

	"hearth/internal/apperr"
)

// Name identifies a periodic job across nodes and releases, e.g.
// "vault.purge". It keys the job's claims in the store and labels its
// metrics, so renaming a job starts its schedule afresh.
type Name string

// namePattern is the shape of a Name: lower-case words of letters and
// digits joined by dots, dashes or underscores, at most 64 characters.
var namePattern = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

const maxNameLen = 64

// Job is periodic work.
type Job struct {
	// Name identifies the job; it is unique within a Runner.
	Name Name
	// Every is the time between two runs, on the runner's clock.
	Every time.Duration
	// Run does the work. It returns when ctx is done; an error is logged
	// once by the runner, so Run does not log it itself.
	Run func(ctx context.Context) error
	// AtStart runs the job as soon as the runner starts, catching up on
	// work that came due while no node ran, instead of one interval later.
	AtStart bool
	// Local marks work on this node's own state, which every node must do:
	// its runs are not claimed in the store.
	Local bool
}

// validate checks j before it is registered.
func (j Job) validate() error {
	const op = "jobs.Register"
	switch {
	case len(j.Name) == 0 || len(j.Name) > maxNameLen || !namePattern.MatchString(string(j.Name)):
		return apperr.E(op, apperr.Invalid, "A job name is 1 to 64 lower-case letters and digits, in words joined by '.', '-' or '_': "+
			quote(string(j.Name))+" is not.")
	case j.Every <= 0:
		return apperr.E(op, apperr.Invalid, "Job "+string(j.Name)+" needs an interval longer than zero.")
	case j.Run == nil:
		return apperr.E(op, apperr.Invalid, "Job "+string(j.Name)+" has nothing to run.")
	}
	return nil
}

// quote shows a name in a message, shortened if it is long.
func quote(s string) string {
	if len(s) > maxNameLen {
		s = s[:maxNameLen] + "…"
	}
	return `"` + s + `"`
}

// Store records, for each job not Local, when its next run is due, in the
// database every node shares.
type Store interface {
	// Claim takes the run of job name that is due at now, for node. It
	// succeeds when the job has no recorded due time yet or its recorded
	// due time is at or before now; it then records next as the due time
	// of the job's next run and node as the one that claimed it, and
	// returns true. It returns false and a nil error when the recorded due
	// time is after now: another node claimed this run already. The check
	// and the change are one atomic step, so of several nodes claiming the
	// same run at once exactly one succeeds.
	//
	// Errors: Invalid when next is not after now; Unavailable or Internal
	// when the database fails.
	Claim(ctx context.Context, name Name, now, next time.Time, node string) (bool, error)
}
