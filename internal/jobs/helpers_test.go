package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/clock"
	"hearth/internal/jobs"
	"hearth/internal/sqlstore"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/testkit"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// openStore opens url as a node of its own would, closed when the test ends.
func openStore(t *testing.T, url string) *sqlstore.JobStore {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sqlstore.NewJobStore(db)
}

// count returns how many logged lines contain every one of parts.
func count(b *testkit.LogBuffer, parts ...string) int {
	n := 0
	for line := range strings.Lines(b.String()) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// node is one runner, as one process sharing the database runs it.
type node struct {
	*jobs.Runner
	reg  *prometheus.Registry
	logs *testkit.LogBuffer
}

func newNode(t *testing.T, store jobs.Store, clk clock.Clock, name string) *node {
	t.Helper()
	n := &node{reg: prometheus.NewRegistry(), logs: &testkit.LogBuffer{}}
	r, err := jobs.New(store, clk, name, slog.New(slog.NewTextHandler(n.logs, nil)), n.reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	n.Runner = r
	return n
}

func (n *node) register(t *testing.T, j jobs.Job) {
	t.Helper()
	if err := n.Register(j); err != nil {
		t.Fatalf("Register(%s): %v", j.Name, err)
	}
}

// series returns the runner's metrics as "name{labels}" → value; a
// histogram gives its _count and _sum.
func (n *node) series(t *testing.T) map[string]float64 {
	t.Helper()
	mfs, err := n.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[mf.GetName()+"_count{"+strings.Join(labels, ",")+"}"] = float64(m.GetHistogram().GetSampleCount())
				out[mf.GetName()+"_sum{"+strings.Join(labels, ",")+"}"] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// runs returns the job's runs_total for outcome.
func (n *node) runs(t *testing.T, job jobs.Name, outcome jobs.Outcome) float64 {
	t.Helper()
	return n.series(t)[fmt.Sprintf(`hearth_job_runs_total{job=%q,outcome=%q}`, job, outcome)]
}

// counter is a job body that counts its runs.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) run(context.Context) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// forEachURL runs body on a fresh database of each store.
func forEachURL(t *testing.T, body func(t *testing.T, url string)) {
	sqltest.ForEach(t, body)
}
