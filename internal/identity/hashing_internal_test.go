package identity

import (
	"context"
	"crypto/rand"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"

	"hearth/internal/apperr"
)

// TestHashSlots_Bound checks that no more hashes than slots run at once,
// that a freed slot goes to the next caller, and that a caller whose
// request ends while it waits gives up with Unavailable.
func TestHashSlots_Bound(t *testing.T) {
	slots := newHashSlots(2)
	ctx := context.Background()
	first, err := slots.take(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slots.take(ctx, "test"); err != nil {
		t.Fatal(err)
	}

	waiting, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := slots.take(waiting, "test"); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("take with both slots busy and the request over: %v, want Unavailable", err)
	}

	got := make(chan error, 1)
	go func() {
		release, err := slots.take(ctx, "test")
		if err == nil {
			release()
		}
		got <- err
	}()
	first()
	if err := <-got; err != nil {
		t.Fatalf("take after a slot was released: %v", err)
	}
}

func TestNewHashSlots_DefaultsToCores(t *testing.T) {
	if got := cap(newHashSlots(0)); got < 1 {
		t.Fatalf("newHashSlots(0) has %d slots", got)
	}
	if got := cap(newHashSlots(3)); got != 3 {
		t.Fatalf("newHashSlots(3) has %d slots", got)
	}
}

// BenchmarkHashBurst hashes 32 passwords arriving at once, with one slot per
// core (as the service does) and with a slot for each, and reports the most
// heap in use while they run: argon2id takes 19 MiB per hash in flight.
//
//	go test -run '^$' -bench HashBurst -benchtime 3x ./internal/identity/
func BenchmarkHashBurst(b *testing.B) {
	const burst = 32
	for _, bc := range []struct {
		name  string
		slots int
	}{{"slots=cores", 0}, {"slots=32", burst}} {
		b.Run(bc.name, func(b *testing.B) {
			var peak uint64
			for range b.N {
				runtime.GC()
				slots := newHashSlots(bc.slots)
				stop := make(chan struct{})
				sampled := make(chan uint64)
				go func() { sampled <- peakHeapInUse(stop) }()
				var wg sync.WaitGroup
				for range burst {
					wg.Go(func() {
						release, err := slots.take(context.Background(), "bench")
						if err != nil {
							b.Error(err)
							return
						}
						defer release()
						if _, err := hashPassword("correct horse battery staple", DefaultArgon2, rand.Reader); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				close(stop)
				peak = max(peak, <-sampled)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// peakHeapInUse samples the heap's in-use bytes until stop is closed and
// returns the most it saw.
func peakHeapInUse(stop <-chan struct{}) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	for {
		select {
		case <-stop:
			return peak
		default:
		}
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
		runtime.Gosched()
	}
}
