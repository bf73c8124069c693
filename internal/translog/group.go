package translog

import (
	"context"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
)

// committer feeds Tessera in groups (group commit). Tessera's POSIX driver
// writes one batch at a time, creating and fsyncing several files for each
// (15–35 ms a batch on the 2-core test machine, mostly waiting for the
// disk), and its own queue cuts batches by age and size only: a short age
// makes many small batches that queue up behind each other, a long one
// makes every entry wait. So at most one group is in Tessera at a time.
// Entries that arrive meanwhile wait here and go in together as the next
// group, which therefore grows with the load: an idle log writes an entry
// at once, a busy one writes large batches.
//
// The cost of a batch is its files, not its entries: every batch rewrites
// the entry bundle and hash tiles it touches, so a batch that crosses a
// bundle boundary writes two bundles and two tiles where one that ends on it
// writes one of each. A group of at least a bundle is therefore cut to end
// on a bundle boundary; the rest goes first in the next group, which then
// starts aligned. Under steady load the groups stay aligned.
//
// A group is cut when it is full, when everyone released by the previous
// group is back (callers whose entries were just written usually append
// again at once, and waiting for them keeps one large group instead of two
// alternating ones), when arrivals pause for arrivalGap, or at the latest
// linger after its first entry arrived or the previous group was written,
// whichever is later.
type committer struct {
	add     tessera.AddFn
	size    func(context.Context) (uint64, error) // the integrated size, where the next group starts
	maxSize int                                   // the largest group
	linger  time.Duration                         // how long the first entry of a group waits for company at most

	mu       sync.Mutex
	queue    []*pending
	settled  time.Time      // when the last group was written
	arrived  time.Time      // when the last entry was queued
	expect   int            // how many entries the group being formed waits for
	peak     int            // the most entries waiting at once since the last group was written
	writing  int            // the size of the group being written
	next     uint64         // the index the next group starts at, if known
	nextOK   bool           // next is known: no write has failed since it was read
	running  bool           // a goroutine is committing groups
	complete chan struct{}  // wakes a lingering committer when its group is complete
	wg       sync.WaitGroup // the committing goroutine, for Close
}

// arrivalGap is how long a pause in arrivals ends a group early: appenders
// released by a written group come back within a few hundred microseconds
// on a busy 2-core machine, so a longer pause means nobody else is coming.
const arrivalGap = 1000 * time.Microsecond

func newCommitter(add tessera.AddFn, size func(context.Context) (uint64, error), maxSize int, linger time.Duration) *committer {
	return &committer{add: add, size: size, maxSize: maxSize, linger: linger, expect: 1, complete: make(chan struct{}, 1)}
}

// pending is one entry waiting for its index.
type pending struct {
	entry *tessera.Entry
	at    time.Time
	done  chan result // buffered: the committer never blocks on a caller that gave up
}

type result struct {
	idx uint64
	err error
}

// submit queues data and returns the channel its result will arrive on.
func (c *committer) submit(ctx context.Context, data []byte) <-chan result {
	now := time.Now()
	// The entry's leaf hash is computed here, on the caller's goroutine:
	// the committer adds a whole group to Tessera's queue within
	// tesseraFlushAge, and hashing there would take most of it.
	p := &pending{entry: tessera.NewEntry(data), at: now, done: make(chan result, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	c.arrived = now
	c.peak = max(c.peak, len(c.queue)+c.writing)
	start := !c.running
	c.running = true
	if len(c.queue) == min(c.expect, c.maxSize) {
		select {
		case c.complete <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	if start {
		// Detached from the caller: other callers' entries ride along.
		c.wg.Go(func() { c.run(context.WithoutCancel(ctx)) })
	}
	return p.done
}

// wait returns once no group is in flight, or when ctx ends. Callers make
// sure nothing is submitted meanwhile.
func (c *committer) wait(ctx context.Context) error {
	idle := make(chan struct{})
	go func() { c.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run commits groups until the queue is empty.
func (c *committer) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if !c.nextKnown() {
			if next, err := c.size(ctx); err == nil {
				c.mu.Lock()
				c.next, c.nextOK = next, true
				c.mu.Unlock()
			}
		}
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		if wait := c.untilCut(time.Now()); wait > 0 {
			c.mu.Unlock()
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-c.complete:
				timer.Stop()
			}
			continue
		}
		n := c.groupSize()
		group := c.queue[:n:n]
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			c.queue = nil // let the old backing array go
		}
		c.writing = n
		select {
		case <-c.complete: // a stale signal would cut the next group early
		default:
		}
		c.mu.Unlock()

		futures := make([]tessera.IndexFuture, len(group))
		for i, p := range group {
			futures[i] = c.add(ctx, p.entry)
		}
		// Tessera resolves a batch's futures together, once the batch is
		// sequenced and integrated.
		var last uint64
		failed := false
		for i, f := range futures {
			idx, err := f()
			group[i].done <- result{idx.Index, err}
			c.mu.Lock()
			c.writing-- // released: from now on it counts when it comes back
			c.mu.Unlock()
			failed = failed || err != nil
			last = max(last, idx.Index)
		}
		c.mu.Lock()
		c.settled = time.Now()
		// Everyone who waited while this group was written makes the next
		// group complete: counting only this group would leave stragglers
		// that missed it one group behind for good.
		c.expect, c.peak, c.writing = max(c.peak, 1), len(c.queue), 0
		c.next, c.nextOK = last+1, !failed
		c.mu.Unlock()
	}
}

func (c *committer) nextKnown() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nextOK
}

// untilCut returns how long the queued group should still wait for
// company; zero or less means cut it now. c.mu is held.
func (c *committer) untilCut(now time.Time) time.Duration {
	if len(c.queue) >= min(c.expect, c.maxSize) {
		return 0
	}
	byAge := c.linger - now.Sub(later(c.queue[0].at, c.settled))
	byGap := arrivalGap - now.Sub(later(c.arrived, c.settled))
	return min(byAge, byGap)
}

// groupSize returns how many queued entries to cut: at most maxSize, and
// for a group of at least a bundle, ending on a bundle boundary. c.mu is
// held.
func (c *committer) groupSize() int {
	n := min(len(c.queue), c.maxSize)
	if !c.nextOK || n < layout.EntryBundleWidth {
		return n
	}
	const width = layout.EntryBundleWidth
	if end := (c.next + uint64(n)) / width * width; end > c.next {
		return int(end - c.next)
	}
	return n
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
