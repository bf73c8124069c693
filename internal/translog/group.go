package translog

import (
	"context"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"
)

// committer feeds Tessera in groups (group commit). Tessera's POSIX driver
// writes one batch at a time, creating and fsyncing several files for each
// (10–35 ms a batch on the 2-core test machine, mostly file creation), and
// its own queue cuts batches by age and size only: a short age makes many
// small batches that queue up behind each other, a long one makes every
// entry wait. So at most one group is in Tessera at a time. Entries that
// arrive meanwhile wait here and go in together as the next group, which
// therefore grows with the load: an idle log writes an entry within a few
// milliseconds, a busy one writes large batches.
//
// A group is cut when it is full, or linger after its first entry arrived
// or the previous group was written, whichever is later: callers whose
// entries were just written usually append again at once, and waiting a
// moment for them keeps one large group instead of two alternating ones.
type committer struct {
	add     tessera.AddFn
	maxSize int           // the largest group
	linger  time.Duration // how long the first entry of a group waits for company

	mu      sync.Mutex
	queue   []*pending
	settled time.Time      // when the last group was written
	running bool           // a goroutine is committing groups
	full    chan struct{}  // wakes a lingering committer when a group is full
	wg      sync.WaitGroup // the committing goroutine, for Close
}

func newCommitter(add tessera.AddFn, maxSize int, linger time.Duration) *committer {
	return &committer{add: add, maxSize: maxSize, linger: linger, full: make(chan struct{}, 1)}
}

// pending is one entry waiting for its index.
type pending struct {
	data []byte
	at   time.Time
	done chan result // buffered: the committer never blocks on a caller that gave up
}

type result struct {
	idx uint64
	err error
}

// submit queues data and returns the channel its result will arrive on.
func (c *committer) submit(ctx context.Context, data []byte) <-chan result {
	p := &pending{data: data, at: time.Now(), done: make(chan result, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	start := !c.running
	c.running = true
	if len(c.queue) == c.maxSize {
		select {
		case c.full <- struct{}{}:
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
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		since := c.queue[0].at
		if c.settled.After(since) {
			since = c.settled
		}
		if wait := c.linger - time.Since(since); wait > 0 && len(c.queue) < c.maxSize {
			c.mu.Unlock()
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-c.full:
				timer.Stop()
			}
			continue
		}
		n := min(len(c.queue), c.maxSize)
		group := c.queue[:n:n]
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			c.queue = nil // let the old backing array go
		}
		select {
		case <-c.full: // a stale signal would cut the next group early
		default:
		}
		c.mu.Unlock()

		futures := make([]tessera.IndexFuture, len(group))
		for i, p := range group {
			futures[i] = c.add(ctx, tessera.NewEntry(p.data))
		}
		// Tessera resolves a batch's futures together, once the batch is
		// sequenced and integrated.
		for i, f := range futures {
			idx, err := f()
			group[i].done <- result{idx.Index, err}
		}
		c.mu.Lock()
		c.settled = time.Now()
		c.mu.Unlock()
	}
}
