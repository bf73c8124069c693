package jobs

import "github.com/prometheus/client_golang/prometheus"

// Outcome is how a due run of a job ended, as counted in
// hearth_job_runs_total.
type Outcome string

// Outcomes of a due run.
const (
	OK      Outcome = "ok"      // the job ran and returned nil
	Failed  Outcome = "error"   // the job returned an error or panicked, or its run could not be claimed
	Skipped Outcome = "skipped" // another node claimed the run
)

// metrics are the runner's series, registered on the registry New is given.
type metrics struct {
	runs        *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	duration    *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_job_runs_total",
			Help: "Due runs of periodic jobs, by job and outcome (ok, error, skipped: claimed by another node).",
		}, []string{"job", "outcome"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hearth_job_last_success_timestamp_seconds",
			Help: "When each periodic job last finished without error on this node, in Unix seconds; 0 if never.",
		}, []string{"job"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hearth_job_duration_seconds",
			Help:    "How long runs of each periodic job took on this node, failed ones included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10), // 1 ms to about 4 min
		}, []string{"job"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.runs, m.lastSuccess, m.duration} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// add creates a job's series at zero, so a dashboard sees them before the
// first run and an alert on a missing success can fire.
func (m *metrics) add(name Name) {
	for _, o := range []Outcome{OK, Failed, Skipped} {
		m.runs.WithLabelValues(string(name), string(o))
	}
	m.lastSuccess.WithLabelValues(string(name))
	m.duration.WithLabelValues(string(name))
}
