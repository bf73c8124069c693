package mqttgw_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"hearth/internal/device"
	"hearth/internal/mqttgw"
	"hearth/internal/sqlstore"
)

// BenchmarkMQTTEvents measures QoS 1 motion events per second from many
// devices through the embedded broker into the store (SQLite). Each client
// keeps inflight publishes outstanding. A QoS 1 event is acknowledged only
// once committed, so when every publish has returned every event is in the
// store; the benchmark checks the count.
//
//	go test -run XXX -bench MQTTEvents -benchtime 200000x ./internal/mqttgw/
func BenchmarkMQTTEvents(b *testing.B) {
	for _, tc := range []struct{ clients, inflight int }{{64, 1}, {256, 1}, {64, 32}, {256, 16}} {
		b.Run(fmt.Sprintf("clients=%d/inflight=%d", tc.clients, tc.inflight), func(b *testing.B) {
			benchEvents(b, tc.clients, tc.inflight)
		})
	}
}

func benchEvents(b *testing.B, clients, inflight int) {
	ctx := context.Background()
	e := newEnv(b, mqttgw.Config{})
	u1, h1 := e.home(b)
	conns := make([]*client, clients)
	topics := make([]string, clients)
	for i := range conns {
		d, secret := e.pair(b, u1, h1)
		conns[i] = e.connect(b, d, secret)
		topics[i] = mqttgw.EventsTopic(d.ID, device.EventMotion)
	}
	payload := []byte(`{"type":"motion","data":{"zone":"porch"}}`)
	publishers := clients * inflight
	per := (b.N + publishers - 1) / publishers
	total := per * publishers

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for j := range publishers {
		i, c := j%clients, conns[j%clients]
		wg.Go(func() {
			for range per {
				if _, err := c.Publish(ctx, &paho.Publish{Topic: topics[i], QoS: 1, Payload: payload}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if got := int(e.accepted()); got != total {
		b.Fatalf("%d events stored, want %d", got, total)
	}
	stored, err := sqlstore.NewDeviceStore(e.kit.DB).ListEvents(ctx, h1, t0.Add(-time.Hour), t0.Add(time.Hour), total+1)
	if err != nil || len(stored) != total {
		b.Fatalf("the store holds %d events (%v), want %d", len(stored), err, total)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
}
