package geo

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchHomes returns the number of homes the fan-out benchmarks use:
// HEARTH_BENCH_HOMES, or 10 million.
func BenchHomes(tb testing.TB) int {
	s := os.Getenv("HEARTH_BENCH_HOMES")
	if s == "" {
		return 10_000_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1000 {
		tb.Fatalf("HEARTH_BENCH_HOMES=%q: want a number of homes, at least 1000", s)
	}
	return n
}

// metros are the centres of the synthetic metro areas: spread over every
// inhabited continent, and one (Taveuni, Fiji) straddling the antimeridian.
var metros = []Point{
	{40.71, -74.01}, {34.05, -118.24}, {41.88, -87.63}, {29.76, -95.37}, {33.45, -112.07},
	{39.95, -75.17}, {32.78, -96.80}, {33.75, -84.39}, {25.76, -80.19}, {47.61, -122.33},
	{43.65, -79.38}, {45.50, -73.57}, {19.43, -99.13}, {-23.55, -46.63}, {-34.60, -58.38},
	{-12.05, -77.04}, {4.71, -74.07}, {51.51, -0.13}, {48.86, 2.35}, {52.52, 13.40},
	{40.42, -3.70}, {41.90, 12.50}, {59.33, 18.07}, {52.23, 21.01}, {41.01, 28.98},
	{55.76, 37.62}, {30.04, 31.24}, {6.52, 3.38}, {-1.29, 36.82}, {-26.20, 28.05},
	{25.20, 55.27}, {19.08, 72.88}, {28.61, 77.21}, {12.97, 77.59}, {13.76, 100.50},
	{1.35, 103.82}, {-6.21, 106.85}, {14.60, 120.98}, {22.32, 114.17}, {31.23, 121.47},
	{39.90, 116.41}, {37.57, 126.98}, {35.68, 139.69}, {34.69, 135.50}, {-33.87, 151.21},
	{-37.81, 144.96}, {-36.85, 174.76}, {21.31, -157.86}, {61.22, -149.90}, {-16.85, -179.97},
}

// SyntheticHomes returns n homes clustered like real metro areas, the same
// for the same n and seed. Metro sizes are log-normal; within a metro 35% of
// homes form a Gaussian core and the rest a suburban spread whose distance
// from the centre is log-normal. The radius of a metro grows with the square
// root of its share of the homes, so at 10 million homes every core peaks at
// about 1,800 homes a square mile (a dense inner city where one home in ten
// uses the service), more where the suburbs or a neighbouring metro add to
// it: a 0.5 square mile area centred on a home holds 630 homes on average
// and 1,400 at the 99th percentile. Homes are numbered 0..n-1; one in ten is
// not eligible.
func SyntheticHomes(n int, seed uint64) []Home {
	rng := rand.New(rand.NewPCG(seed, 0x6e656967))
	w := make([]float64, len(metros))
	sum := 0.0
	for i := range w {
		w[i] = math.Exp(0.8 * rng.NormFloat64())
		sum += w[i]
	}
	cum := make([]float64, len(w))
	acc := 0.0
	for i := range w {
		w[i] /= sum
		acc += w[i]
		cum[i] = acc
	}
	homes := make([]Home, n)
	for k := range homes {
		m, _ := slices.BinarySearch(cum, rng.Float64())
		m = min(m, len(metros)-1)
		sigma := 8000 * math.Sqrt(w[m]*float64(len(metros))) // metres
		var d float64
		if rng.Float64() < 0.35 {
			d = 0.5 * sigma * math.Hypot(rng.NormFloat64(), rng.NormFloat64())
		} else {
			d = sigma * math.Exp(0.7*rng.NormFloat64())
		}
		homes[k] = Home{
			Key:      HomeKey(k),
			At:       destination(metros[m], 360*rng.Float64(), d),
			Eligible: rng.Float64() >= 0.1,
		}
	}
	return homes
}

// SyntheticAreas returns count valid areas of 0.5 square miles centred on
// homes picked at random (so busy places are queried as often as they are
// busy): half circles, half star-shaped polygons of 4 to 12 corners.
func SyntheticAreas(homes []Home, count int, seed uint64) []Area {
	rng := rand.New(rand.NewPCG(seed, 0x61726561))
	areas := make([]Area, 0, count)
	for len(areas) < count {
		c := homes[rng.IntN(len(homes))].At
		var a Area
		if len(areas)%2 == 0 {
			a = circleOfArea(c, 0.5)
		} else {
			n := 4 + rng.IntN(9)
			start := 360 * rng.Float64()
			bearing := make([]float64, n)
			scale := make([]float64, n)
			for k := range n {
				bearing[k] = start + (float64(k)+0.7*rng.Float64())*360/float64(n)
				scale[k] = 0.4 + 0.6*rng.Float64()
			}
			shape := func(r float64) Area {
				pts := make([]Point, n)
				for k := range n {
					pts[k] = destination(c, bearing[k], r*scale[k])
				}
				return Area{Polygon: pts}
			}
			// Small enough to be flat: area grows with the square of the size.
			a = shape(1000)
			a = shape(1000 * math.Sqrt(0.5/a.SquareMiles()))
		}
		if a.Validate() == nil {
			areas = append(areas, a)
		}
	}
	return areas
}

var bench struct {
	once  sync.Once
	homes []Home
	areas []Area
	ix    *Index
	build time.Duration
}

func benchData(b *testing.B) {
	bench.once.Do(func() {
		n := BenchHomes(b)
		bench.homes = SyntheticHomes(n, 1)
		bench.areas = SyntheticAreas(bench.homes, 100_000, 2)
		start := time.Now()
		bench.ix = NewIndex(bench.homes)
		bench.build = time.Since(start)
	})
}

// percentile returns the p-th percentile of sorted durations, in µs.
func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	return float64(d[min(len(d)-1, int(p*float64(len(d))))]) / 1e3
}

