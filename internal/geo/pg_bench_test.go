package geo_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"hearth/internal/geo"
	"hearth/internal/sqlstore/sqltest"
)

// BenchmarkFanoutPostgres answers the same fan-out queries as
// BenchmarkFanout from PostgreSQL, for comparison: the homes in a table
// with a GiST index on their position, a query selecting the eligible homes
// in the area's bounding box (the index's part) and Area.Contains keeping
// those inside (plain PostgreSQL has no geodesic types). It needs a server:
//
//	HEARTH_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	HEARTH_BENCH_HOMES=1000000 go test -run XXX -bench FanoutPostgres -benchtime 3s ./internal/geo/
func BenchmarkFanoutPostgres(b *testing.B) {
	url := sqltest.Postgres(b) // skips without a server; drops the database afterwards
	ctx := context.Background()
	n := geo.BenchHomes(b)
	homes := geo.SyntheticHomes(n, 1)
	areas := geo.SyntheticAreas(homes, 100_000, 2)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)

	start := time.Now()
	if _, err := pool.Exec(ctx, `CREATE TABLE homes (key int NOT NULL, at point NOT NULL, eligible bool NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	i := 0
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"homes"}, []string{"key", "at", "eligible"}, pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(homes) {
			return nil, nil
		}
		h := homes[i]
		i++
		return []any{int32(h.Key), pgtype.Point{P: pgtype.Vec2{X: h.At.Lng, Y: h.At.Lat}, Valid: true}, h.Eligible}, nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	if _, err := pool.Exec(ctx, `CREATE INDEX homes_at ON homes USING gist (at)`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE homes`); err != nil {
		b.Fatal(err)
	}
	built := time.Since(start)
	var bytes int64
	if err := pool.QueryRow(ctx, `SELECT pg_total_relation_size('homes')`).Scan(&bytes); err != nil {
		b.Fatal(err)
	}

	exact := true // false: keep every row of the box, to time PostgreSQL alone
	query := func(conn *pgxpool.Conn, a geo.Area, dst []geo.HomeKey) ([]geo.HomeKey, error) {
		for _, box := range bounds(a) {
			rows, err := conn.Query(ctx, `SELECT key, at FROM homes WHERE at <@ box(point($1, $2), point($3, $4)) AND eligible`,
				box[0], box[1], box[2], box[3])
			if err != nil {
				return dst, err
			}
			var key int32
			var at pgtype.Point
			_, err = pgx.ForEachRow(rows, []any{&key, &at}, func() error {
				if !exact || a.Contains(geo.Point{Lat: at.P.Y, Lng: at.P.X}) {
					dst = append(dst, geo.HomeKey(key))
				}
				return nil
			})
			if err != nil {
				return dst, err
			}
		}
		return dst, nil
	}

	// The answers must be the index's, or the comparison means nothing. A
	// home within a centimetre of an edge may differ, since the index keeps
	// positions to a centimetre: at 10 million homes about one query in a
	// hundred has one such home.
	ix := geo.NewIndex(homes)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	differ, total := 0, 0
	for _, a := range areas[:200] {
		got, err := query(conn, a, nil)
		if err != nil {
			b.Fatal(err)
		}
		want := ix.Query(a, nil)
		total += len(want)
		differ += len(symmetricDifference(got, want))
	}
	conn.Release()
	if differ > total/1000 {
		b.Fatalf("%d of the %d homes found differ from the index", differ, total)
	}

	b.Run("Load", func(b *testing.B) {
		b.ReportMetric(loaded.Seconds(), "copy-s")
		b.ReportMetric(built.Seconds(), "build-s")
		b.ReportMetric(float64(bytes)/float64(n), "bytes/home")
		b.ReportMetric(0, "ns/op")
	})
	sequential := func(b *testing.B) {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Release()
		lat := make([]time.Duration, 0, b.N)
		var dst []geo.HomeKey
		b.ResetTimer()
		for i := range b.N {
			t0 := time.Now()
			if dst, err = query(conn, areas[i%len(areas)], dst[:0]); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(µs(lat, 0.5), "p50-µs")
		b.ReportMetric(µs(lat, 0.99), "p99-µs")
	}
	parallel := func(b *testing.B) {
		var mu sync.Mutex
		var all []time.Duration
		var next int
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Release()
			mu.Lock()
			i := next * 7919
			next++
			mu.Unlock()
			var lat []time.Duration
			var dst []geo.HomeKey
			for pb.Next() {
				t0 := time.Now()
				if dst, err = query(conn, areas[i%len(areas)], dst[:0]); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t0))
				i++
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
		b.StopTimer()
		slices.Sort(all)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
		b.ReportMetric(µs(all, 0.5), "p50-µs")
		b.ReportMetric(µs(all, 0.99), "p99-µs")
	}
	b.Run("Query", sequential)
	b.Run("QuerySQLOnly", func(b *testing.B) {
		exact = false
		defer func() { exact = true }()
		sequential(b)
	})
	b.Run("QueryParallel", parallel)
	// The rows arrive in no spatial order, so a query reads a heap page for
	// nearly every home it finds. Ordered by the index, a query's homes share
	// pages: the best PostgreSQL can do, at the price of rewriting the table
	// (which it does not keep up as homes change).
	start = time.Now()
	if _, err := pool.Exec(ctx, `CLUSTER homes USING homes_at`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE homes`); err != nil {
		b.Fatal(err)
	}
	clustered := time.Since(start)
	b.Run("Clustered/Load", func(b *testing.B) {
		b.ReportMetric(clustered.Seconds(), "cluster-s")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("Clustered/Query", sequential)
	b.Run("Clustered/QueryParallel", parallel)
}

// symmetricDifference returns the keys in exactly one of a and b.
func symmetricDifference(a, b []geo.HomeKey) []geo.HomeKey {
	in := map[geo.HomeKey]int{}
	for _, k := range a {
		in[k]++
	}
	for _, k := range b {
		in[k]--
	}
	var out []geo.HomeKey
	for k, n := range in {
		if n != 0 {
			out = append(out, k)
		}
	}
	return out
}

func µs(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	return float64(d[min(len(d)-1, int(p*float64(len(d))))]) / 1e3
}

// bounds returns latitude-longitude boxes (lng0, lat0, lng1, lat1) that
// together hold a, two when it crosses the antimeridian. PostgreSQL's
// geometric types are planar, so a box in degrees is the filter and the
// exact test happens in Go. The boxes are padded by a tenth, more than a
// geodesic edge of a neighbourhood-sized area bulges from its corners.
func bounds(a geo.Area) [][4]float64 {
	var lat0, lat1, lng0, lng1 float64
	if a.Circle != nil {
		c := a.Circle.Center
		d := a.Circle.RadiusMeters / geo.EarthRadiusMeters * 180 / math.Pi
		lat0, lat1 = c.Lat-d, c.Lat+d
		dl := d / math.Cos(math.Min(89.9, math.Max(math.Abs(lat0), math.Abs(lat1)))*math.Pi/180)
		lng0, lng1 = c.Lng-dl, c.Lng+dl
	} else {
		lat0, lat1 = 90.0, -90.0
		// Unwrap longitudes relative to the first corner, so an area across
		// the antimeridian spans, say, 179.9 to 180.1 rather than -180 to 180.
		ref := a.Polygon[0].Lng
		lng0, lng1 = ref, ref
		for _, p := range a.Polygon {
			lng := ref + math.Remainder(p.Lng-ref, 360)
			lat0, lat1 = min(lat0, p.Lat), max(lat1, p.Lat)
			lng0, lng1 = min(lng0, lng), max(lng1, lng)
		}
	}
	padLat, padLng := (lat1-lat0)/10, (lng1-lng0)/10
	lat0, lat1 = lat0-padLat, lat1+padLat
	lng0, lng1 = lng0-padLng, lng1+padLng
	if lat0 < -89 || lat1 > 89 {
		return [][4]float64{{-180, max(lat0, -90), 180, min(lat1, 90)}}
	}
	switch {
	case lng0 < -180:
		return [][4]float64{{lng0 + 360, lat0, 180, lat1}, {-180, lat0, lng1, lat1}}
	case lng1 > 180:
		return [][4]float64{{lng0, lat0, 180, lat1}, {-180, lat0, lng1 - 360, lat1}}
	}
	return [][4]float64{{lng0, lat0, lng1, lat1}}
}
