package identity

import (
	"context"
	"testing"

	"hearth/internal/apperr"
)

// TestHashSlots_Bound checks that no more hashes than slots run at once,
// that a freed slot goes to the next caller, and that a caller whose
// request ends while it waits gives up with Unavailable.
func TestHashSlots_Bound(t *testing.T) {
	slots := newHashSlots(2)
	ctx := context.Background()
	first, err := slots.take(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slots.take(ctx, "test"); err != nil {
		t.Fatal(err)
	}

	waiting, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := slots.take(waiting, "test"); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("take with both slots busy and the request over: %v, want Unavailable", err)
	}

	got := make(chan error, 1)
	go func() {
		release, err := slots.take(ctx, "test")
		if err == nil {
			release()
		}
		got <- err
	}()
	first()
	if err := <-got; err != nil {
		t.Fatalf("take after a slot was released: %v", err)
	}
}

func TestNewHashSlots_DefaultsToCores(t *testing.T) {
	if got := cap(newHashSlots(0)); got < 1 {
		t.Fatalf("newHashSlots(0) has %d slots", got)
	}
	if got := cap(newHashSlots(3)); got != 3 {
		t.Fatalf("newHashSlots(3) has %d slots", got)
	}
}
