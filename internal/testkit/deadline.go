package testkit

import (
	"context"
	"testing"
	"time"
)

// Deadline is a context that ends shortly before the test binary's deadline
// (go test -timeout), so that a wait for a signal that never comes fails
// with its reason rather than a dump of every goroutine. It bounds a wait;
// it never paces one: a test that works does not reach it.
func Deadline(t testing.TB) context.Context {
	ctx := t.Context()
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := tt.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
			t.Cleanup(cancel)
		}
	}
	return ctx
}
