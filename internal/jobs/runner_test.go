package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/jobs"
	"hearth/internal/sqlstore/sqltest"
)

// TestRunDue checks that advancing the clock to a job's due time runs it
// exactly once, and not before.
func TestRunDue(t *testing.T) {
	forEachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		n := newNode(t, openStore(t, url), clk, "a")
		var purge, notify counter
		n.register(t, jobs.Job{Name: "vault.purge", Every: 10 * time.Minute, Run: purge.run})
		n.register(t, jobs.Job{Name: "legal.notify", Every: time.Minute, Run: notify.run, AtStart: true})

		n.RunDue(ctx)
		if purge.get() != 0 || notify.get() != 1 {
			t.Fatalf("at start: purge ran %d times, notify %d; want 0 and 1 (it runs at start)", purge.get(), notify.get())
		}
		n.RunDue(ctx)
		if notify.get() != 1 {
			t.Fatalf("RunDue again at the same time ran notify %d times, want 1", notify.get())
		}
		clk.Advance(10*time.Minute - time.Second)
		n.RunDue(ctx)
		if purge.get() != 0 || notify.get() != 2 {
			t.Fatalf("a second before purge is due: purge ran %d times, notify %d; want 0 and 2", purge.get(), notify.get())
		}
		clk.Advance(time.Second)
		n.RunDue(ctx)
		n.RunDue(ctx)
		if purge.get() != 1 || notify.get() != 2 {
			t.Fatalf("when purge is due: purge ran %d times, notify %d; want 1 and 2", purge.get(), notify.get())
		}
		// Missed intervals are not made up in a burst: one run, then one
		// interval on.
		clk.Advance(time.Hour)
		n.RunDue(ctx)
		n.RunDue(ctx)
		if purge.get() != 2 {
			t.Fatalf("after an hour: purge ran %d times, want 2", purge.get())
		}
		clk.Advance(10 * time.Minute)
		n.RunDue(ctx)
		if purge.get() != 3 {
			t.Fatalf("one interval after the catch-up run: purge ran %d times, want 3", purge.get())
		}
		if got := n.runs(t, "vault.purge", jobs.OK); got != 3 {
			t.Errorf("runs_total{vault.purge,ok} = %v, want 3", got)
		}
	})
}

// TestTwoNodes runs two runners, as two nodes sharing one database: each
// interval, a claimed job runs on one of them only, and a Local job on both.
// When one node stops, the other takes its work over.
func TestTwoNodes(t *testing.T) {
	forEachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		const every = 5 * time.Minute
		var deliver, reindexA, reindexB counter
		a := newNode(t, openStore(t, url), clk, "node-a")
		b := newNode(t, openStore(t, url), clk, "node-b")
		a.register(t, jobs.Job{Name: "neighbors.deliver", Every: every, Run: deliver.run})
		b.register(t, jobs.Job{Name: "neighbors.deliver", Every: every, Run: deliver.run})
		a.register(t, jobs.Job{Name: "neighbors.reindex", Every: every, Run: reindexA.run, Local: true})
		b.register(t, jobs.Job{Name: "neighbors.reindex", Every: every, Run: reindexB.run, Local: true})

		both := func() {
			var wg sync.WaitGroup
			wg.Go(func() { a.RunDue(ctx) })
			wg.Go(func() { b.RunDue(ctx) })
			wg.Wait()
		}
		const intervals = 4
		for i := range intervals {
			clk.Advance(every)
			both()
			both()
			if got := deliver.get(); got != i+1 {
				t.Fatalf("interval %d: the claimed job ran %d times in all, want %d", i+1, got, i+1)
			}
			if reindexA.get() != i+1 || reindexB.get() != i+1 {
				t.Fatalf("interval %d: the local job ran %d times on a, %d on b; want %d on each", i+1, reindexA.get(), reindexB.get(), i+1)
			}
		}
		var ok, skipped float64
		for _, n := range []*node{a, b} {
			ok += n.runs(t, "neighbors.deliver", jobs.OK)
			skipped += n.runs(t, "neighbors.deliver", jobs.Skipped)
			if got := n.runs(t, "neighbors.reindex", jobs.Skipped); got != 0 {
				t.Errorf("the local job was skipped %v times", got)
			}
		}
		if ok != intervals || skipped != intervals {
			t.Errorf("claimed job: %v ok and %v skipped across the nodes, want %d of each", ok, skipped, intervals)
		}

		// Node a stops; b runs every interval from now on.
		a.Close()
		before := b.runs(t, "neighbors.deliver", jobs.OK)
		for range 2 {
			clk.Advance(every)
			both()
		}
		if got := b.runs(t, "neighbors.deliver", jobs.OK) - before; got != 2 {
			t.Errorf("after a stopped, b ran the job %v times in two intervals, want 2", got)
		}
		if got := deliver.get(); got != intervals+2 {
			t.Errorf("the claimed job ran %d times in all, want %d", got, intervals+2)
		}
	})
}

