package web

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/apperr"
	"hearth/internal/clock"
)

// Admission bounds the work the server takes on, so that beyond what it can
// serve (a flood of connections, a slow database) it answers 503 with
// Retry-After promptly instead of letting every request slow down until
// clients time out, and recovers by itself when the load falls.
//
// Requests go through lanes. People's requests (pages and the API) share
// one; devices' requests (clip uploads, recipients, pairing) have their own,
// so cameras keep uploading while people's requests fill theirs. /healthz
// and /metrics take no lane: a load balancer and Prometheus must hear from
// a busy server. In a lane, up to InProgress requests run; up to Queue more
// wait, in order; any other is refused at once. A waiting request is
// refused when its lane has not moved for QueueWait (nothing running
// finished: the store is stuck), or after four times QueueWait in any case.
// The queue is what lets ordinary bursts (hundreds of keep-alive
// connections, each with one request in flight, on a loaded machine)
// through without a single refusal, while the wait bounds keep a refusal
// prompt when the lane does not move.
type Admission struct {
	// InProgress is how many of people's requests run at once.
	InProgress int
	// DeviceInProgress is how many devices' requests run at once, apart
	// from people's.
	DeviceInProgress int
	// Queue is how many requests of each lane may wait for a place.
	Queue int
	// QueueWait is how long a request waits for a place in a lane where
	// nothing finishes before it is refused; in a lane that moves, it waits
	// up to four times as long.
	QueueWait time.Duration
	// RetryAfter is how long a refused client is told to wait, in whole seconds.
	RetryAfter time.Duration
}

// DefaultAdmission returns the bounds used where Config.Admission leaves a
// field zero. Running requests are sized from the processors: handlers
// mostly wait on the store, so several per processor keep the processors
// busy, and more would only lengthen every request's time in the store
// without serving more of them.
func DefaultAdmission() Admission {
	n := runtime.GOMAXPROCS(0)
	return Admission{
		InProgress:       max(64, 32*n),
		DeviceInProgress: max(16, 8*n),
		Queue:            1024,
		QueueWait:        500 * time.Millisecond,
		RetryAfter:       2 * time.Second,
	}
}

// Validate says what is wrong with a, if anything. Zero fields are allowed:
// they take DefaultAdmission's value.
func (a Admission) Validate() error {
	switch {
	case a.InProgress < 0:
		return fmt.Errorf("requests in progress must be at least 1, not %d", a.InProgress)
	case a.DeviceInProgress < 0:
		return fmt.Errorf("device requests in progress must be at least 1, not %d", a.DeviceInProgress)
	case a.Queue < 0:
		return fmt.Errorf("queued requests must be 0 or more, not %d", a.Queue)
	case a.QueueWait < 0 || a.QueueWait > time.Minute:
		return fmt.Errorf("queue wait must be between 0 and 1m, not %s", a.QueueWait)
	case a.RetryAfter < 0 || a.RetryAfter > time.Hour:
		return fmt.Errorf("retry-after must be between 0 and 1h, not %s", a.RetryAfter)
	}
	return nil
}

// withDefaults fills a's zero fields from DefaultAdmission.
func (a Admission) withDefaults() Admission {
	d := DefaultAdmission()
	if a.InProgress == 0 {
		a.InProgress = d.InProgress
	}
	if a.DeviceInProgress == 0 {
		a.DeviceInProgress = d.DeviceInProgress
	}
	if a.Queue == 0 {
		a.Queue = d.Queue
	}
	if a.QueueWait == 0 {
		a.QueueWait = d.QueueWait
	}
	if a.RetryAfter == 0 {
		a.RetryAfter = d.RetryAfter
	}
	return a
}

// lane is a bounded set of places for running requests and a bounded queue
// for those waiting to run.
type lane struct {
	name     string
	places   chan struct{} // one value per running request
	waiting  atomic.Int64
	queue    int64
	released atomic.Uint64 // places given back so far: whether the lane moves
}

func newLane(name string, places, queue int) *lane {
	return &lane{name: name, places: make(chan struct{}, places), queue: int64(queue)}
}

// waitRounds is how many times QueueWait a request may wait in a lane that
// keeps moving. A lane that moves serves its queue in turn, so waiting a
// little longer there is better than a refusal (a loaded machine has slow
// moments); a lane that does not move for QueueWait is stuck, and nobody
// behind it should wait longer.
const waitRounds = 4

