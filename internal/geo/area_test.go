package geo

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"hearth/internal/apperr"
)

var (
	chicago = Point{Lat: 41.8781, Lng: -87.6298}
	tromso  = Point{Lat: 69.6492, Lng: 18.9553}
	fiji    = Point{Lat: -16.5, Lng: 179.9995} // a metre or two from the antimeridian
)

func TestSquareMilesThresholds(t *testing.T) {
	t.Parallel()
	// The RFA rule is 0.025 ≤ area ≤ 0.5 square miles: areas just outside
	// must measure outside, areas at the limits must measure at them.
	for _, place := range []struct {
		name string
		p    Point
	}{{"Chicago", chicago}, {"Tromso", tromso}, {"Antimeridian", fiji}} {
		for _, tc := range []struct {
			name string
			sqmi float64
		}{
			{"JustUnderMinimum", 0.0249},
			{"Minimum", 0.025},
			{"Maximum", 0.5},
			{"JustOverMaximum", 0.5001},
		} {
			for _, shape := range []struct {
				name string
				a    Area
			}{
				{"Circle", circleOfArea(place.p, tc.sqmi)},
				{"SquareAnticlockwise", squareOfArea(place.p, tc.sqmi, true)},
				{"SquareClockwise", squareOfArea(place.p, tc.sqmi, false)},
			} {
				t.Run(place.name+"/"+shape.name+"/"+tc.name, func(t *testing.T) {
					if err := shape.a.Validate(); err != nil {
						t.Fatalf("Validate: %v", err)
					}
					got := shape.a.SquareMiles()
					if rel := math.Abs(got-tc.sqmi) / tc.sqmi; rel > 1e-4 {
						t.Fatalf("SquareMiles = %.9g, want %.9g (relative error %.2g)", got, tc.sqmi, rel)
					}
					allowed := got >= 0.025*(1-1e-9) && got <= 0.5*(1+1e-9)
					if want := tc.sqmi >= 0.025 && tc.sqmi <= 0.5; allowed != want {
						t.Errorf("SquareMiles = %.9g: within [0.025, 0.5] is %v, want %v", got, allowed, want)
					}
				})
			}
		}
	}
}

