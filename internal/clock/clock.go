// Package clock injects time. Domain code asks a Clock for the time and never
// calls time.Now, so tests can move time forward without sleeping.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the current time and wakes those waiting for a later one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a Timer that sends the time on its channel once d
	// has passed on this clock: at once when d is zero or negative.
	NewTimer(d time.Duration) *Timer
}

// Timer is a single wake-up on a Clock, as time.Timer is on the system
// clock. Its channel has room for the one value it sends, so a timer nobody
// reads never blocks the clock.
type Timer struct {
	// C receives the clock's time when the timer fires.
	C    <-chan time.Time
	stop func() bool
}

// Stop keeps the timer from firing. It reports whether it did: false means
// the timer had fired already or was stopped before.
func (t *Timer) Stop() bool { return t.stop() }

// Real is the system clock.
type Real struct{}

// Now returns the system time.
func (Real) Now() time.Time { return time.Now() }

// NewTimer returns a Timer on the system clock.
func (Real) NewTimer(d time.Duration) *Timer {
	t := time.NewTimer(d)
	return &Timer{C: t.C, stop: t.Stop}
}

// Fake is a Clock that only moves when told to. Its timers fire when Advance
// or Set moves the time to or past their deadline, from within that call, so
// a test that moves the clock knows which timers have fired when the call
// returns. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  map[*fakeTimer]struct{}
	changed chan struct{} // closed, and replaced, when timers change; nil until waited on
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

// NewFake returns a Fake set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t, timers: make(map[*fakeTimer]struct{})} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a Timer that fires when the fake time reaches Now()+d.
func (f *Fake) NewTimer(d time.Duration) *Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := &fakeTimer{at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		ft.c <- f.now
		return &Timer{C: ft.c, stop: func() bool { return false }}
	}
	f.timers[ft] = struct{}{}
	f.notify()
	return &Timer{C: ft.c, stop: func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		_, pending := f.timers[ft]
		delete(f.timers, ft)
		if pending {
			f.notify()
		}
		return pending
	}}
}

// Timers returns how many timers wait to fire: a test can check that
// nothing still waits on the clock once what it started has stopped.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// WaitTimers waits until at least n timers wait on the clock, and returns
// ctx's error if it ends first. Code that runs in other goroutines sets its
// timers when it gets there; a test waits for them before it moves the
// clock, or the move would come before the timers and fire none of them.
func (f *Fake) WaitTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		if len(f.timers) >= n {
			f.mu.Unlock()
			return nil
		}
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes WaitTimers; f.mu is held.
func (f *Fake) notify() {
	if f.changed != nil {
		close(f.changed)
		f.changed = nil
	}
}

// Advance moves the fake time forward by d and fires the timers due by then.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.move(f.now.Add(d))
}

// Set moves the fake time to t and fires the timers due by then. Moving it
// back fires nothing.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.move(t)
}

// move sets the time and fires due timers; f.mu is held.
func (f *Fake) move(t time.Time) {
	f.now = t
	for ft := range f.timers {
		if !ft.at.After(t) {
			ft.c <- t // never blocks: the buffer is for this one value
			delete(f.timers, ft)
			f.notify()
		}
	}
}

// OrReal returns c, or the system clock when c is nil: the default of every
// service's Deps.
func OrReal(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}
