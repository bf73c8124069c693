package translog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
)

// committer acknowledges entries from the write-ahead log (wal.go) and
// integrates them into Tessera behind it.
//
// The writer goroutine takes every entry that arrived since its last write,
// gives them the next indices, writes their records with one write and one
// fdatasync (group commit) and only then answers their callers. While it
// syncs, the next group gathers: an idle log writes an entry at once, a busy
// one writes as many as are waiting, with no timer.
//
// The integrator goroutine hands the synced entries to Tessera in index
// order, in batches of up to maxBatch cut on bundle boundaries (a batch's
// cost is the files it rewrites, and one ending on a boundary rewrites one
// bundle and one tile less), and checks that Tessera gave each the index
// promised. A batch Tessera fails to store is retried: its entries are
// acknowledged, so the log keeps trying until it succeeds or is closed. An
// index other than the one promised means the tree no longer matches what
// was acknowledged: the log stops taking entries and says so loudly.
//
// At most maxBacklog entries wait for Tessera: past that the writer waits,
// so that a slow disk slows appenders instead of growing memory and the
// time until a checkpoint covers an entry.
type committer struct {
	wal        *wal
	add        tessera.AddFn
	maxBatch   int
	maxBacklog int
	logger     *slog.Logger
	integrated func() // called on the integrator goroutine after progress
	recovered  int    // how many entries Open read back from the WAL

	mu       sync.Mutex
	queue    []*pending       // waiting for the next WAL write
	writing  bool             // the writer holds a group taken from queue
	next     uint64           // the index the next written entry gets
	backlog  []*tessera.Entry // synced, not integrated; backlog[0] has index done
	done     uint64           // how many entries Tessera has integrated
	failed   error            // set once: no entry can be acknowledged any more
	progress chan struct{}    // closed and replaced when done or failed changes

	writeWake chan struct{}
	integWake chan struct{}
	stop      chan struct{}
	wg        sync.WaitGroup
}

// pending is one entry waiting for its index.
type pending struct {
	entry *tessera.Entry
	done  chan result // buffered: the writer never blocks on a caller that gave up
}

type result struct {
	idx uint64
	err error
}

// errBroken wraps the reason the committer stopped acknowledging entries.
var errBroken = errors.New("the transparency log stopped taking entries")

// integrateRetry bounds the pause between attempts to integrate a batch
// Tessera failed to store.
const (
	integrateRetryMin = 50 * time.Millisecond
	integrateRetryMax = 2 * time.Second
)