func TestSquareMilesKnownShapes(t *testing.T) {
	t.Parallel()
	// A spherical octant (three right angles) is an eighth of the sphere.
	octant := Area{Polygon: []Point{{0, 0}, {0, 90}, {90, 0}}}
	want := 4 * math.Pi * EarthRadiusMeters * EarthRadiusMeters / 8 / squareMetersPerSquareMile
	if got := octant.SquareMiles(); math.Abs(got-want)/want > 1e-9 {
		t.Errorf("octant = %v sq mi, want %v", got, want)
	}
	// A hemisphere-sized circle is half the Earth.
	half := Area{Circle: &Circle{Center: Point{}, RadiusMeters: math.Pi / 2 * EarthRadiusMeters}}
	if got := half.SquareMiles(); math.Abs(got-4*want)/(4*want) > 1e-9 {
		t.Errorf("hemisphere = %v sq mi, want %v", got, 4*want)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	sq := func(pts ...[2]float64) Area {
		// Corners in thousandths of a degree near the equator (about a
		// hundred metres each), as lat, lng pairs.
		var a Area
		for _, p := range pts {
			a.Polygon = append(a.Polygon, Point{Lat: p[0] / 1000, Lng: p[1] / 1000})
		}
		return a
	}
	circle := func(c Point, r float64) Area { return Area{Circle: &Circle{Center: c, RadiusMeters: r}} }
	many := make([]Point, MaxVertices+1)
	for k := range many {
		many[k] = destination(chicago, 360*float64(k)/float64(len(many)), 500)
	}
	maxOK := Area{Polygon: many[:MaxVertices]}
	for _, tc := range []struct {
		name string
		a    Area
		want string // a fragment of the message; "" for valid
	}{
		{"OK/Circle", circle(chicago, 300), ""},
		{"OK/CircleAtPole", circle(Point{Lat: 90, Lng: 0}, 300), ""},
		{"OK/Square", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{4, 4}, [2]float64{4, 0}), ""},
		{"OK/Triangle", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{4, 0}), ""},
		{"OK/Concave", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{2, 1}, [2]float64{4, 4}, [2]float64{4, 0}), ""},
		{"OK/MaxVertices", maxOK, ""},
		{"OK/AcrossAntimeridian", Area{Polygon: []Point{{-0.005, 179.995}, {-0.005, -179.995}, {0.005, -179.995}, {0.005, 179.995}}}, ""},
		{"OK/AroundPole", Area{Polygon: []Point{{89.99, 0}, {89.99, 120}, {89.99, -120}}}, ""},
		{"ErrNoShape", Area{}, "circle or a polygon"},
		{"ErrBothShapes", Area{Circle: &Circle{Center: chicago, RadiusMeters: 10}, Polygon: sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{4, 0}).Polygon}, "not both"},
		{"ErrCentreNaN", circle(Point{Lat: math.NaN(), Lng: 0}, 100), "not a position"},
		{"ErrCentreLat91", circle(Point{Lat: 91, Lng: 0}, 100), "not a position"},
		{"ErrCentreLngInf", circle(Point{Lat: 0, Lng: math.Inf(1)}, 100), "not a position"},
		{"ErrRadiusZero", circle(chicago, 0), "positive distance"},
		{"ErrRadiusNegative", circle(chicago, -5), "positive distance"},
		{"ErrRadiusNaN", circle(chicago, math.NaN()), "positive distance"},
		{"ErrRadiusInf", circle(chicago, math.Inf(1)), "positive distance"},
		{"ErrRadiusLargerThanEarth", circle(chicago, 21000e3), "larger than the Earth"},
		{"ErrVertexLat91", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{91000, 0}), "not a position"},
		{"ErrVertexNaN", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{math.NaN(), 0}), "not a position"},
		{"ErrTwoPoints", sq([2]float64{0, 0}, [2]float64{0, 4}), "at least 3 distinct"},
		{"ErrTwoDistinctPoints", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{0, 0}), "at least 3 distinct"},
		{"ErrRepeatedVertex", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{0, 4}, [2]float64{4, 0}), "repeats a corner"},
		{"ErrClosedRing", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{4, 0}, [2]float64{0, 0}), "last corner repeats"},
		{"ErrCollinear", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{0, 8}), "degenerate"},
		{"ErrCollinearDiagonal", sq([2]float64{1, 1}, [2]float64{2, 2}, [2]float64{4, 4}, [2]float64{3, 3}), "degenerate"},
		{"ErrBowTie", sq([2]float64{0, 0}, [2]float64{4, 4}, [2]float64{4, 0}, [2]float64{0, 4}), "cross or touch"},
		{"ErrTouchAtVertex", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{2, 2}, [2]float64{4, 4}, [2]float64{4, 0}, [2]float64{2, 2}), "cross or touch"},
		// The sixth corner lies on the first edge (the equator).
		{"ErrVertexOnEdge", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{4, 4}, [2]float64{4, 3}, [2]float64{0, 2}, [2]float64{4, 1}, [2]float64{4, 0}), "cross or touch"},
		{"ErrFoldBack", sq([2]float64{0, 0}, [2]float64{0, 4}, [2]float64{0, 2}, [2]float64{4, 0}), "cross or touch"},
		{"ErrTooManyVertices", Area{Polygon: many}, "too many corners"},
		{"ErrAntipodalEdge", Area{Polygon: []Point{{0, 0}, {0, 180}, {10, 10}}}, "opposite sides"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if a := tc.a.SquareMiles(); !(a > 0) {
					t.Errorf("SquareMiles = %v for a valid area", a)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("Validate = %v, want an Invalid error", err)
			}
			if msg := apperr.MessageOf(err); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want it to mention %q", msg, tc.want)
			}
		})
	}
}

