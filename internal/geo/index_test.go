package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/golang/geo/r3"
)

// Places where the geometry is awkward: the antimeridian, the poles, the
// edges and corners of the cube faces, the middle of a face.
var hotspots = []Point{
	chicago,
	fiji,
	{Lat: 65.5, Lng: -179.9999},
	{Lat: 89.999, Lng: 0},
	{Lat: -89.9995, Lng: 45},
	{Lat: 0, Lng: 45},                   // edge between faces 0 and 1
	{Lat: 35.26438968, Lng: 45},         // corner of faces 0, 1, 2
	{Lat: -35.26438968, Lng: -135.0001}, // corner of faces 3, 4, 5
	{Lat: 45, Lng: 180},                 // edge between faces 2 and 3
	{Lat: 0.0001, Lng: 0.0001},          // middle of face 0
}

// snap is where the index keeps p: the centre of its leaf cell.
func snap(p Point) Point { return pointOf(keyVector(posKey(p.vector()))) }

// nearby returns a random point within d metres of c.
func nearby(rng *rand.Rand, c Point, d float64) Point {
	return destination(c, 360*rng.Float64(), d*math.Sqrt(rng.Float64()))
}

// randomArea returns a circle or a star-shaped polygon near c with a
// radius up to rmax metres.
func randomArea(rng *rand.Rand, c Point, rmax float64) Area {
	center := nearby(rng, c, 2*rmax)
	r := rmax * (0.05 + 0.95*rng.Float64())
	if rng.IntN(2) == 0 {
		return Area{Circle: &Circle{Center: center, RadiusMeters: r}}
	}
	n := 3 + rng.IntN(30)
	pts := make([]Point, n)
	start := 360 * rng.Float64()
	for k := range pts {
		// Star-shaped about the centre with irregular spokes: concave,
		// never self-intersecting.
		b := start + (float64(k)+0.8*rng.Float64())*360/float64(n)
		pts[k] = destination(center, b, r*(0.2+0.8*rng.Float64()))
	}
	if rng.IntN(2) == 0 {
		slices.Reverse(pts)
	}
	return Area{Polygon: pts}
}

// model is the brute-force reference for the index: every home, with where
// the index keeps it.
type model map[HomeKey]modelHome

type modelHome struct {
	Home
	snapped r3.Vector // snap(At).vector(), computed once
}

func (m model) put(h Home) { m[h.Key] = modelHome{h, snap(h.At).vector()} }

func (m model) query(a Area) []HomeKey {
	// What a.Contains(snap(h.At)) does, with the area prepared once.
	var r region
	r.init(a)
	var out []HomeKey
	for k, h := range m {
		if h.Eligible && h.At.Valid() && r.contains(h.snapped) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func checkQueries(t *testing.T, ix *Index, m model, rng *rand.Rand, n int, rmax float64) {
	t.Helper()
	found := 0
	for range n {
		a := randomArea(rng, hotspots[rng.IntN(len(hotspots))], rmax)
		if err := a.Validate(); err != nil {
			t.Fatalf("random area %+v: %v", a, err)
		}
		got := ix.Query(a, nil)
		slices.Sort(got)
		want := m.query(a)
		if !slices.Equal(got, want) {
			t.Fatalf("Query(%+v) found %d homes, brute force %d\n got %v\nwant %v", a, len(got), len(want), got, want)
		}
		found += len(got)
	}
	if found == 0 {
		t.Fatal("no query found anything: the comparison proves nothing")
	}
	if ix.Len() != len(m) {
		t.Fatalf("Len = %d, want %d", ix.Len(), len(m))
	}
}

func randomHomes(rng *rand.Rand, n int, spread float64) []Home {
	homes := make([]Home, n)
	for k := range homes {
		homes[k] = Home{
			Key:      HomeKey(k),
			At:       nearby(rng, hotspots[rng.IntN(len(hotspots))], spread),
			Eligible: rng.IntN(10) != 0,
		}
	}
	return homes
}

func TestQueryMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	homes := randomHomes(rng, 30000, 3000)
	ix := NewIndex(homes)
	m := model{}
	for _, h := range homes {
		m.put(h)
	}
	t.Run("Built", func(t *testing.T) { checkQueries(t, ix, m, rng, 300, 1500) })
	t.Run("Updates", func(t *testing.T) {
		// Enough changes to fold the delta into the arrays more than once.
		next := HomeKey(len(homes))
		for round := range 12 {
			for range 1000 {
				switch op := rng.IntN(10); {
				case op < 3: // move
					k := HomeKey(rng.IntN(int(next)))
					if mh, ok := m[k]; ok {
						h := mh.Home
						h.At = nearby(rng, hotspots[rng.IntN(len(hotspots))], 3000)
						m.put(h)
						ix.Put(h)
					}
				case op < 6: // change eligibility
					k := HomeKey(rng.IntN(int(next)))
					if mh, ok := m[k]; ok {
						h := mh.Home
						h.Eligible = !h.Eligible
						m.put(h)
						ix.Put(h)
					}
				case op < 8: // new home
					h := Home{Key: next, At: nearby(rng, hotspots[rng.IntN(len(hotspots))], 3000), Eligible: rng.IntN(4) != 0}
					next++
					m.put(h)
					ix.Put(h)
				case op < 9:
					k := HomeKey(rng.IntN(int(next)))
					delete(m, k)
					ix.Remove(k)
				default: // unchanged Put
					k := HomeKey(rng.IntN(int(next)))
					if mh, ok := m[k]; ok {
						ix.Put(mh.Home)
					}
				}
			}
			checkQueries(t, ix, m, rng, 40, 1500)
			if round == 0 && len(ix.load().adds) == 0 {
				t.Fatal("the delta is empty: updates are not being tested against it")
			}
		}
	})
	t.Run("Huge", func(t *testing.T) {
		// Areas spanning thousands of kilometres take the scanning path.
		checkQueries(t, ix, m, rng, 20, 3000e3)
		for _, a := range []Area{
			{Circle: &Circle{Center: Point{Lat: 30, Lng: 100}, RadiusMeters: 6000e3}},
			{Circle: &Circle{Center: Point{Lat: -20, Lng: 178}, RadiusMeters: 9000e3}},
			// Too spread out to flatten: tested with s2.Loop.
			{Polygon: []Point{{0, -100}, {0, 0}, {0, 100}, {80, 0}}},
			{Polygon: []Point{{80, 0}, {0, 100}, {0, 0}, {0, -100}}},
		} {
			if err := a.Validate(); err != nil {
				t.Fatalf("%+v: %v", a, err)
			}
			got := ix.Query(a, nil)
			slices.Sort(got)
			if want := m.query(a); !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("Query(%+v) found %d homes, brute force %d", a, len(got), len(want))
			}
		}
	})
}

