package geo

import (
	"math"

	"github.com/golang/geo/r3"
	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"

	"hearth/internal/apperr"
)

// MaxVertices is the most corners a polygon may have. A neighbourhood drawn
// by hand has a handful; the limit keeps validation (quadratic in the corners)
// and every containment check cheap.
const MaxVertices = 200

// Circle is a disc on the Earth's surface: every point within RadiusMeters
// (along the surface) of Center.
type Circle struct {
	Center       Point   `json:"center"`
	RadiusMeters float64 `json:"radius_m"`
}

// Area is a circle or a simple polygon (exactly one is set), as drawn on a map.
//
// A polygon's edges are geodesics (the shortest path between consecutive
// corners), so an edge from longitude 179.99 to -179.99 crosses the
// antimeridian rather than going round the world. A polygon divides the
// sphere in two; the Area is the smaller part, whichever way round the
// corners were drawn: people draw clockwise and anticlockwise alike, and
// nobody means "everywhere except this block".
type Area struct {
	Circle  *Circle `json:"circle,omitempty"`
	Polygon []Point `json:"polygon,omitempty"` // corners in order, not closed (first != last)
}

// Tolerances for telling a drawn shape from a degenerate one. A corner closer
// than touchAngle (about 6 mm) to an edge it is not part of touches it; no
// hand-drawn boundary needs that precision and the margin keeps rounding from
// letting a touching polygon through.
const (
	touchAngle       = 1e-9  // radians
	minAreaSteradian = 1e-14 // about 0.4 m²
)

func invalid(msg string) error { return apperr.E("geo.Area.Validate", apperr.Invalid, msg) }

// Validate reports whether a is a usable area. It returns an *apperr.Error
// with Code apperr.Invalid, whose message tells the person who drew the area
// what to fix, when neither or both shapes are set, a point is not a position
// on Earth, the circle's radius is not a positive distance smaller than the
// Earth, or the polygon has fewer than 3 distinct corners, a corner repeated
// consecutively (including a closing corner equal to the first), more than
// MaxVertices corners, no area (all corners on one line), two consecutive
// corners on opposite sides of the Earth, or edges that cross or touch.
func (a Area) Validate() error {
	switch {
	case a.Circle == nil && len(a.Polygon) == 0:
		return invalid("Draw the area as a circle or a polygon.")
	case a.Circle != nil && len(a.Polygon) > 0:
		return invalid("Draw the area as a circle or a polygon, not both.")
	case a.Circle != nil:
		return a.Circle.validate()
	}
	return validatePolygon(a.Polygon)
}

func (c *Circle) validate() error {
	if !c.Center.Valid() {
		return invalid("The circle's centre is not a position on Earth (latitude -90 to 90, longitude -180 to 180).")
	}
	r := c.RadiusMeters
	if !(r > 0) || math.IsInf(r, 0) {
		return invalid("The circle's radius must be a positive distance.")
	}
	if r >= math.Pi*EarthRadiusMeters {
		return invalid("The circle is larger than the Earth.")
	}
	return nil
}

func validatePolygon(pts []Point) error {
	n := len(pts)
	if n > MaxVertices {
		return invalid("The polygon has too many corners (at most 200).")
	}
	for _, p := range pts {
		if !p.Valid() {
			return invalid("A corner of the polygon is not a position on Earth (latitude -90 to 90, longitude -180 to 180).")
		}
	}
	v := vectors(pts)
	// Corners that differ only in longitude at a pole, or by 360° of
	// longitude, are the same place: compare positions, not numbers.
	distinct := 0
	for i := range v {
		dup := false
		for j := range i {
			if v[i].Sub(v[j]).Norm2() < touchAngle*touchAngle {
				dup = true
				break
			}
		}
		if !dup {
			distinct++
		}
	}
	if distinct < 3 {
		return invalid("The polygon needs at least 3 distinct corners.")
	}
	for i := range v {
		next := v[(i+1)%n]
		if v[i].Sub(next).Norm2() < touchAngle*touchAngle {
			if i == n-1 {
				return invalid("The polygon's last corner repeats its first; leave the shape open.")
			}
			return invalid("The polygon repeats a corner; remove the duplicate point.")
		}
		if v[i].Add(next).Norm2() < 1e-12 {
			return invalid("Two consecutive corners of the polygon are on opposite sides of the Earth.")
		}
	}
	if collinear(v) {
		return invalid("The polygon is degenerate: its corners lie on one line, so it has no area.")
	}
	if selfIntersecting(v) {
		return invalid("The polygon's edges cross or touch each other; draw it without crossings.")
	}
	if steradians(v) < minAreaSteradian {
		return invalid("The polygon is degenerate: it has no area.")
	}
	return nil
}

