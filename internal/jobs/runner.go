package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/apperr"
	"hearth/internal/clock"
)

// maxNodeLen bounds a node name, which is stored with each claim.
const maxNodeLen = 200

// Runner runs registered jobs when they come due on its clock. Register the
// jobs, then Start it; Close stops it. RunDue runs what is due at once,
// without waiting on the clock. A Runner is safe for concurrent use.
type Runner struct {
	store   Store
	clock   clock.Clock
	node    string
	logger  *slog.Logger
	metrics *metrics

	mu      sync.Mutex // guards the fields below
	jobs    []*entry
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the background loops and RunDue calls in progress
}

// entry is a registered job and its schedule on this node.
type entry struct {
	Job
	// mu is held while the job is checked and run, so that this node never
	// runs one job twice at once, and a RunDue that finds the job running
	// waits for that run instead of starting another.
	mu   sync.Mutex
	next time.Time // when the job is next due here; guarded by mu
}

// New returns a Runner that claims runs in store as node, keeps time on clk,
// logs failures to logger and counts runs on reg (nil: not exported). node
// names this process among those sharing the database; it is recorded with
// each claim for operators to read. Invalid if node is empty or too long; an
// error from reg if the runner's metrics are registered on it already.
func New(store Store, clk clock.Clock, node string, logger *slog.Logger, reg *prometheus.Registry) (*Runner, error) {
	const op = "jobs.New"
	if node == "" || len(node) > maxNodeLen {
		return nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("A node name is 1 to %d bytes long.", maxNodeLen))
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return &Runner{store: store, clock: clk, node: node, logger: logger, metrics: m}, nil
}

// Register adds j to the runner. Its first run is due one interval from now,
// or now if j.AtStart. Invalid if j is malformed or the runner has started;
// Conflict if a job of that name is registered already.
func (r *Runner) Register(j Job) error {
	const op = "jobs.Register"
	if err := j.validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		return apperr.E(op, apperr.Invalid, "Job "+string(j.Name)+" was registered after the runner started.")
	}
	for _, e := range r.jobs {
		if e.Name == j.Name {
			return apperr.E(op, apperr.Conflict, "Job "+string(j.Name)+" is registered already.")
		}
	}
	e := &entry{Job: j, next: r.clock.Now()}
	if !j.AtStart {
		e.next = e.next.Add(j.Every)
	}
	r.jobs = append(r.jobs, e)
	r.metrics.add(j.Name)
	return nil
}

// Start runs every registered job in the background, each when it comes due,
// until ctx is done or Close is called. Invalid if the runner has started
// or been closed.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		return apperr.E("jobs.Start", apperr.Invalid, "The job runner has started already.")
	}
	r.started = true
	ctx, r.cancel = context.WithCancel(ctx)
	for _, e := range r.jobs {
		// The first timer is set before Start returns: moving a fake clock
		// right after Start wakes the loop.
		tm := r.timerFor(e)
		r.wg.Go(func() { r.loop(ctx, e, tm) })
	}
	return nil
}

// Close stops the background loops and waits for the runs in progress to
// return: those of the loops, whose context it cancels, and those of RunDue
// calls. It is safe to call more than once, and on a runner never started.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	cancel := r.cancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	r.wg.Wait()
	return nil
}

// RunDue runs every job due at the current time on the runner's clock,
// at once, and returns when they are done. A job this runner is running
// already is waited for rather than started twice. Outcomes are logged and
// counted as for runs in the background. After Close it runs nothing.
func (r *Runner) RunDue(ctx context.Context) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	list := append([]*entry(nil), r.jobs...)
	r.wg.Add(1) // under mu, so never after Close has begun to wait
	r.mu.Unlock()
	defer r.wg.Done()
	now := r.clock.Now()
	var wg sync.WaitGroup
	for _, e := range list {
		wg.Go(func() { r.runIfDue(ctx, e, now) })
	}
	wg.Wait()
}

// loop runs e each time tm fires, until ctx is done.
func (r *Runner) loop(ctx context.Context, e *entry, tm *clock.Timer) {
	for {
		select {
		case <-ctx.Done():
			tm.Stop()
			return
		case <-tm.C:
		}
		r.runIfDue(ctx, e, r.clock.Now())
		tm = r.timerFor(e)
	}
}

// timerFor returns a timer that fires when e is next due.
func (r *Runner) timerFor(e *entry) *clock.Timer {
	e.mu.Lock()
	next := e.next
	e.mu.Unlock()
	return r.clock.NewTimer(next.Sub(r.clock.Now()))
}

// runIfDue runs e if it is due at now here and its run is claimed, and
// records the outcome.
func (r *Runner) runIfDue(ctx context.Context, e *entry, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now.Before(e.next) || ctx.Err() != nil {
		return
	}
	// The next run is due one interval on, whatever this one's outcome: a
	// failure is retried then, not in a tight loop against a broken
	// dependency.
	e.next = now.Add(e.Every)
	name := string(e.Name)
	if !e.Local {
		claimed, err := r.store.Claim(ctx, e.Name, now, e.next, r.node)
		if err != nil {
			r.metrics.runs.WithLabelValues(name, string(Failed)).Inc()
			r.logFailure(ctx, e.Name, "claim the run of a periodic job", err)
			return
		}
		if !claimed {
			r.metrics.runs.WithLabelValues(name, string(Skipped)).Inc()
			return
		}
	}
	start := r.clock.Now()
	err := call(ctx, e.Job)
	end := r.clock.Now()
	r.metrics.duration.WithLabelValues(name).Observe(end.Sub(start).Seconds())
	if err != nil {
		r.metrics.runs.WithLabelValues(name, string(Failed)).Inc()
		r.logFailure(ctx, e.Name, "periodic job failed", err)
		return
	}
	r.metrics.runs.WithLabelValues(name, string(OK)).Inc()
	r.metrics.lastSuccess.WithLabelValues(name).Set(float64(end.UnixMicro()) / 1e6)
}

// call runs j, turning a panic into an error so that one broken job does not
// take the process, and the other jobs, down with it.
func call(ctx context.Context, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &apperr.Error{Op: "jobs.run", Code: apperr.Internal,
				Err: fmt.Errorf("job %s panicked: %v\n%s", j.Name, p, debug.Stack())}
		}
	}()
	return j.Run(ctx)
}

// logFailure logs err once. A run cut short by shutdown is not a fault, so
// it is noted at a lower level.
func (r *Runner) logFailure(ctx context.Context, name Name, msg string, err error) {
	if ctx.Err() != nil {
		r.logger.Info(msg+" (stopped by shutdown)", "job", string(name), "err", err)
		return
	}
	r.logger.Error(msg, "job", string(name), "node", r.node, "err", err)
}
