package translog

import (
	"context"
	"time"

	"hearth/internal/apperr"
)

// Appender is what a domain needs of the log to record what it does: a
// durable append. *Log implements it.
type Appender interface {
	// Append durably adds e and returns its index (see Log.Append).
	Append(ctx context.Context, e Entry) (uint64, error)
}

// AppendTimeout bounds how long AppendEntry waits for the log: what cannot
// be logged in this time does not happen.
const AppendTimeout = 10 * time.Second

// AppendEntry appends e to a, waiting at most AppendTimeout, and returns its
// index. Log writes are never best-effort: on any failure it returns an
// Unavailable *apperr.Error with op and unavailable (the safe message saying
// what therefore did not happen) wrapping the log's error, and the caller
// must stop before doing what the entry records.
func AppendEntry(ctx context.Context, a Appender, op string, e Entry, unavailable string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, AppendTimeout)
	defer cancel()
	idx, err := a.Append(ctx, e)
	if err != nil {
		return 0, &apperr.Error{Op: op, Code: apperr.Unavailable, Message: unavailable, Err: err}
	}
	return idx, nil
}