// TestFailures checks that a job's error and a job's panic are each logged
// once and counted as errors, without keeping other jobs from running or the
// failed ones from running again an interval later.
func TestFailures(t *testing.T) {
	forEachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		n := newNode(t, openStore(t, url), clk, "a")
		var good, failing, panicking counter
		n.register(t, jobs.Job{Name: "mail.send", Every: time.Minute, Run: func(ctx context.Context) error {
			failing.run(ctx)
			return errors.New("smtp server refused the connection")
		}})
		n.register(t, jobs.Job{Name: "legal.notify", Every: time.Minute, Run: func(ctx context.Context) error {
			panicking.run(ctx)
			var m map[string]int
			m["boom"]++ // assignment to entry in nil map
			return nil
		}})
		n.register(t, jobs.Job{Name: "identity.purge", Every: time.Minute, Run: good.run})

		for range 2 {
			clk.Advance(time.Minute)
			n.RunDue(ctx)
		}
		if good.get() != 2 || failing.get() != 2 || panicking.get() != 2 {
			t.Fatalf("runs: good %d, failing %d, panicking %d; want 2 each", good.get(), failing.get(), panicking.get())
		}
		want := map[string]float64{
			`hearth_job_runs_total{job="mail.send",outcome="error"}`:      2,
			`hearth_job_runs_total{job="mail.send",outcome="ok"}`:         0,
			`hearth_job_runs_total{job="legal.notify",outcome="error"}`:   2,
			`hearth_job_runs_total{job="legal.notify",outcome="ok"}`:      0,
			`hearth_job_runs_total{job="identity.purge",outcome="error"}`: 0,
			`hearth_job_runs_total{job="identity.purge",outcome="ok"}`:    2,
			`hearth_job_last_success_timestamp_seconds{job="mail.send"}`:  0,
			`hearth_job_duration_seconds_count{job="legal.notify"}`:       2,
		}
		got := n.series(t)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		if c := count(n.logs, "level=ERROR", "job=mail.send", "smtp server refused"); c != 2 {
			t.Errorf("the failing job's error was logged %d times in two runs, want 2:\n%s", c, n.logs.String())
		}
		if c := count(n.logs, "level=ERROR", "job=legal.notify", "nil map"); c != 2 {
			t.Errorf("the panic was logged %d times in two runs, want 2:\n%s", c, n.logs.String())
		}
		if c := count(n.logs, "job=identity.purge"); c != 0 {
			t.Errorf("the good job was logged %d times, want 0", c)
		}
	})
}

