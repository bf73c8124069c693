package geo

import (
	"math"

	"github.com/golang/geo/s2"
)

// DistanceMeters returns the distance along the surface between two points.
func DistanceMeters(a, b Point) float64 {
	return a.vector().Angle(b.vector()).Radians() * EarthRadiusMeters
}

// DistanceMeters returns how far p is from a, along the surface: 0 when p
// is inside, else the distance to the nearest point of its boundary. For an
// invalid p or an area that fails Validate it returns +Inf.
func (a Area) DistanceMeters(p Point) float64 {
	if !p.Valid() {
		return math.Inf(1)
	}
	switch {
	case a.Circle != nil:
		return max(0, DistanceMeters(a.Circle.Center, p)-a.Circle.RadiusMeters)
	case len(a.Polygon) >= 3:
		if a.Contains(p) {
			return 0
		}
		x := s2.Point{Vector: p.vector()}
		best := math.Inf(1)
		for i, c := range a.Polygon {
			next := a.Polygon[(i+1)%len(a.Polygon)]
			d := s2.DistanceFromSegment(x, s2.Point{Vector: c.vector()}, s2.Point{Vector: next.vector()})
			best = min(best, d.Radians()*EarthRadiusMeters)
		}
		return best
	}
	return math.Inf(1)
}