// BenchmarkFanout measures the fan-out index over SyntheticHomes with
// 0.5 square mile areas from SyntheticAreas:
//
//	HEARTH_BENCH_HOMES=1000000 go test -run XXX -bench Fanout -benchtime 3s ./internal/geo/
func BenchmarkFanout(b *testing.B) {
	benchData(b)
	b.Run("Build", func(b *testing.B) {
		var ix *Index
		b.ResetTimer()
		for b.Loop() {
			ix = NewIndex(bench.homes)
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "build-s")
		b.ReportMetric(ix.BytesPerHome(), "bytes/home")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("Query", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		var byShape [2][]time.Duration // circles, polygons
		results := make([]int, 0, b.N)
		var dst []HomeKey
		b.ResetTimer()
		for i := range b.N {
			a := bench.areas[i%len(bench.areas)]
			start := time.Now()
			dst = bench.ix.Query(a, dst[:0])
			d := time.Since(start)
			lat = append(lat, d)
			byShape[i%2] = append(byShape[i%2], d)
			results = append(results, len(dst))
		}
		b.StopTimer()
		slices.Sort(lat)
		slices.Sort(byShape[0])
		slices.Sort(byShape[1])
		slices.Sort(results)
		total := 0
		for _, r := range results {
			total += r
		}
		b.ReportMetric(percentile(lat, 0.5), "p50-µs")
		b.ReportMetric(percentile(lat, 0.99), "p99-µs")
		b.ReportMetric(percentile(lat, 0.999), "p99.9-µs")
		b.ReportMetric(percentile(byShape[0], 0.99), "p99-circle-µs")
		b.ReportMetric(percentile(byShape[1], 0.99), "p99-polygon-µs")
		b.ReportMetric(float64(total)/float64(len(results)), "homes/query")
		b.ReportMetric(float64(results[len(results)*99/100]), "p99-homes/query")
		b.ReportMetric(bench.ix.BytesPerHome(), "bytes/home")
		b.ReportMetric(bench.build.Seconds(), "build-s")
	})
	b.Run("QueryParallel", func(b *testing.B) {
		var mu sync.Mutex
		var all []time.Duration
		var next int64
		var nextMu sync.Mutex
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			nextMu.Lock()
			i := int(next) * 7919
			next++
			nextMu.Unlock()
			lat := make([]time.Duration, 0, b.N)
			var dst []HomeKey
			for pb.Next() {
				a := bench.areas[i%len(bench.areas)]
				i++
				start := time.Now()
				dst = bench.ix.Query(a, dst[:0])
				lat = append(lat, time.Since(start))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
		b.StopTimer()
		slices.Sort(all)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		b.ReportMetric(percentile(all, 0.5), "p50-µs")
		b.ReportMetric(percentile(all, 0.99), "p99-µs")
	})
	// Last, since it changes the index: homes moving a few hundred metres,
	// the cost of each including its share of the merges.
	b.Run("Put", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(3, 4))
		b.ResetTimer()
		for range b.N {
			h := bench.homes[rng.IntN(len(bench.homes))]
			h.At = destination(h.At, 360*rng.Float64(), 300)
			bench.ix.Put(h)
		}
	})
}