// TestMetrics checks every series of a job after runs whose duration and
// end the fake clock sets.
func TestMetrics(t *testing.T) {
	clk := clock.NewFake(t0)
	a := newNode(t, openStore(t, sqltest.SQLite(t)), clk, "a")
	fail := false
	a.register(t, jobs.Job{Name: "vault.purge", Every: 10 * time.Minute, Run: func(context.Context) error {
		clk.Advance(3 * time.Second) // the run takes three seconds
		if fail {
			return errors.New("blob store unavailable")
		}
		return nil
	}})
	clk.Advance(10 * time.Minute)
	a.RunDue(context.Background())
	firstEnd := clk.Now()
	fail = true
	clk.Advance(10 * time.Minute)
	a.RunDue(context.Background())

	got := a.series(t)
	want := map[string]float64{
		`hearth_job_runs_total{job="vault.purge",outcome="ok"}`:        1,
		`hearth_job_runs_total{job="vault.purge",outcome="error"}`:     1,
		`hearth_job_runs_total{job="vault.purge",outcome="skipped"}`:   0,
		`hearth_job_last_success_timestamp_seconds{job="vault.purge"}`: float64(firstEnd.Unix()),
		`hearth_job_duration_seconds_count{job="vault.purge"}`:         2,
		`hearth_job_duration_seconds_sum{job="vault.purge"}`:           6,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

// TestBackground checks the loop Start runs: moving the clock to a job's due
// time runs it, and Close cancels a run in progress and waits for it.
func TestBackground(t *testing.T) {
	clk := clock.NewFake(t0)
	n := newNode(t, openStore(t, sqltest.SQLite(t)), clk, "a")
	started := make(chan struct{}, 1)
	var returned bool // written by the job before it returns; read after Close
	n.register(t, jobs.Job{Name: "neighbors.deliver", Every: time.Minute, Run: func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done() // a long run, cut short by Close
		returned = true
		return ctx.Err()
	}})
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
		t.Fatal("the job ran before it was due")
	default:
	}
	clk.Advance(time.Minute)
	// Advance fired the loop's timer before it returned: the run is on its
	// way. A loop that missed it hangs here until go test -timeout, which
	// names this test.
	<-started
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if !returned {
		t.Fatal("Close returned before the running job did")
	}
	if clk.Timers() != 0 {
		t.Errorf("%d timers still wait on the clock after Close", clk.Timers())
	}
	if c := count(n.logs, "level=ERROR"); c != 0 {
		t.Errorf("a run stopped by Close was logged as an error:\n%s", n.logs.String())
	}
	clk.Advance(time.Hour)
	n.RunDue(context.Background())
	select {
	case <-started:
		t.Fatal("a job ran after Close")
	default:
	}
}

func TestRegister(t *testing.T) {
	clk := clock.NewFake(t0)
	n := newNode(t, openStore(t, sqltest.SQLite(t)), clk, "a")
	run := func(context.Context) error { return nil }
	n.register(t, jobs.Job{Name: "vault.purge", Every: time.Minute, Run: run})
	for _, tt := range []struct {
		name string
		job  jobs.Job
		code apperr.Code
	}{
		{"ErrNoName", jobs.Job{Every: time.Minute, Run: run}, apperr.Invalid},
		{"ErrUpperCase", jobs.Job{Name: "Vault.Purge", Every: time.Minute, Run: run}, apperr.Invalid},
		{"ErrSpace", jobs.Job{Name: "vault purge", Every: time.Minute, Run: run}, apperr.Invalid},
		{"ErrTrailingDot", jobs.Job{Name: "vault.", Every: time.Minute, Run: run}, apperr.Invalid},
		{"ErrTooLong", jobs.Job{Name: jobs.Name(strings.Repeat("a", 65)), Every: time.Minute, Run: run}, apperr.Invalid},
		{"ErrNoInterval", jobs.Job{Name: "x", Run: run}, apperr.Invalid},
		{"ErrNegativeInterval", jobs.Job{Name: "x", Every: -time.Second, Run: run}, apperr.Invalid},
		{"ErrNothingToRun", jobs.Job{Name: "x", Every: time.Minute}, apperr.Invalid},
		{"ErrTaken", jobs.Job{Name: "vault.purge", Every: time.Hour, Run: run}, apperr.Conflict},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := n.Register(tt.job)
			if apperr.CodeOf(err) != tt.code || apperr.MessageOf(err) == "" {
				t.Errorf("Register(%+v) = %v, want %s", tt.job, err, tt.code)
			}
		})
	}
	t.Run("ErrAfterStart", func(t *testing.T) {
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		err := n.Register(jobs.Job{Name: "late", Every: time.Minute, Run: run})
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("Register after Start = %v, want Invalid", err)
		}
		if err := n.Start(context.Background()); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("second Start = %v, want Invalid", err)
		}
	})
}

func TestNew(t *testing.T) {
	store := openStore(t, sqltest.SQLite(t))
	clk := clock.NewFake(t0)
	for _, node := range []string{"", strings.Repeat("n", 201)} {
		if _, err := jobs.New(store, clk, node, nil, nil); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("New with node %q = %v, want Invalid", node, err)
		}
	}
	reg := prometheus.NewRegistry()
	if _, err := jobs.New(store, clk, "a", nil, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.New(store, clk, "b", nil, reg); err == nil {
		t.Error("a second runner registered its metrics on the same registry")
	}
}
