package translog

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
)

// benchEntry is a typical access.read entry, about 300 bytes canonical.
var benchEntry = Entry{Type: "access.read", Time: testTime, Body: map[string]any{
	"actor": "S-7KQ2M4XJ9P", "actor_role": "staff", "object": "account.metadata", "purpose": "support",
	"legal_basis": "access_grant", "grant": "G-4F7Q2X9K",
	"subject": "9b74c9897bac770ffc029102a200c5de4f5a1c1d9c3e5c5a5b2f0b8e4d3c2a10",
}}

// BenchmarkAppend appends from many goroutines at once, as a busy server's
// request handlers would, with the default batching and checkpoint settings.
// It reports durable entries per second and the time from calling Append
// until a published checkpoint covers the entry (p50/p99), measured by one
// watcher goroutine with AwaitCheckpoint.
//
//	go test -run '^$' -bench 'Append/' -benchtime 200000x ./internal/translog/
//
// Each appender waits for its entry before sending the next, so a batch can
// never hold more entries than there are appenders: the runs with 256 and
// 1024 appenders show how throughput follows concurrency.
func BenchmarkAppend(b *testing.B) {
	for _, appenders := range []int{256, 1024} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			r := runLoad(b, openHearthTarget(b), appenders, func(n int) bool { return n < b.N })
			b.ReportMetric(r.rate(), "entries/s")
			b.ReportMetric(r.percentile(0.50), "p50-ms-to-checkpoint")
			b.ReportMetric(r.percentile(0.99), "p99-ms-to-checkpoint")
			b.ReportMetric(0, "ns/op") // per-entry time is meaningless with many appenders
		})
	}
}

var (
	vsRounds = flag.Int("translog.rounds", 3, "BenchmarkAppendVsTessera: rounds per load, each running both logs")
	vsRound  = flag.Duration("translog.round", 3*time.Second, "BenchmarkAppendVsTessera: how long each log is loaded in a round")
)

