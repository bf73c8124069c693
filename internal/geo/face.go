package geo

import (
	"math"
)

// How a query treats one cube face.
const (
	faceSkip   = iota // the area does not reach the face
	facePlanar        // the area, projected onto the face, is an ellipse or a polygon
	faceScan          // the area is too large to project: test every home on the face
)

// Classification of a cell against the area.
const (
	cellOutside = iota
	cellInside
	cellBoundary
)

// Margins that keep a cell classified inside or outside at least this far
// from the boundary, so rounding differences between the projected test used
// here and the spherical one in Area.Contains never decide a home's fate.
const (
	uvMargin    = 1e-12 // on a face, about 6 µm
	ellipseSlop = 1e-9  // relative, on the ellipse's quadratic form
)

// faceArea is an area projected onto one cube face, where a circle becomes
// an ellipse and a polygon stays a polygon with straight edges.
type faceArea struct {
	face   int
	circle bool
	// Bounding box of the area on the face, clipped to the face.
	u0, u1, v0, v1 float64

	// Circle: the ellipse (x-m)ᵀP(x-m) ≤ s. A cell whose centre is
	// further than its half-diagonal times √λ (λ the largest eigenvalue
	// of P) from the ellipse's boundary, in the metric of P, is wholly on
	// one side: rootIn and rootOut are √s with the margins.
	mu, mv, p11, p12, p22, s    float64
	rootLambda, rootIn, rootOut float64

	// Polygon: its edges, and for each horizontal slab of its bounding box
	// the edges that reach the slab's height, so that a point meets only
	// the few edges at its height.
	segs      []seg
	pv0, pv1  float64 // vertical extent of the polygon (unclipped)
	slabH     float64
	slabInvH  float64
	slabStart []int32 // slab k: rays[slabStart[k]:slabStart[k+1]]
	rays      []ray
}

// seg is a polygon edge from a to b, with its line n·x = c (|n| = 1).
type seg struct {
	ax, ay, bx, by float64
	nx, ny, c      float64
}

// ray is a polygon edge that is not horizontal, as the crossing-number test
// uses it: from its lower end (x0, y0) up to height y1, with slope dxdy. A
// point (u, v) sees it cross the ray towards +u when y0 ≤ v < y1 and u lies
// left of it.
type ray struct {
	y0, y1, x0, dxdy float64
}

// init projects r onto face f and reports the mode.
func (fa *faceArea) init(r *region, f int) int {
	fa.face, fa.circle = f, r.circle
	fr := &faces[f]
	c := r.capCenter
	ca := c.Dot(fr.axis)
	rho := r.capAngle
	// The cap misses the face when its centre is farther from the axis
	// than the face's corners are, by more than its radius.
	if ca < r.cosFaceReach {
		return faceSkip
	}
	// Project only when the whole bounding cap lies well within the
	// hemisphere facing the face, where the projection is finite and well
	// conditioned; a neighbourhood is always so.
	if rho >= math.Pi/4 || ca < r.sinCap+0.05 || r.loop != nil {
		return faceScan
	}
	if r.circle {
		fa.initEllipse(r, f)
	} else {
		fa.initPolygon(r, f)
	}
	fa.u0, fa.v0 = math.Max(fa.u0, -1), math.Max(fa.v0, -1)
	fa.u1, fa.v1 = math.Min(fa.u1, 1), math.Min(fa.v1, 1)
	if fa.u0 > fa.u1 || fa.v0 > fa.v1 {
		return faceSkip
	}
	return facePlanar
}

// initEllipse projects the cap onto face f. A direction q = (x, 1) in the
// face's frame is in the cap when c·q ≥ cos ρ |q|; squared and rearranged
// this is (x-m)ᵀP(x-m) ≤ s with P = cos²ρ I - wwᵀ (w the face-plane part of
// c), m = c_a w / (c_a² - sin²ρ) and s = cos²ρ sin²ρ / (c_a² - sin²ρ). The
// forms with sin²ρ avoid subtracting nearly equal numbers for small caps.
func (fa *faceArea) initEllipse(r *region, f int) {
	fr := &faces[f]
	c := r.capCenter
	ca := c.Dot(fr.axis)
	sr2 := r.sinCap * r.sinCap
	k := 1 - sr2
	cu, cv := c.Dot(fr.u), c.Dot(fr.v)
	den := ca*ca - sr2
	fa.mu, fa.mv = ca*cu/den, ca*cv/den
	fa.p11, fa.p12, fa.p22 = k-cu*cu, -cu*cv, k-cv*cv
	fa.s = k * sr2 / den
	det := fa.p11*fa.p22 - fa.p12*fa.p12
	hu := math.Sqrt(fa.s*fa.p22/det) * (1 + 1e-9)
	hv := math.Sqrt(fa.s*fa.p11/det) * (1 + 1e-9)
	fa.u0, fa.u1, fa.v0, fa.v1 = fa.mu-hu, fa.mu+hu, fa.mv-hv, fa.mv+hv
	half := (fa.p11 - fa.p22) / 2
	fa.rootLambda = math.Sqrt((fa.p11+fa.p22)/2 + math.Hypot(half, fa.p12))
	fa.rootIn = math.Sqrt(fa.s * (1 - ellipseSlop))
	fa.rootOut = math.Sqrt(fa.s * (1 + ellipseSlop))
}

