package clock_test

import (
	"context"
	"testing"
	"time"

	"hearth/internal/clock"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := clock.NewFake(start)
	f.Advance(90 * time.Second)
	if got := f.Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Fatalf("after Advance: %v", got)
	}
	f.Set(start)
	if !f.Now().Equal(start) {
		t.Fatal("Set did not move the clock")
	}
}

// fired reports whether tm has fired, and at what time, without waiting.
func fired(tm *clock.Timer) (time.Time, bool) {
	select {
	case at := <-tm.C:
		return at, true
	default:
		return time.Time{}, false
	}
}

func TestFakeTimer(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	t.Run("FiresWhenAdvancePassesTheDeadline", func(t *testing.T) {
		f := clock.NewFake(start)
		tm := f.NewTimer(time.Minute)
		f.Advance(59 * time.Second)
		if _, ok := fired(tm); ok {
			t.Fatal("fired before its deadline")
		}
		f.Advance(2 * time.Second)
		at, ok := fired(tm)
		if !ok || !at.Equal(start.Add(61*time.Second)) {
			t.Fatalf("after the deadline: fired %v at %v, want at %v", ok, at, start.Add(61*time.Second))
		}
		if f.Timers() != 0 {
			t.Errorf("Timers() = %d after firing, want 0", f.Timers())
		}
		if tm.Stop() {
			t.Error("Stop of a fired timer reported it stopped it")
		}
	})
	t.Run("FiresOnSetToTheDeadline", func(t *testing.T) {
		f := clock.NewFake(start)
		tm := f.NewTimer(time.Hour)
		f.Set(start.Add(time.Hour))
		if _, ok := fired(tm); !ok {
			t.Fatal("did not fire when Set reached its deadline")
		}
	})
	t.Run("SetBackFiresNothing", func(t *testing.T) {
		f := clock.NewFake(start)
		tm := f.NewTimer(time.Second)
		f.Set(start.Add(-time.Hour))
		if _, ok := fired(tm); ok {
			t.Fatal("fired when the clock moved back")
		}
	})
	t.Run("ZeroFiresAtOnce", func(t *testing.T) {
		f := clock.NewFake(start)
		for _, d := range []time.Duration{0, -time.Second} {
			at, ok := f.NewTimer(d).C, true
			select {
			case got := <-at:
				if !got.Equal(start) {
					t.Errorf("NewTimer(%v) fired at %v, want %v", d, got, start)
				}
			default:
				ok = false
			}
			if !ok {
				t.Errorf("NewTimer(%v) did not fire at once", d)
			}
		}
		if f.Timers() != 0 {
			t.Errorf("Timers() = %d, want 0", f.Timers())
		}
	})
	t.Run("Stopped", func(t *testing.T) {
		f := clock.NewFake(start)
		tm, other := f.NewTimer(time.Minute), f.NewTimer(time.Minute)
		if f.Timers() != 2 {
			t.Fatalf("Timers() = %d, want 2", f.Timers())
		}
		if !tm.Stop() {
			t.Fatal("Stop of a pending timer reported it had fired")
		}
		if tm.Stop() {
			t.Error("second Stop reported it stopped the timer again")
		}
		f.Advance(time.Hour)
		if _, ok := fired(tm); ok {
			t.Error("a stopped timer fired")
		}
		if _, ok := fired(other); !ok {
			t.Error("stopping one timer kept another from firing")
		}
	})
}

func TestRealTimer(t *testing.T) {
	var c clock.Clock = clock.Real{}
	<-c.NewTimer(0).C // fires at once; a broken timer hangs until the test timeout
	if !c.NewTimer(time.Hour).Stop() {
		t.Error("Stop of a pending timer reported it had fired")
	}
}

func TestFakeWaitTimers(t *testing.T) {
	f := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.WaitTimers(ctx, 1); err == nil {
		t.Fatal("WaitTimers returned nil with no timer and its context ended")
	}
	if err := f.WaitTimers(ctx, 0); err != nil {
		t.Fatalf("WaitTimers(0): %v", err)
	}
	armed := make(chan *clock.Timer)
	go func() {
		armed <- f.NewTimer(time.Minute)
	}()
	if err := f.WaitTimers(t.Context(), 1); err != nil { // a timer set in another goroutine ends the wait
		t.Fatal(err)
	}
	tm := <-armed
	f.Advance(time.Minute)
	if _, ok := fired(tm); !ok {
		t.Fatal("the timer waited for did not fire")
	}
}