// BenchmarkAppendVsTessera loads Log.Append and a bare Tessera POSIX
// appender (Tessera's default batching: 256 entries or 250 ms) in the same
// process, one after the other, for several rounds at each load. Both get
// the same canonical entry bytes; every appender waits for its entry's
// durable index before sending the next, and a watcher measures the time
// until a published checkpoint covers each entry. Both publish a checkpoint
// every DefaultCheckpointInterval (Tessera's default, 10 s, would only
// measure that interval) and start each round with an empty log.
//
//	go test -run '^$' -bench AppendVsTessera -benchtime 1x -count 3 ./internal/translog/
//
// Each round lasts -translog.round per log (3 s), -translog.rounds of them
// (3); b.N is not used. It reports both logs' durable entries/s and p99 time
// to checkpoint over all rounds, and x-tessera, Hearth's entries/s over
// Tessera's.
func BenchmarkAppendVsTessera(b *testing.B) {
	for _, appenders := range []int{100, 256, 1024} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			var hearth, bare loadResult
			for range *vsRounds {
				deadline := func(d time.Duration) func(int) bool {
					var stop atomic.Bool
					time.AfterFunc(d, func() { stop.Store(true) })
					return func(int) bool { return !stop.Load() }
				}
				hearth.merge(runLoad(b, openHearthTarget(b), appenders, deadline(*vsRound)))
				bare.merge(runLoad(b, openTesseraTarget(b), appenders, deadline(*vsRound)))
			}
			b.ReportMetric(hearth.rate(), "hearth-entries/s")
			b.ReportMetric(bare.rate(), "tessera-entries/s")
			b.ReportMetric(hearth.rate()/bare.rate(), "x-tessera")
			b.ReportMetric(hearth.percentile(0.99), "hearth-p99-ms")
			b.ReportMetric(bare.percentile(0.99), "tessera-p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// appendTarget is a log under load.
type appendTarget struct {
	// append adds benchEntry and returns its index once it is durable.
	append func(context.Context) (uint64, error)
	// await returns the size of a published checkpoint covering index.
	await func(ctx context.Context, index uint64) (uint64, error)
}

// openHearthTarget opens a Log with the default settings.
func openHearthTarget(b *testing.B) appendTarget {
	cfg := testConfig(b)
	cfg.CheckpointInterval = 0 // the default
	l := openLog(b, cfg)
	return appendTarget{
		append: func(ctx context.Context) (uint64, error) { return l.Append(ctx, benchEntry) },
		await: func(ctx context.Context, index uint64) (uint64, error) {
			cp, err := l.AwaitCheckpoint(ctx, index)
			return cp.Size, err
		},
	}
}

// openTesseraTarget opens a bare Tessera POSIX appender with its default
// options, but for the checkpoint signer and interval.
func openTesseraTarget(b *testing.B) appendTarget {
	cfg := testConfig(b)
	key, err := loadOrCreateKey(cfg.KeyFile, cfg.Origin, nil)
	if err != nil {
		b.Fatal(err)
	}
	data, err := Canonical(benchEntry)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	driver, err := posix.New(ctx, posix.Config{Path: cfg.Dir})
	if err != nil {
		b.Fatal(err)
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(key.signer).WithCheckpointInterval(DefaultCheckpointInterval)
	appender, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := shutdown(sctx); err != nil {
			b.Error(err)
		}
		cancel()
	})
	return appendTarget{
		append: func(ctx context.Context) (uint64, error) {
			idx, err := appender.Add(ctx, tessera.NewEntry(data))()
			return idx.Index, err
		},
		// Polls the checkpoint as often as Log's watcher does.
		await: func(ctx context.Context, index uint64) (uint64, error) {
			t := time.NewTimer(0)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return 0, ctx.Err()
				case <-t.C:
				}
				raw, err := reader.ReadCheckpoint(ctx)
				if err == nil {
					// The second line of a checkpoint is its size.
					if lines := bytes.SplitN(raw, []byte("\n"), 3); len(lines) == 3 {
						if size, err := strconv.ParseUint(string(lines[1]), 10, 64); err == nil && size > index {
							return size, nil
						}
					}
				}
				t.Reset(pollInterval)
			}
		},
	}
}

// loadResult is what runLoad measured.
type loadResult struct {
	entries   int
	elapsed   time.Duration
	latencies []time.Duration // sorted, from calling append to a covering checkpoint
}

func (r *loadResult) merge(o loadResult) {
	r.entries += o.entries
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
	slices.Sort(r.latencies)
}

func (r *loadResult) rate() float64 { return float64(r.entries) / r.elapsed.Seconds() }

// percentile is in milliseconds.
func (r *loadResult) percentile(p float64) float64 {
	if len(r.latencies) == 0 {
		return 0
	}
	return float64(r.latencies[int(p*float64(len(r.latencies)-1))]) / float64(time.Millisecond)
}

// runLoad appends from appenders goroutines, each waiting for its entry
// before the next, while more(entries started so far) holds, and measures
// durable entries per second and the time until a checkpoint covers each
// entry.
func runLoad(b *testing.B, t appendTarget, appenders int, more func(int) bool) loadResult {
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
			size, err := t.await(ctx, lowest.idx)
			cancel()
			if err != nil {
				b.Error(err)
				return
			}
			now := time.Now()
			pending = slices.DeleteFunc(pending, func(s sample) bool {
				if s.idx < size {
					latencies = append(latencies, now.Sub(s.start))
					return true
				}
				return false
			})
		}
	}()

	var mu sync.Mutex
	started := 0
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if !more(started) {
			return false
		}
		started++
		return true
	}
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range appenders {
		wg.Go(func() {
			for take() {
				t0 := time.Now()
				idx, err := t.append(context.Background())
				if err != nil {
					b.Error(err)
					return
				}
				samples <- sample{idx, t0}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(samples)
	<-watched
	slices.Sort(latencies)
	return loadResult{entries: started, elapsed: elapsed, latencies: latencies}
}