func (fa *faceArea) initPolygon(r *region, f int) {
	fr := &faces[f]
	// The face plane is another gnomonic projection of the same corners.
	fa.segs = fa.segs[:0]
	u0, u1, v0, v1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	n := len(r.verts)
	var px, py float64
	for k := 0; k <= n; k++ {
		q := r.verts[k%n]
		t := q.Dot(fr.axis)
		x, y := q.Dot(fr.u)/t, q.Dot(fr.v)/t
		if k > 0 {
			nx, ny := py-y, x-px
			l := math.Hypot(nx, ny)
			nx, ny = nx/l, ny/l
			fa.segs = append(fa.segs, seg{px, py, x, y, nx, ny, nx*px + ny*py})
		}
		px, py = x, y
		u0, u1 = math.Min(u0, x), math.Max(u1, x)
		v0, v1 = math.Min(v0, y), math.Max(v1, y)
	}
	fa.pv0, fa.pv1 = v0, v1
	fa.u0, fa.u1, fa.v0, fa.v1 = u0-uvMargin, u1+uvMargin, v0-uvMargin, v1+uvMargin

	// A small polygon is tested against all its edges: cheaper than
	// filing them.
	slabs := 1
	if n > 16 {
		slabs = min(2*n, 64)
	}
	fa.slabH = (v1 - v0) / float64(slabs)
	if !(fa.slabH > 0) {
		slabs, fa.slabH = 1, math.Inf(1)
	}
	fa.slabInvH = 1 / fa.slabH
	fa.slabStart = resize(fa.slabStart, slabs+1)
	clear(fa.slabStart)
	span := func(e *seg) (int, int) {
		// One slab of slack either side absorbs rounding in slabOf.
		lo := fa.slabOf(math.Min(e.ay, e.by)) - 1
		hi := fa.slabOf(math.Max(e.ay, e.by)) + 1
		return max(lo, 0), min(hi, slabs-1)
	}
	for i := range fa.segs {
		if e := &fa.segs[i]; e.ay != e.by { // a horizontal edge never crosses the ray
			lo, hi := span(e)
			for k := lo; k <= hi; k++ {
				fa.slabStart[k+1]++
			}
		}
	}
	for k := range slabs {
		fa.slabStart[k+1] += fa.slabStart[k]
	}
	fa.rays = resize(fa.rays, int(fa.slabStart[slabs]))
	// Fill each slab from its end, counting its start back down.
	for i := range fa.segs {
		e := &fa.segs[i]
		if e.ay == e.by {
			continue
		}
		r := ray{y0: e.ay, y1: e.by, x0: e.ax}
		if e.by < e.ay {
			r = ray{y0: e.by, y1: e.ay, x0: e.bx}
		}
		r.dxdy = (e.bx - e.ax) / (e.by - e.ay)
		lo, hi := span(e)
		for k := lo; k <= hi; k++ {
			fa.slabStart[k+1]--
			fa.rays[fa.slabStart[k+1]] = r
		}
	}
	// Each slab's start has been counted down into the next slot: shift.
	copy(fa.slabStart[:slabs], fa.slabStart[1:])
	fa.slabStart[slabs] = int32(len(fa.rays))
}

// resize returns s with length n, reusing its storage when it can.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// slabOf returns the slab of the height v, clamped to the slabs.
func (fa *faceArea) slabOf(v float64) int {
	k := int((v - fa.pv0) * fa.slabInvH)
	return max(0, min(k, len(fa.slabStart)-2))
}

// containsUV reports whether the point (u, v) of the face is in the area.
func (fa *faceArea) containsUV(u, v float64) bool {
	if fa.circle {
		du, dv := u-fa.mu, v-fa.mv
		return fa.p11*du*du+2*fa.p12*du*dv+fa.p22*dv*dv <= fa.s
	}
	return fa.inPolygon(u, v)
}