func TestAntimeridianPolygon(t *testing.T) {
	t.Parallel()
	across := Area{Polygon: []Point{{-0.005, 179.995}, {-0.005, -179.995}, {0.005, -179.995}, {0.005, 179.995}}}
	// The same square moved to the prime meridian: a rotation about the
	// axis, so exactly the same area.
	prime := Area{Polygon: []Point{{-0.005, -0.005}, {-0.005, 0.005}, {0.005, 0.005}, {0.005, -0.005}}}
	if err := across.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got, want := across.SquareMiles(), prime.SquareMiles()
	if math.Abs(got-want)/want > 1e-9 {
		t.Errorf("SquareMiles = %v, want %v as at the prime meridian", got, want)
	}
	// 0.01° is 1111.95 m at the equator.
	if flat := 1111.95 * 1111.95 / squareMetersPerSquareMile; math.Abs(got-flat)/flat > 1e-4 {
		t.Errorf("SquareMiles = %v, want about %v", got, flat)
	}
	for _, tc := range []struct {
		name string
		p    Point
		want bool
	}{
		{"InsideAt180", Point{0, 180}, true},
		{"InsideAtMinus180", Point{0, -180}, true},
		{"InsideEast", Point{0.004, -179.996}, true},
		{"InsideWest", Point{-0.004, 179.996}, true},
		{"OutsideAtZero", Point{0, 0}, false},
		{"OutsideWest", Point{0, 179.99}, false},
		{"OutsideEast", Point{0, -179.99}, false},
		{"OutsideNorth", Point{0.006, 180}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := across.Contains(tc.p); got != tc.want {
				t.Errorf("Contains(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestWindingOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []Point{chicago, fiji, {Lat: -89.995, Lng: 10}} {
		ccw := Area{Polygon: regularPolygon(c, 7, 400, 10, true)}
		cw := Area{Polygon: regularPolygon(c, 7, 400, 10, false)}
		if err := cw.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		a, b := ccw.SquareMiles(), cw.SquareMiles()
		if math.Abs(a-b)/a > 1e-9 || a > 0.3 {
			t.Errorf("at %v: anticlockwise %v sq mi, clockwise %v sq mi; want the same small area", c, a, b)
		}
		for _, p := range []Point{c, destination(c, 33, 300), destination(c, 33, 500), {Lat: -c.Lat, Lng: c.Lng}} {
			if ccw.Contains(p) != cw.Contains(p) {
				t.Errorf("at %v: Contains(%v) depends on winding", c, p)
			}
		}
		if !cw.Contains(c) || cw.Contains(destination(c, 33, 500)) {
			t.Errorf("at %v: clockwise polygon is not the small region", c)
		}
	}
}

func TestCircleContainsAtEdge(t *testing.T) {
	t.Parallel()
	for _, c := range []Point{chicago, fiji, {Lat: 90, Lng: 0}, {Lat: -89.9999, Lng: 0}} {
		for _, r := range []float64{30, 500, 1500} {
			a := Area{Circle: &Circle{Center: c, RadiusMeters: r}}
			for b := 0.0; b < 360; b += 22.5 {
				if p := destination(c, b, r-0.01); !a.Contains(p) {
					t.Errorf("circle at %v r=%v: 1 cm inside at bearing %v is outside", c, r, b)
				}
				if p := destination(c, b, r+0.01); a.Contains(p) {
					t.Errorf("circle at %v r=%v: 1 cm outside at bearing %v is inside", c, r, b)
				}
			}
		}
	}
}

func TestContainsInvalidPoint(t *testing.T) {
	t.Parallel()
	a := circleOfArea(chicago, 0.3)
	for _, p := range []Point{{math.NaN(), chicago.Lng}, {91, 0}, {chicago.Lat, math.Inf(-1)}, {0, 180.5}} {
		if a.Contains(p) {
			t.Errorf("Contains(%v) = true for an invalid point", p)
		}
	}
	if (Area{}).Contains(chicago) {
		t.Error("an empty area contains a point")
	}
}

func TestAreaJSON(t *testing.T) {
	t.Parallel()
	in := `{"circle":{"center":{"lat":41.5,"lng":-87.25},"radius_m":400}}`
	var a Area
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if a.Circle == nil || a.Circle.Center != (Point{41.5, -87.25}) || a.Circle.RadiusMeters != 400 || a.Polygon != nil {
		t.Fatalf("decoded %+v", a)
	}
	out, err := json.Marshal(Area{Polygon: []Point{{1, 2}, {3, 4}, {5, 6}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"polygon":[{"lat":1,"lng":2},{"lat":3,"lng":4},{"lat":5,"lng":6}]}`; string(out) != want {
		t.Errorf("encoded %s, want %s", out, want)
	}
}

// FuzzArea checks that no input makes Validate, SquareMiles, Contains or
// Index.Query panic, that every valid area has a positive, finite size, and
// that the index finds in it exactly the homes Contains accepts.
func FuzzArea(f *testing.F) {
	rng := rand.New(rand.NewPCG(13, 14))
	homes := randomHomes(rng, 2000, 5000)
	ix := NewIndex(homes)
	m := model{}
	for _, h := range homes {
		m.put(h)
	}
	f.Add(`{"circle":{"center":{"lat":41.8,"lng":-87.6},"radius_m":400}}`, 41.8, -87.6)
	f.Add(`{"polygon":[{"lat":0,"lng":179.99},{"lat":0,"lng":-179.99},{"lat":0.01,"lng":-179.99}]}`, 0.001, 180.0)
	f.Add(`{"polygon":[{"lat":0,"lng":0},{"lat":1,"lng":1},{"lat":1,"lng":0},{"lat":0,"lng":1}]}`, 0.5, 0.5)
	f.Fuzz(func(t *testing.T, in string, lat, lng float64) {
		var a Area
		if json.Unmarshal([]byte(in), &a) != nil {
			return
		}
		a.Contains(Point{Lat: lat, Lng: lng})
		if a.Validate() != nil {
			return
		}
		if s := a.SquareMiles(); !(s > 0) || math.IsInf(s, 0) {
			t.Errorf("SquareMiles = %v for valid %s", s, in)
		}
		got := ix.Query(a, nil)
		slices.Sort(got)
		if want := m.query(a); !slices.Equal(got, want) {
			t.Errorf("Query(%s) found %d homes, Contains %d", in, len(got), len(want))
		}
	})
}
