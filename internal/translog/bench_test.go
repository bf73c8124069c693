package translog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppend appends from many goroutines at once, as a busy server's
// request handlers would, with the default batching and checkpoint settings.
// It reports durable entries per second and the time from calling Append
// until a published checkpoint covers the entry (p50/p99), measured by one
// watcher goroutine with AwaitCheckpoint.
//
//	go test -run '^$' -bench Append -benchtime 200000x ./internal/translog/
//
// Each appender waits for its entry before sending the next, so a batch can
// never hold more entries than there are appenders: the runs with 256 and
// 1024 appenders show how throughput follows concurrency.
func BenchmarkAppend(b *testing.B) {
	for _, appenders := range []int{256, 1024} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) { benchmarkAppend(b, appenders) })
	}
}

func benchmarkAppend(b *testing.B, appenders int) {
	cfg := testConfig(b)
	cfg.CheckpointInterval, cfg.BatchMaxAge = 0, 0 // the defaults
	l := openLog(b, cfg)
	e := Entry{Type: "access.read", Time: testTime, Body: map[string]any{
		"actor": "S-7KQ2M4XJ9P", "actor_role": "staff", "object": "account.metadata", "purpose": "support",
		"legal_basis": "access_grant", "grant": "G-4F7Q2X9K",
		"subject": "9b74c9897bac770ffc029102a200c5de4f5a1c1d9c3e5c5a5b2f0b8e4d3c2a10",
	}}

	type sample struct {
		idx   uint64
		start time.Time
	}
	samples := make(chan sample, 1<<16)
	var latencies []time.Duration
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		var pending []sample
		for open := true; open || len(pending) > 0; {
			if len(pending) == 0 {
				s, ok := <-samples
				if !ok {
					return
				}
				pending = append(pending, s)
			}
			// Take whatever else has arrived.
			for drained := false; open && !drained; {
				select {
				case s, ok := <-samples:
					if !ok {
						open = false
					} else {
						pending = append(pending, s)
					}
				default:
					drained = true
				}
			}
			lowest := slices.MinFunc(pending, func(x, y sample) int { return cmp.Compare(x.idx, y.idx) })
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			cp, err := l.AwaitCheckpoint(ctx, lowest.idx)
			cancel()
			if err != nil {
				b.Error(err)
				return
			}
			now := time.Now()
			pending = slices.DeleteFunc(pending, func(s sample) bool {
				if s.idx < cp.Size {
					latencies = append(latencies, now.Sub(s.start))
					return true
				}
				return false
			})
		}
	}()

	work := make(chan struct{}, appenders)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range appenders {
		wg.Go(func() {
			for range work {
				t0 := time.Now()
				idx, err := l.Append(context.Background(), e)
				if err != nil {
					b.Error(err)
					return
				}
				samples <- sample{idx, t0}
			}
		})
	}
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(samples)
	<-watched
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(pct(0.50), "p50-ms-to-checkpoint")
	b.ReportMetric(pct(0.99), "p99-ms-to-checkpoint")
	b.ReportMetric(0, "ns/op") // per-entry time is meaningless with many appenders
}
