package geo

import (
	"math"

	"github.com/golang/geo/r2"
	"github.com/golang/geo/r3"
	"github.com/golang/geo/s2"
)

// region is an Area prepared for many containment tests: unit vectors instead
// of degrees, and a polygon flattened onto the plane tangent at its centre.
//
// The flattening is a gnomonic projection, which maps every great circle to a
// straight line, so the geodesic polygon becomes an ordinary straight-edged
// polygon and the classic crossing-number test is exact. It is valid for a
// polygon that fits in the hemisphere around the centre, which every
// neighbourhood does; larger polygons fall back to s2.Loop.
type region struct {
	circle bool

	// Bounding cap: every point of the region is within capAngle of capCenter.
	capCenter r3.Vector
	capAngle  float64 // radians

	// Circle: contains q when the chord from center to q is at most chord2.
	chord2 float64

	// What faceArea.init needs: the cosine of the largest angle from a face's
	// axis at which the cap can still reach the face, and sin(capAngle).
	cosFaceReach, sinCap float64

	// Polygon: its corners, and the same on the tangent plane at capCenter
	// with axes e1 and e2.
	verts  []r3.Vector
	e1, e2 r3.Vector
	flat   []r2.Point
	loop   *s2.Loop // set instead of flat for polygons too large to flatten
}

// init prepares a and reports whether it has a shape to test against.
func (r *region) init(a Area) bool {
	*r = region{flat: r.flat[:0], verts: r.verts[:0]}
	ok := false
	switch {
	case a.Circle != nil:
		theta := a.Circle.RadiusMeters / EarthRadiusMeters
		if !(theta > 0) || !a.Circle.Center.Valid() {
			return false
		}
		r.circle = true
		r.capCenter = a.Circle.Center.vector()
		r.capAngle = math.Min(theta, math.Pi)
		s := math.Sin(r.capAngle / 2)
		r.chord2 = 4 * s * s
		ok = true
	case len(a.Polygon) >= 3:
		ok = r.initPolygon(a.Polygon)
	}
	r.sinCap = math.Sin(r.capAngle)
	r.cosFaceReach = -1.1 // every face
	if r.capAngle+faceAngle+1e-9 < math.Pi {
		r.cosFaceReach = math.Cos(r.capAngle + faceAngle + 1e-9)
	}
	return ok
}

func (r *region) initPolygon(pts []Point) bool {
	var sum r3.Vector
	for _, p := range pts {
		if !p.Valid() {
			return false
		}
		v := p.vector()
		r.verts = append(r.verts, v)
		sum = sum.Add(v)
	}
	c := sum.Normalize()
	minDot := 1.0
	for _, v := range r.verts {
		minDot = math.Min(minDot, v.Dot(c))
	}
	if sum.Norm2() > 0 && minDot > 0.1 {
		// All corners within about 84° of the centre: the polygon lies in
		// the cap through its farthest corner (caps smaller than a
		// hemisphere are convex) and flattens without trouble.
		r.capCenter = c
		r.capAngle = math.Acos(minDot) + 1e-12
		r.e1 = c.Ortho()
		r.e2 = c.Cross(r.e1)
		for _, v := range r.verts {
			t := v.Dot(c)
			r.flat = append(r.flat, r2.Point{X: v.Dot(r.e1) / t, Y: v.Dot(r.e2) / t})
		}
		return true
	}
	v := make([]s2.Point, len(pts))
	for i := range v {
		v[i] = s2.Point{Vector: r.verts[i]}
	}
	r.loop = s2.LoopFromPoints(v)
	if r.loop.Area() > 2*math.Pi {
		r.loop.Invert()
	}
	bound := r.loop.CapBound()
	r.capCenter = bound.Center().Vector
	r.capAngle = math.Min(float64(bound.Radius()), math.Pi)
	return true
}

// contains reports whether the direction q (not necessarily of unit length)
// lies in the region.
func (r *region) contains(q r3.Vector) bool {
	switch {
	case r.circle:
		return q.Normalize().Sub(r.capCenter).Norm2() <= r.chord2
	case r.loop != nil:
		return r.loop.ContainsPoint(s2.Point{Vector: q.Normalize()})
	}
	t := q.Dot(r.capCenter)
	if t <= 0 {
		return false // the polygon lies within the hemisphere around the centre
	}
	return inPolygon(r.flat, r2.Point{X: q.Dot(r.e1) / t, Y: q.Dot(r.e2) / t})
}

// inPolygon is the crossing-number test: p is inside when a ray from p
// towards +X crosses the boundary an odd number of times. An edge counts
// when its ends lie on either side of the ray's line, with the lower end
// inclusive, so a ray through a corner counts it once.
func inPolygon(poly []r2.Point, p r2.Point) bool {
	in := false
	a := poly[len(poly)-1]
	for _, b := range poly {
		if crosses(a, b, p) {
			in = !in
		}
		a = b
	}
	return in
}

// crosses reports whether the ray from p towards +X crosses the edge ab.
func crosses(a, b, p r2.Point) bool {
	if (a.Y > p.Y) == (b.Y > p.Y) {
		return false
	}
	// p lies left of the edge as drawn upwards.
	side := (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
	return (side > 0) == (b.Y > a.Y)
}
