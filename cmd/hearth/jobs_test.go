package main

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jobRuns reads hearth_job_runs_total from m's registry: job → outcome → count.
func jobRuns(t *testing.T, m *Main) map[string]map[string]float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "hearth_job_runs_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			var job, outcome string
			for _, l := range s.GetLabel() {
				switch l.GetName() {
				case "job":
					job = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			if out[job] == nil {
				out[job] = map[string]float64{}
			}
			out[job][outcome] = s.GetCounter().GetValue()
		}
	}
	return out
}

// TestPeriodicJobs checks what the service runs on its own and how often:
// ten minutes on its clock run legal notices at start and every minute,
// request delivery every minute, the geo index every five minutes and the
// purges once. Without an SMTP server there is no e-mail job.
func TestPeriodicJobs(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	m, clk := startMainAt(t, "", start)
	ctx := context.Background()
	m.Jobs.RunDue(ctx) // the runs due at start, if the background has not done them yet
	for range 10 {
		clk.Advance(time.Minute)
		m.Jobs.RunDue(ctx)
	}
	runs := func(ok float64) map[string]float64 {
		return map[string]float64{"ok": ok, "error": 0, "skipped": 0}
	}
	want := map[string]map[string]float64{
		"legal.notify":      runs(11),
		"neighbors.deliver": runs(10),
		"neighbors.reindex": runs(2),
		"identity.purge":    runs(1),
		"vault.purge":       runs(1),
		"vault.sweep":       runs(1),
	}
	if diff := cmp.Diff(want, jobRuns(t, m)); diff != "" {
		t.Errorf("job runs after ten minutes (-want +got):\n%s", diff)
	}
}

// TestMailJobs checks that e-mail goes out every sendMailEvery when an SMTP
// server is configured, and that no job runs without one.
func TestMailJobs(t *testing.T) {
	t.Parallel()
	m := &Main{Config: Config{SMTPURL: "smtp://mail.example.org:587?from=hearth@example.org"}}
	list, err := m.mailJobs()
	if err != nil || len(list) != 1 || list[0].Name != "mail.send" || list[0].Every != 15*time.Second || list[0].Local {
		t.Fatalf("mailJobs with an SMTP server = %+v, %v", list, err)
	}
	m.Config.SMTPURL = ""
	if list, err := m.mailJobs(); err != nil || len(list) != 0 {
		t.Fatalf("mailJobs without an SMTP server = %+v, %v", list, err)
	}
	m.Config.SMTPURL = "ftp://mail.example.org"
	if _, err := m.mailJobs(); err == nil {
		t.Fatal("mailJobs accepted an smtp-url that is not one")
	}
}
