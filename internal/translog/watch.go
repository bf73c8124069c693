package translog

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/transparency-dev/tessera/api/layout"

	"hearth/internal/apperr"
)

// pollInterval is how often the published checkpoint is re-read while
// someone waits for it. Tessera publishes by renaming a file and offers no
// notification; a read of a few hundred bytes every 5 ms costs nothing next
// to the fsyncs of a batch, and one goroutine polls for all waiters.
const pollInterval = 5 * time.Millisecond

// watcher shares the latest verified checkpoint with the goroutines waiting
// for one to cover their entry.
type watcher struct {
	mu      sync.Mutex
	latest  Checkpoint
	err     error         // set while the stored checkpoint does not verify
	changed chan struct{} // closed and replaced when latest or err changes
	waiters int
	wake    chan struct{} // tells the poller that someone started waiting
}

func (w *watcher) init() {
	w.changed = make(chan struct{})
	w.wake = make(chan struct{}, 1)
}

// wait returns the latest checkpoint if it covers index (with a nil
// channel), or the channel to wait on, counting the caller as a waiter until
// it calls done.
func (w *watcher) wait(index uint64) (Checkpoint, <-chan struct{}, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return Checkpoint{}, nil, w.err
	}
	if w.latest.Raw != nil && w.latest.Size > index {
		return w.latest, nil, nil
	}
	w.waiters++
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return Checkpoint{}, w.changed, nil
}

func (w *watcher) done() {
	w.mu.Lock()
	w.waiters--
	w.mu.Unlock()
}

func (w *watcher) busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waiters > 0
}

func (w *watcher) get() Checkpoint {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latest
}

// set records the outcome of reading the stored checkpoint and wakes the
// waiters if anything changed.
func (w *watcher) set(cp Checkpoint, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil && w.err == nil && cp.Size <= w.latest.Size && w.latest.Raw != nil {
		return // nothing new (or an older checkpoint read by a slow reader)
	}
	if err != nil {
		w.err = err
	} else {
		w.err = nil
		w.latest = cp
	}
	close(w.changed)
	w.changed = make(chan struct{})
}

// refresh reads and verifies the published checkpoint and hands it to the
// watcher. A checkpoint that does not verify, or is smaller than one already
// seen, is an Internal error: someone has tampered with the directory.
func (l *Log) refresh() (Checkpoint, error) {
	raw, err := l.root.ReadFile(layout.CheckpointPath)
	if err != nil {
		return Checkpoint{}, err // keeps fs.ErrNotExist visible
	}
	if last := l.watch.get(); last.Raw != nil && bytes.Equal(raw, last.Raw) {
		return last, nil
	}
	cp, err := openCheckpoint(raw, l.verifier, l.key.verifierKey)
	if err != nil {
		err = &apperr.Error{Op: "translog.refresh", Code: apperr.Internal, Message: "the stored checkpoint does not verify", Err: err}
		l.watch.set(Checkpoint{}, err)
		return Checkpoint{}, err
	}
	if last := l.watch.get(); cp.Size < last.Size {
		err := apperr.Errorf("translog.refresh", "the stored checkpoint went back from size %d to %d", last.Size, cp.Size)
		l.watch.set(Checkpoint{}, err)
		return Checkpoint{}, err
	}
	l.watch.set(cp, nil)
	return cp, nil
}

// poll re-reads the checkpoint while anyone waits, until ctx ends.
func (l *Log) poll(ctx context.Context) {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if l.watch.busy() {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		} else {
			select {
			case <-ctx.Done():
				return
			case <-l.watch.wake:
			}
		}
		// Waiters get any error through the watcher; a missing file just
		// means nothing is published yet.
		_, _ = l.refresh()
	}
}
