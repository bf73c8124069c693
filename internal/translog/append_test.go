package translog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
)

// appenderFunc adapts a function to Appender.
type appenderFunc func(ctx context.Context, e Entry) (uint64, error)

func (f appenderFunc) Append(ctx context.Context, e Entry) (uint64, error) { return f(ctx, e) }

func TestAppendEntry(t *testing.T) {
	t.Parallel()
	e := Entry{Type: "access.read", Time: testTime, Body: map[string]any{"object": "clip"}}
	t.Run("OK", func(t *testing.T) {
		var got Entry
		var bounded bool
		idx, err := AppendEntry(t.Context(), appenderFunc(func(ctx context.Context, e Entry) (uint64, error) {
			got = e
			deadline, ok := ctx.Deadline()
			// The deadline is AppendTimeout from the call; the wall clock
			// only tells that it is set and not longer.
			bounded = ok && time.Until(deadline) <= AppendTimeout
			return 42, nil
		}), "test.Op", e, "not recorded")
		if err != nil {
			t.Fatal(err)
		}
		if idx != 42 {
			t.Errorf("index %d, want 42", idx)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("appended entry (-want +got):\n%s", diff)
		}
		if !bounded {
			t.Error("the append's context has no deadline within AppendTimeout")
		}
	})
	t.Run("ErrLogFails", func(t *testing.T) {
		cause := errors.New("disk full")
		idx, err := AppendEntry(t.Context(), appenderFunc(func(context.Context, Entry) (uint64, error) {
			return 7, cause
		}), "test.Op", e, "The log cannot be written, so nothing happened.")
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			t.Fatalf("error %T %v, want an *apperr.Error", err, err)
		}
		want := apperr.Error{Op: "test.Op", Code: apperr.Unavailable, Message: "The log cannot be written, so nothing happened.", Err: cause}
		if *ae != want {
			t.Errorf("error %+v, want %+v", *ae, want)
		}
		if idx != 0 {
			t.Errorf("index %d on failure, want 0", idx)
		}
	})
}