// newCommitter starts the writer and the integrator. recovered are the
// entries read back from the WAL, starting at index integrated.
func newCommitter(w *wal, add tessera.AddFn, integrated uint64, recovered []walRecord, maxBatch int, logger *slog.Logger, onProgress func()) *committer {
	c := &committer{
		wal: w, add: add, maxBatch: maxBatch, maxBacklog: 2 * maxBatch, logger: logger, integrated: onProgress,
		done: integrated, next: integrated + uint64(len(recovered)), recovered: len(recovered),
		progress:  make(chan struct{}),
		writeWake: make(chan struct{}, 1), integWake: make(chan struct{}, 1), stop: make(chan struct{}),
	}
	for _, r := range recovered {
		c.backlog = append(c.backlog, tessera.NewEntry(r.data))
	}
	c.wg.Go(c.write)
	c.wg.Go(c.integrate)
	wake(c.integWake)
	return c
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// submit queues data and returns the channel its result will arrive on.
func (c *committer) submit(data []byte) <-chan result {
	// The entry's leaf hash is computed here, on the caller's goroutine,
	// rather than on the integrator's, which feeds Tessera alone.
	p := &pending{entry: tessera.NewEntry(data), done: make(chan result, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	c.mu.Unlock()
	wake(c.writeWake)
	return p.done
}

// fail records the first reason the log stopped; c.mu is held.
func (c *committer) fail(err error) {
	if c.failed == nil {
		c.failed = fmt.Errorf("%w: %w", errBroken, err)
		c.changed()
	}
}

// changed wakes everyone waiting for progress; c.mu is held.
func (c *committer) changed() {
	close(c.progress)
	c.progress = make(chan struct{})
}

// write is the writer goroutine.
func (c *committer) write() {
	var buf []byte
	for {
		select {
		case <-c.writeWake:
		case <-c.stop:
			return
		}
		for {
			c.mu.Lock()
			for len(c.backlog) >= c.maxBacklog && c.failed == nil {
				progress := c.progress
				c.mu.Unlock()
				select {
				case <-progress:
				case <-c.stop:
					return
				}
				c.mu.Lock()
			}
			group, first, failed := c.queue, c.next, c.failed
			c.queue = nil
			c.writing = len(group) > 0
			c.mu.Unlock()
			if len(group) == 0 {
				break
			}
			if failed != nil {
				c.mu.Lock()
				c.writing = false
				c.mu.Unlock()
				for _, p := range group {
					p.done <- result{err: failed}
				}
				continue
			}
			buf = buf[:0]
			for i, p := range group {
				buf = appendRecord(buf, first+uint64(i), p.entry.Data())
			}
			end := first + uint64(len(group))
			err := c.wal.write(buf, end)
			c.mu.Lock()
			c.writing = false
			c.changed()
			if err != nil {
				// The file may now end in part of this group: nothing
				// after it could be read back, so nothing more is taken.
				c.fail(err)
				err = c.failed
			} else {
				c.next = end
				for _, p := range group {
					c.backlog = append(c.backlog, p.entry)
				}
			}
			c.mu.Unlock()
			if err != nil {
				c.logger.Error("the transparency log cannot write its write-ahead log; it takes no more entries", "err", err)
			}
			wake(c.integWake)
			for i, p := range group {
				if err != nil {
					p.done <- result{err: err}
				} else {
					p.done <- result{idx: first + uint64(i)}
				}
			}
			if len(buf) > 4*walSegmentBytes {
				buf = nil // do not keep a burst's buffer for good
			}
		}
	}
}

// integrate is the integrator goroutine.
func (c *committer) integrate() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.stop
		cancel()
	}()
	retry := integrateRetryMin
	for {
		c.mu.Lock()
		idle := len(c.backlog) == 0 || c.failed != nil
		c.mu.Unlock()
		if idle {
			select {
			case <-c.integWake:
			case <-c.stop:
				return
			}
			continue
		}
		err := c.integrateBatch(ctx, retry > integrateRetryMin)
		if c.integrated != nil {
			c.integrated()
		}
		var mismatch *indexMismatch
		switch {
		case err == nil:
			retry = integrateRetryMin
		case errors.As(err, &mismatch):
			c.logger.Error("the transparency log's tree no longer matches the indices it acknowledged; it takes no more entries", "err", err)
			c.mu.Lock()
			c.fail(err)
			c.mu.Unlock()
		default:
			if ctx.Err() != nil {
				return
			}
			c.logger.Warn("the transparency log could not integrate acknowledged entries; retrying", "err", err, "retry_in", retry)
			t := time.NewTimer(retry)
			select {
			case <-t.C:
			case <-c.stop:
				t.Stop()
				return
			}
			retry = min(2*retry, integrateRetryMax)
		}
	}
}

// indexMismatch is Tessera giving an entry another index than promised.
type indexMismatch struct {
	want, got uint64
	dup       bool
}

func (e *indexMismatch) Error() string {
	return fmt.Sprintf("Tessera integrated entry %d at index %d (duplicate: %v)", e.want, e.got, e.dup)
}

// integrateBatch hands the next batch to Tessera and waits for it. fresh
// makes new Tessera entries, for a batch Tessera failed before.
func (c *committer) integrateBatch(ctx context.Context, fresh bool) error {
	c.mu.Lock()
	base := c.done
	n := batchSize(base, len(c.backlog), c.maxBatch)
	batch := c.backlog[:n:n]
	c.mu.Unlock()

	futures := make([]tessera.IndexFuture, n)
	for i, e := range batch {
		if fresh {
			e = tessera.NewEntry(e.Data())
		}
		futures[i] = c.add(ctx, e)
	}
	// Tessera resolves a batch's futures together once it is integrated.
	// Entries are counted as integrated only up to the first failure: a
	// later one at its promised index would leave a hole.
	ok := 0
	var err error
	for i, f := range futures {
		idx, ferr := f()
		switch {
		case err != nil:
		case ferr != nil:
			err = ferr
		case idx.Index != base+uint64(i) || idx.IsDup:
			err = &indexMismatch{want: base + uint64(i), got: idx.Index, dup: idx.IsDup}
		default:
			ok++
		}
	}
	c.mu.Lock()
	c.done += uint64(ok)
	c.backlog = c.backlog[ok:]
	if len(c.backlog) == 0 {
		c.backlog = nil // let the old backing array go
	}
	if ok > 0 {
		c.changed()
	}
	c.mu.Unlock()
	return err
}

// batchSize returns how many of the backlog to integrate next: at most
// maxBatch, and for a batch of at least a bundle, ending on a bundle
// boundary.
func batchSize(next uint64, backlog, maxBatch int) int {
	n := min(backlog, maxBatch)
	const width = layout.EntryBundleWidth
	if n < width {
		return n
	}
	if end := (next + uint64(n)) / width * width; end > next {
		return int(end - next)
	}
	return n
}

// awaitIntegrated returns once Tessera has integrated index, which must
// have been acknowledged; it fails when ctx ends, the log stops, or the
// committer broke.
func (c *committer) awaitIntegrated(ctx context.Context, index uint64) error {
	return c.waitUntil(ctx, func() bool { return index < c.done })
}

// waitUntil returns once ready, called with c.mu held, reports true; it
// fails when ctx ends, the log stops, or the committer broke.
func (c *committer) waitUntil(ctx context.Context, ready func() bool) error {
	for {
		c.mu.Lock()
		ok, failed, progress := ready(), c.failed, c.progress
		c.mu.Unlock()
		if ok {
			return nil
		}
		if failed != nil {
			return failed
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		case <-c.stop:
			return errors.New("the transparency log is closed")
		}
	}
}

// state returns the index the next entry gets and how many are integrated.
func (c *committer) state() (next, integrated uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next, c.done
}

// drain waits until every queued entry is written and every written one
// integrated, or ctx ends. Callers make sure nothing is submitted meanwhile.
func (c *committer) drain(ctx context.Context) error {
	return c.waitUntil(ctx, func() bool { return len(c.queue) == 0 && !c.writing && c.done == c.next })
}

// close stops both goroutines and waits for them.
func (c *committer) close() {
	close(c.stop)
	c.wg.Wait()
}