func TestQueryWithEveryHomeInDelta(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 8))
	ix := &Index{}
	m := model{}
	for _, h := range randomHomes(rng, 3000, 2000) {
		ix.Put(h)
		m.put(h)
	}
	if len(ix.load().keys) != 0 {
		t.Fatal("homes were merged: the delta alone is not being tested")
	}
	checkQueries(t, ix, m, rng, 200, 1500)
}

func TestIndexBookkeeping(t *testing.T) {
	t.Parallel()
	ix := NewIndex([]Home{
		{Key: 3, At: chicago, Eligible: false},
		{Key: 3, At: chicago, Eligible: true}, // the last entry wins
		{Key: 7, At: chicago, Eligible: true},
		{Key: 8, At: Point{Lat: 95}, Eligible: true}, // no valid position
	})
	a := circleOfArea(chicago, 0.1)
	got := ix.Query(a, nil)
	slices.Sort(got)
	if !slices.Equal(got, []HomeKey{3, 7}) || ix.Len() != 3 {
		t.Fatalf("Query = %v, Len = %d; want [3 7], 3", got, ix.Len())
	}
	ix.Remove(7)
	ix.Remove(7)
	ix.Remove(1000) // unknown: nothing happens
	ix.Put(Home{Key: 3, At: chicago, Eligible: false})
	if got := ix.Query(a, nil); len(got) != 0 || ix.Len() != 2 {
		t.Fatalf("after removal and opt-out: Query = %v, Len = %d; want [], 2", got, ix.Len())
	}
	if b := ix.BytesPerHome(); !(b > 0) {
		t.Errorf("BytesPerHome = %v", b)
	}
	dst := []HomeKey{42}
	ix.Put(Home{Key: 8, At: chicago, Eligible: true})
	if got := ix.Query(a, dst); !slices.Equal(got, []HomeKey{42, 8}) {
		t.Errorf("Query appends: got %v, want [42 8]", got)
	}
	var empty Index
	if got := empty.Query(a, nil); len(got) != 0 || empty.Len() != 0 {
		t.Errorf("zero Index: Query = %v, Len = %d", got, empty.Len())
	}
	empty.Put(Home{Key: 0, At: chicago, Eligible: true})
	if got := empty.Query(a, nil); !slices.Equal(got, []HomeKey{0}) {
		t.Errorf("zero Index after Put: Query = %v", got)
	}
}

func TestConcurrentQueriesAndWrites(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 10))
	homes := randomHomes(rng, 5000, 1500)
	ix := NewIndex(homes)
	// Homes 0..99 stay put and eligible throughout; every query must find
	// exactly those of them inside its area, whatever the writer is doing.
	stable := map[HomeKey]bool{}
	for k := range 100 {
		homes[k].Eligible = true
		ix.Put(homes[k])
		stable[HomeKey(k)] = true
	}
	areas := make([]Area, 50)
	wants := make([]int, len(areas))
	for i := range areas {
		areas[i] = randomArea(rng, hotspots[i%len(hotspots)], 1500)
		for k := range 100 {
			if areas[i].Contains(snap(homes[k].At)) {
				wants[i]++
			}
		}
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []HomeKey
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				i := (n + r) % len(areas)
				buf = ix.Query(areas[i], buf[:0])
				got := 0
				for _, k := range buf {
					if stable[k] {
						got++
					}
				}
				if got != wants[i] {
					t.Errorf("query %d found %d of the stable homes, want %d", i, got, wants[i])
					return
				}
			}
		}()
	}
	wrng := rand.New(rand.NewPCG(11, 12))
	for range 6000 {
		k := HomeKey(100 + wrng.IntN(len(homes)-100))
		if wrng.IntN(5) == 0 {
			ix.Remove(k)
			continue
		}
		ix.Put(Home{Key: k, At: nearby(wrng, hotspots[wrng.IntN(len(hotspots))], 1500), Eligible: wrng.IntN(2) == 0})
	}
	close(done)
	wg.Wait()
}