// inPolygon is the crossing-number test of inPolygon (region.go) on the
// face: edges missing from the slab cannot cross the ray at this height.
func (fa *faceArea) inPolygon(u, v float64) bool {
	if !(v >= fa.pv0 && v < fa.pv1) {
		return false
	}
	k := fa.slabOf(v)
	odd := 0
	for _, r := range fa.rays[fa.slabStart[k]:fa.slabStart[k+1]] {
		// Combined without && so the comparisons need no branches, which
		// would be mispredicted about half the time.
		odd ^= b2i(r.y0 <= v) & b2i(v < r.y1) & b2i(u < r.x0+(v-r.y0)*r.dxdy)
	}
	return odd != 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// classify tells whether the rectangle [u0,u1]×[v0,v1] of the face is
// inside the ellipse, outside it, or on its boundary (or too close to tell).
func (fa *faceArea) classify(u0, u1, v0, v1 float64) int {
	if u1 < fa.u0 || u0 > fa.u1 || v1 < fa.v0 || v0 > fa.v1 {
		return cellOutside
	}
	return fa.classifyEllipse(u0, u1, v0, v1)
}

func (fa *faceArea) q(du, dv float64) float64 {
	return fa.p11*du*du + 2*fa.p12*du*dv + fa.p22*dv*dv
}

func (fa *faceArea) classifyEllipse(u0, u1, v0, v1 float64) int {
	// Quick answer from the centre: by the triangle inequality in the
	// metric of P, every point of the cell is within its half-diagonal
	// times √λ of the centre.
	cu, cv := (u0+u1)/2-fa.mu, (v0+v1)/2-fa.mv
	d := math.Sqrt(fa.q(cu, cv))
	r := (u1 - u0) * (math.Sqrt2 / 2) * fa.rootLambda
	if d+r <= fa.rootIn {
		return cellInside
	}
	if d-r >= fa.rootOut {
		return cellOutside
	}
	a0, a1, b0, b1 := u0-fa.mu, u1-fa.mu, v0-fa.mv, v1-fa.mv
	// The ellipse is convex: a rectangle is inside when its corners are.
	in := fa.s * (1 - ellipseSlop)
	if fa.q(a0, b0) <= in && fa.q(a0, b1) <= in && fa.q(a1, b0) <= in && fa.q(a1, b1) <= in {
		return cellInside
	}
	if a0 <= 0 && a1 >= 0 && b0 <= 0 && b1 >= 0 {
		return cellBoundary // the centre is in the rectangle
	}
	// Otherwise the form is smallest somewhere on the rectangle's edges:
	// minimise along each edge, a one-dimensional quadratic.
	out := fa.s * (1 + ellipseSlop)
	for _, du := range [2]float64{a0, a1} {
		dv := max(b0, min(b1, -fa.p12*du/fa.p22))
		if fa.q(du, dv) < out {
			return cellBoundary
		}
	}
	for _, dv := range [2]float64{b0, b1} {
		du := max(a0, min(a1, -fa.p12*dv/fa.p11))
		if fa.q(du, dv) < out {
			return cellBoundary
		}
	}
	return cellOutside
}

// near reports whether the edge may meet the rectangle [x0,x1]×[y0,y1]
// with centre (cx, cy) and half-diagonal r: their bounding boxes overlap and
// the edge's line passes within r of the centre. Every edge that meets the
// rectangle is near, which is all the callers need.
func (e *seg) near(cx, cy, r, x0, x1, y0, y1 float64) bool {
	return max(e.ax, e.bx) >= x0 && min(e.ax, e.bx) <= x1 &&
		max(e.ay, e.by) >= y0 && min(e.ay, e.by) <= y1 &&
		math.Abs(e.nx*cx+e.ny*cy-e.c) <= r
}

// segmentMeetsRect reports whether the edge e meets the rectangle
// [x0,x1]×[y0,y1]: their bounding boxes overlap and the rectangle's corners
// are not all on one side of the edge's line.
func segmentMeetsRect(e *seg, x0, x1, y0, y1 float64) bool {
	if max(e.ax, e.bx) < x0 || min(e.ax, e.bx) > x1 || max(e.ay, e.by) < y0 || min(e.ay, e.by) > y1 {
		return false
	}
	s00 := orient(e.ax, e.ay, e.bx, e.by, x0, y0) > 0
	s01 := orient(e.ax, e.ay, e.bx, e.by, x0, y1) > 0
	s10 := orient(e.ax, e.ay, e.bx, e.by, x1, y0) > 0
	s11 := orient(e.ax, e.ay, e.bx, e.by, x1, y1) > 0
	return !(s00 == s01 && s01 == s10 && s10 == s11)
}

// orient is positive when c lies left of the line from a to b.
func orient(ax, ay, bx, by, cx, cy float64) float64 {
	return (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
}

// crossesFrom reports whether the segment from (px, py) to (qx, qy) crosses
// the edge e, given on which side of e (px, py) lies.
func crossesFrom(e *seg, pLeft bool, px, py, qx, qy float64) bool {
	qLeft := orient(e.ax, e.ay, e.bx, e.by, qx, qy) > 0
	aLeft := orient(px, py, qx, qy, e.ax, e.ay) > 0
	bLeft := orient(px, py, qx, qy, e.bx, e.by) > 0
	return pLeft != qLeft && aLeft != bLeft
}
