package mqttgw

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"hearth/internal/device"
)

// maxBatch bounds one store transaction, so that a burst does not hold the
// write lock (and every waiting device) for long.
const maxBatch = 2000

// errClosed is returned to events that arrive while the gateway closes.
var errClosed = errors.New("mqttgw: gateway closed")

// pending is one event on its way to the store. done, if not nil, is
// called with the outcome once its transaction has committed or failed; it
// runs on the writer's goroutine and must not block.
type pending struct {
	ev   *device.Event
	done func(error)
}

// writer groups events into store transactions. A single goroutine takes
// every event queued while the previous transaction committed and writes
// them all in the next one; nothing waits on a timer, so a lone event is
// written at once and a burst costs one commit per group instead of one per
// event. One writer is enough: SQLite admits one writer at a time anyway,
// and on PostgreSQL the commit, not the insert, is what costs.
type writer struct {
	devices *device.Service
	log     *slog.Logger
	metrics *metrics
	queue   chan pending

	mu      sync.RWMutex // guards closed against sends on a closed queue
	closed  bool
	started bool
	done    chan struct{}
}

func newWriter(devices *device.Service, log *slog.Logger, m *metrics) *writer {
	return &writer{devices: devices, log: log, metrics: m, queue: make(chan pending, 4*maxBatch), done: make(chan struct{})}
}

func (w *writer) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started && !w.closed {
		w.started = true
		go w.run()
	}
}

// enqueue queues ev; done, if not nil, is called with the outcome of its
// transaction, on the writer's goroutine.
func (w *writer) enqueue(ctx context.Context, ev *device.Event, done func(error)) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return errClosed
	}
	select {
	case w.queue <- pending{ev: ev, done: done}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking events, writes those queued and waits for the writer.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	started := w.started
	w.mu.Unlock()
	if started {
		<-w.done
	}
}

func (w *writer) run() {
	defer close(w.done)
	batch := make([]pending, 0, maxBatch)
	events := make([]*device.Event, 0, maxBatch)
	for first := range w.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		events = events[:0]
		for _, p := range batch {
			events = append(events, p.ev)
		}
		w.write(batch, events)
	}
}

// write stores one group and tells every waiting publisher the outcome.
// Events of a device revoked meanwhile are dropped by the store and only
// counted: the device is being disconnected, so what its publish call
// learns no longer matters.
func (w *writer) write(batch []pending, events []*device.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stored, err := w.devices.RecordEvents(ctx, events)
	if err != nil {
		w.log.Error("storing device events", "events", len(events), "error", err)
		w.metrics.rejected.WithLabelValues(reasonStore).Add(float64(len(events)))
	} else {
		heartbeats := 0
		for _, e := range events {
			if e.Type == device.EventHeartbeat {
				heartbeats++
			}
		}
		w.metrics.events.Add(float64(stored + heartbeats))
		if dropped := len(events) - heartbeats - stored; dropped > 0 {
			w.metrics.rejected.WithLabelValues(reasonRevoked).Add(float64(dropped))
		}
	}
	for _, p := range batch {
		if p.done != nil {
			p.done(err)
		}
	}
}