func vectors(pts []Point) []r3.Vector {
	v := make([]r3.Vector, len(pts))
	for i, p := range pts {
		v[i] = p.vector()
	}
	return v
}

// collinear reports whether every corner lies on one great circle.
func collinear(v []r3.Vector) bool {
	// The great circle through v[0] and the corner farthest from it is the
	// best conditioned; farthest short of antipodal, which defines none.
	far, best := -1, 0.0
	for i := 1; i < len(v); i++ {
		d := v[0].Sub(v[i]).Norm2()
		if d > best && v[0].Add(v[i]).Norm2() > 1e-12 {
			far, best = i, d
		}
	}
	if far < 0 {
		return true
	}
	normal := v[0].Cross(v[far]).Normalize()
	for _, p := range v {
		if math.Abs(p.Dot(normal)) > touchAngle {
			return false
		}
	}
	return true
}

// selfIntersecting reports whether two edges cross or touch anywhere other
// than at the corner shared by neighbours, and whether neighbours fold back
// over each other.
func selfIntersecting(v []r3.Vector) bool {
	n := len(v)
	p := make([]s2.Point, n)
	for i := range v {
		p[i] = s2.Point{Vector: v[i]}
	}
	tol := s1.Angle(touchAngle)
	for i := range n {
		a, b, c := p[i], p[(i+1)%n], p[(i+2)%n]
		// Neighbours fold back when one's far end lies on the other.
		if s2.DistanceFromSegment(c, a, b) < tol || s2.DistanceFromSegment(a, b, c) < tol {
			return true
		}
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue // neighbours through the closing corner
			}
			c, d := p[j], p[(j+1)%n]
			if s2.CrossingSign(a, b, c, d) != s2.DoNotCross {
				return true
			}
			// Touching without crossing: a corner on the other edge.
			if s2.DistanceFromSegment(a, c, d) < tol || s2.DistanceFromSegment(b, c, d) < tol ||
				s2.DistanceFromSegment(c, a, b) < tol || s2.DistanceFromSegment(d, a, b) < tol {
				return true
			}
		}
	}
	return false
}

// steradians returns the area of the smaller of the two regions the loop v
// bounds, on the unit sphere.
func steradians(v []r3.Vector) float64 {
	p := make([]s2.Point, len(v))
	for i := range v {
		p[i] = s2.Point{Vector: v[i]}
	}
	area := s2.LoopFromPoints(p).Area()
	if area <= 2*math.Pi {
		return area
	}
	// The loop runs clockwise: measure it the other way round, rather than
	// subtracting from 4π, which would cost small areas their precision.
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return s2.LoopFromPoints(p).Area()
}

// SquareMiles returns the geodesic area of a on a sphere of radius
// EarthRadiusMeters. A polygon measures the smaller of the two regions its
// edges bound (see Area), so the winding order does not matter. The result is
// accurate to a relative 1e-9 or better, so comparing it with a threshold is
// meaningful to that precision. For an area that fails Validate the result
// is unspecified.
func (a Area) SquareMiles() float64 {
	var sr float64
	switch {
	case a.Circle != nil:
		// 2πR²(1−cos θ), written as 4πR² sin²(θ/2) to keep small circles precise.
		s := math.Sin(a.Circle.RadiusMeters / EarthRadiusMeters / 2)
		sr = 4 * math.Pi * s * s
	case len(a.Polygon) >= 3:
		sr = steradians(vectors(a.Polygon))
	}
	return sr * EarthRadiusMeters * EarthRadiusMeters / squareMetersPerSquareMile
}

// Contains reports whether p lies inside a (a point on the boundary may go
// either way). It reports false for an invalid p; for an area that fails
// Validate the result is unspecified.
func (a Area) Contains(p Point) bool {
	if !p.Valid() {
		return false
	}
	var r region
	if !r.init(a) {
		return false
	}
	return r.contains(p.vector())
}