// acquire takes a place and reports whether it got one. With none free,
// the request waits in the queue, if the queue has room, for as long as the
// lane gives places back at least once every wait (on clk), and at most
// waitRounds times wait. Waiters are served in order: a freed place goes
// to the first sender blocked on the channel, never to a newcomer.
func (l *lane) acquire(ctx context.Context, clk clock.Clock, wait time.Duration) bool {
	select {
	case l.places <- struct{}{}:
		return true
	default:
	}
	if l.waiting.Add(1) > l.queue {
		l.waiting.Add(-1)
		return false
	}
	defer l.waiting.Add(-1)
	for range waitRounds {
		moved := l.released.Load()
		t := clk.NewTimer(wait)
		select {
		case l.places <- struct{}{}:
			t.Stop()
			return true
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		if l.released.Load() == moved {
			return false // stuck: nothing finished for a whole wait
		}
	}
	return false
}

// release gives the place back. It counts first, so that the request the
// place goes to never runs before the lane is seen to have moved.
func (l *lane) release() {
	l.released.Add(1)
	<-l.places
}

// admission is the running state of Admission: its lanes and metrics.
type admission struct {
	cfg     Admission
	clock   clock.Clock
	people  *lane
	devices *lane
	refused *prometheus.CounterVec
}

func newAdmission(cfg Admission, clk clock.Clock, registry *prometheus.Registry) (*admission, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("admission: %w", err)
	}
	cfg = cfg.withDefaults()
	a := &admission{
		cfg: cfg, clock: clk,
		people:  newLane("people", cfg.InProgress, cfg.Queue),
		devices: newLane("devices", cfg.DeviceInProgress, cfg.Queue),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_http_refused_total", Help: "Requests refused with 503 because their lane was full, by lane.",
		}, []string{"lane"}),
	}
	collectors := []prometheus.Collector{a.refused}
	for _, l := range []*lane{a.people, a.devices} {
		collectors = append(collectors,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "hearth_http_in_progress", Help: "Requests running, by lane.", ConstLabels: prometheus.Labels{"lane": l.name},
			}, func() float64 { return float64(len(l.places)) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "hearth_http_queued", Help: "Requests waiting for a place, by lane.", ConstLabels: prometheus.Labels{"lane": l.name},
			}, func() float64 { return float64(l.waiting.Load()) }))
	}
	for _, c := range collectors {
		if err := registry.Register(c); err != nil {
			return nil, err
		}
	}
	a.refused.WithLabelValues(a.people.name)
	a.refused.WithLabelValues(a.devices.name)
	return a, nil
}

// laneOf returns the lane a request goes through; nil for the operations
// endpoints, which take none. It reads the raw path: the route is not
// matched yet, and a path that cleans to another route only earns a
// redirect in the lane it named.
func (a *admission) laneOf(r *http.Request) *lane {
	p := r.URL.Path
	switch {
	case p == "/healthz" || p == "/metrics":
		return nil
	case strings.HasPrefix(p, "/api/v1/device/") || p == "/api/v1/devices/pair":
		return a.devices
	default:
		return a.people
	}
}

// busyMessage is what a refused request is told.
const busyMessage = "Hearth is busy right now. Please try again in a few seconds."

// admit runs next once the request has a place in its lane, and refuses it
// with 503 and Retry-After when none comes in time.
func (s *Server) admit(next http.Handler) http.Handler {
	a := s.admission
	retryAfter := strconv.Itoa(int((a.cfg.RetryAfter + time.Second - 1) / time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := a.laneOf(r)
		if l == nil {
			next.ServeHTTP(w, r)
			return
		}
		if !l.acquire(r.Context(), a.clock, a.cfg.QueueWait) {
			a.refused.WithLabelValues(l.name).Inc()
			if rec, ok := w.(*statusRecorder); ok {
				rec.route = "refused"
			}
			w.Header().Set("Retry-After", retryAfter)
			if r.ContentLength != 0 {
				// Otherwise the server reads what is left of the body
				// before it answers, to keep the connection: time and
				// work spent on a request refused for want of both.
				w.Header().Set("Connection", "close")
			}
			s.refuse(w, r)
			return
		}
		defer l.release()
		next.ServeHTTP(w, r)
	})
}

// refuse answers 503 in the request's own language: JSON for the API, the
// error page for the rest.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		var body apiError
		body.Error.Code = apperr.Unavailable
		body.Error.Message = busyMessage
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	s.render(w, r, http.StatusServiceUnavailable, "error", &errorPage{
		pageBase: pageBase{Title: "Busy"}, Message: busyMessage, Code: apperr.Unavailable,
	})
}
