package household

import (
	"math"
	"math/rand/v2"
	"testing"
)

const earthRadius = 6371008.8 // mean radius in metres, as the grid's ≈556 m assumes

// haversine returns the great-circle distance between a and b in metres.
func haversine(a, b Location) float64 {
	rad := math.Pi / 180
	dLat, dLng := (b.Lat-a.Lat)*rad, (b.Lng-a.Lng)*rad
	h := math.Pow(math.Sin(dLat/2), 2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Pow(math.Sin(dLng/2), 2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// samplePoints returns random homes over the inhabitable range, plus the
// edges: the ±89.9 latitude limit of the property, the equator, and both
// sides of the antimeridian.
func samplePoints(n int) []Location {
	r := rand.New(rand.NewPCG(1, 2))
	pts := []Location{
		{0, 0}, {0, 180}, {0, -180}, {89.9, 180}, {-89.9, -180}, {89.9, 0.001}, {-89.9, 179.999},
		{45, 180}, {-45, -180}, {0.0025, 0.0025}, {51.4779, -0.0015}, {-33.8568, 151.2153},
	}
	for range n {
		pts = append(pts, Location{Lat: -89.9 + r.Float64()*179.8, Lng: -180 + r.Float64()*360})
	}
	for range n / 10 { // near the poles, where cells are few and wide
		lat := 80 + r.Float64()*9.9
		if r.IntN(2) == 0 {
			lat = -lat
		}
		pts = append(pts, Location{Lat: lat, Lng: -180 + r.Float64()*360})
	}
	return pts
}

func TestPublicLocationProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	worst := 0.0
	for _, p := range samplePoints(100000) {
		pub := PublicLocation(p)
		c := publicCell(p)
		if pub != c.centre() {
			t.Fatalf("%v: public point %v is not its cell's centre %v", p, pub, c.centre())
		}
		lng := p.Lng
		if lng == 180 {
			lng = -180 // the same meridian
		}
		if p.Lat < c.minLat || p.Lat >= c.maxLat || lng < c.minLng || lng >= c.maxLng {
			t.Fatalf("%v is outside its cell %+v", p, c)
		}

		// Each side is at least 500 m, and the cell is no coarser than the
		// grid promises (≈556 m, a little more where a row's width does not
		// divide evenly into cells).
		pole, equator := c.maxLat, c.minLat
		if math.Abs(c.minLat) > math.Abs(c.maxLat) {
			pole, equator = c.minLat, c.maxLat
		}
		height := haversine(Location{c.minLat, pub.Lng}, Location{c.maxLat, pub.Lng})
		narrow := haversine(Location{pole, c.minLng}, Location{pole, c.maxLng})
		wide := haversine(Location{equator, c.minLng}, Location{equator, c.maxLng})
		if height < 500 || narrow < 500 || wide < 500 {
			t.Fatalf("%v: cell %+v is %.0f m tall and %.0f–%.0f m wide; want ≥ 500 m", p, c, height, narrow, wide)
		}
		if height > 600 || narrow > 600 {
			t.Fatalf("%v: cell %+v is %.0f m tall and %.0f m wide at its narrowest; want ≈556 m", p, c, height, narrow)
		}

		// The home is no farther from its public point than the cell's
		// farthest corner.
		halfDiagonal := 0.0
		for _, corner := range []Location{{c.minLat, c.minLng}, {c.minLat, c.maxLng}, {c.maxLat, c.minLng}, {c.maxLat, c.maxLng}} {
			halfDiagonal = max(halfDiagonal, haversine(pub, corner))
		}
		d := haversine(p, pub)
		if d > halfDiagonal+1e-6 {
			t.Fatalf("%v is %.1f m from its public point %v, more than the half-diagonal %.1f m", p, d, pub, halfDiagonal)
		}
		worst = max(worst, d)

		// Any other home in the same cell shows at the same point.
		q := Location{Lat: c.minLat + r.Float64()*(c.maxLat-c.minLat), Lng: c.minLng + r.Float64()*(c.maxLng-c.minLng)}
		if got := PublicLocation(q); got != pub {
			t.Fatalf("%v and %v share cell %+v but show at %v and %v", p, q, c, pub, got)
		}
		// The public point gives nothing more away when asked again, and it
		// is never the home itself unless the home sits exactly on the centre.
		if PublicLocation(pub) != pub || PublicLocation(p) != pub {
			t.Fatalf("%v: public point not stable", p)
		}
		if p != pub && (pub.Lat == p.Lat && pub.Lng == p.Lng) {
			t.Fatalf("%v: the public point is the home", p)
		}
	}
	// A grid that moved homes by kilometres would pass the checks above by
	// being coarse; cells of ≈556 m keep every home within about 420 m.
	if worst > 450 {
		t.Errorf("a home is %.0f m from its public point; want ≤ 450 m", worst)
	}
}

func TestPublicLocationEdges(t *testing.T) {
	same := func(a, b Location) {
		t.Helper()
		if pa, pb := PublicLocation(a), PublicLocation(b); pa != pb {
			t.Errorf("%v and %v show at %v and %v, want the same point", a, b, pa, pb)
		}
	}
	same(Location{10, 180}, Location{10, -180}) // one meridian, one cell
	same(Location{-60.123, 180}, Location{-60.123, -180})
	same(Location{90, 0}, Location{90, 123})   // the pole is one point
	same(Location{-90, 0}, Location{-90, -45}) // on either pole
	if p := PublicLocation(Location{90, 0}); p.Lat >= 90 || p.Lat < 89.99 {
		t.Errorf("the north pole shows at %v, want the centre of the polar cap", p)
	}
	for _, p := range []Location{{math.NaN(), 0}, {0, math.Inf(1)}} {
		if got := PublicLocation(p); !math.IsNaN(got.Lat) || !math.IsNaN(got.Lng) {
			t.Errorf("PublicLocation(%v) = %v, want NaN", p, got)
		}
	}
	// A home on the centre of its cell is the one case where the public
	// point is the home; every other home in the cell is moved.
	c := PublicLocation(Location{48.8584, 2.2945})
	if PublicLocation(c) != c {
		t.Errorf("a cell centre %v moved to %v", c, PublicLocation(c))
	}
}
