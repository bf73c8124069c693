package mqttgw

import "github.com/prometheus/client_golang/prometheus"

// metrics are the gateway's counters, registered on the registry New is given.
type metrics struct {
	events   prometheus.Counter
	rejected *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hearth_mqtt_events_total",
			Help: "Device events accepted and stored (heartbeats included).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_mqtt_rejected_total",
			Help: "Device messages refused, by reason.",
		}, []string{"reason"}),
	}
	// Every reason starts at 0, so a dashboard sees the series before the first refusal.
	for _, r := range []string{reasonOversized, reasonMalformed, reasonTypeMismatch, reasonUnknownType,
		reasonInvalidData, reasonTopic, reasonRevoked, reasonStore, reasonOverloaded} {
		m.rejected.WithLabelValues(r)
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.events, m.rejected} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
