package geo

import (
	"math"
	"slices"
	"sync"
)

// The most homes a boundary cell may hold for the query to test each of
// them rather than look at the cell's four quarters. Testing a home (decoding
// its key and evaluating the area) costs a few nanoseconds; classifying four
// quarters and listing what they hold costs as much as testing a few dozen.
// Measured on the fan-out benchmark; the optimum is flat between 32 and 96.
const (
	checkLimitCircle  = 64
	checkLimitPolygon = 48
)

// node is a quadtree cell of one face and the stretch [lo, hi) of the base
// holding its homes.
type node struct {
	level  int32
	i, j   uint32
	lo, hi int32
	poly   polyCell // for a polygon, once classified as on its boundary
}

// polyCell is what a boundary cell knows of a polygon: the edges that come
// near it (edges[off:off+n] of the walk) and whether its centre is inside.
// Whether any other point p of the cell is inside follows from how many of
// those edges the segment from the centre to p crosses, since no other edge
// enters the cell: one to three edges instead of a crossing-number test.
type polyCell struct {
	off, n int32
	in     bool
	cx, cy float64
}

// queryScratch is the working memory of one query, kept in a pool so that
// queries allocate nothing.
type queryScratch struct {
	r     region
	fa    faceArea
	stack []node
	work  []item
	edges []int32
	touch uint64 // sums of memory read ahead, kept so the reads are not optimised away
}

var scratchPool = sync.Pool{New: func() any { return &queryScratch{stack: make([]node, 0, 128), work: make([]item, 0, 256)} }}

// Query appends to dst the keys of the eligible homes inside a and returns
// the extended slice, in no particular order. Each home found by the cell
// lookup is confirmed by the same test as Area.Contains, on its position to
// within a centimetre. a should have passed Validate; an area with no shape
// finds nothing. Query is tuned for neighbourhood-sized areas: an area
// reaching thousands of kilometres is answered correctly but by scanning
// every home on the cube faces it spans.
func (ix *Index) Query(a Area, dst []HomeKey) []HomeKey {
	s := ix.load()
	if len(s.keys) == 0 && len(s.adds) == 0 {
		return dst
	}
	sc := scratchPool.Get().(*queryScratch)
	defer scratchPool.Put(sc)
	if !sc.r.init(a) {
		return dst
	}
	for f := range faces {
		switch sc.fa.init(&sc.r, f) {
		case facePlanar:
			dst = s.queryFace(&sc.fa, sc, dst)
		case faceScan:
			dst = s.scanFace(&sc.r, f, dst)
		}
	}
	return dst
}

// walk is the state of one query over one face.
type walk struct {
	s     *snapshot
	fa    *faceArea
	dst   []HomeKey
	work  []item
	edges []int32
	// The blocks last looked up, which the next cell most likely shares.
	c9, c13     uint32
	blk9, blk13 []uint32
}

// item is a stretch of the base whose homes are all inside the area, or are
// to be tested.
type item struct {
	lo, hi int32
	test   bool
	poly   polyCell
	level  int32 // the cell, for a stretch to test
	i, j   uint32
}

// queryFace walks the quadtree of one face over the cells that meet the
// area: a cell inside contributes all its homes, a cell outside none, and a
// boundary cell has each home tested or, if it holds many, its quarters
// visited in turn.
//
// The walk reads only the directory; it lists the stretches of the base to
// read, which are then all requested from memory before any is used. Read
// one after another, each would wait for the last: a query meets a few dozen
// boundary cells, each a cache miss or two away.
func (s *snapshot) queryFace(fa *faceArea, sc *queryScratch, dst []HomeKey) []HomeKey {
	i0, i1 := leafIJ(fa.u0), leafIJ(fa.u1)
	j0, j1 := leafIJ(fa.v0), leafIJ(fa.v1)
	// Start at the finest level at which the bounding box spans at most four
	// cells each way: up to 25 cells, of which only those on the boundary
	// are walked further.
	level := zLevel
	for level > 0 && ((i1>>(maxLevel-level))-(i0>>(maxLevel-level)) > 3 || (j1>>(maxLevel-level))-(j0>>(maxLevel-level)) > 3) {
		level--
	}
	sh := uint(maxLevel - level)
	w := walk{s: s, fa: fa, dst: dst, work: sc.work[:0], edges: sc.edges[:0], c9: ^uint32(0), c13: ^uint32(0)}
	limit := checkLimitPolygon
	if fa.circle {
		limit = checkLimitCircle
	}
	st := sc.stack[:0]
	// The walk reads the directory's finest blocks for the level-13 cells
	// under the bounding box: request them all before any is used.
	var touch uint64
	if level >= midLevel {
		for ci := i0 >> (maxLevel - midLevel); ci <= i1>>(maxLevel-midLevel); ci++ {
			for cj := j0 >> (maxLevel - midLevel); cj <= j1>>(maxLevel-midLevel); cj++ {
				c13 := uint32(fa.face)<<(2*midLevel) | uint32(interleave(ci, cj))
				if blk := s.leafBlock(c13); blk != nil {
					for e := 0; e < len(blk); e += 16 {
						touch += uint64(blk[e])
					}
				}
			}
		}
	}
	// First the roots' stretches, all requested before any is used.
	for ci := i0 >> sh; ci <= i1>>sh; ci++ {
		for cj := j0 >> sh; cj <= j1>>sh; cj++ {
			n := node{level: int32(level), i: ci, j: cj}
			if len(s.adds) > 0 {
				w.testAdds(n)
			}
			if len(s.keys) > 0 {
				n.lo, n.hi = w.rangeOf(n.level, n.i, n.j)
				st = append(st, n)
			}
		}
	}
	roots := len(st)
	for _, n := range st[:roots] {
		if n.lo == n.hi {
			continue
		}
		switch w.classify(&n, nil) {
		case cellInside:
			w.work = append(w.work, item{lo: n.lo, hi: n.hi})
		case cellBoundary:
			st = append(st, n)
		}
	}
	st = append(st[:0], st[roots:]...)
	// The walk below reads the keys of the boundary roots where the
	// directory has no finer entries: request them all at once.
	for _, n := range st {
		if n.level < zLevel && (n.level < midLevel || w.leafBlock(n.level, n.i, n.j) == nil) {
			for p := n.lo; p < n.hi; p += 8 {
				touch += s.keys[p]
			}
		}
	}
	sc.touch += touch
	for len(st) > 0 {
		n := st[len(st)-1]
		st = st[:len(st)-1]
		// Cells are tested from level 13 on, where their keys decode quickly.
		if n.level == zLevel || n.level >= midLevel && int(n.hi-n.lo) <= limit {
			w.work = append(w.work, item{lo: n.lo, hi: n.hi, test: true, poly: n.poly, level: n.level, i: n.i, j: n.j})
			continue
		}
		ends, ok := w.childEnds(&n)
		for q := uint32(4); q > 0; q-- {
			child := node{level: n.level + 1, i: n.i<<1 | (q-1)>>1, j: n.j<<1 | (q-1)&1}
			if ok {
				child.lo, child.hi = ends[q-1], ends[q]
			} else {
				child.lo, child.hi = w.rangeOf(child.level, child.i, child.j)
			}
			if child.lo == child.hi {
				continue
			}
			switch w.classify(&child, &n) {
			case cellInside:
				w.work = append(w.work, item{lo: child.lo, hi: child.hi})
			case cellBoundary:
				st = append(st, child)
			}
		}
	}
	sc.stack = st
	// Request every line the items will read; the sum only keeps the reads.
	touch = 0
	for _, it := range w.work {
		if it.test {
			for p := it.lo; p < it.hi; p += 8 {
				touch += s.keys[p]
			}
		}
		for p := it.lo; p < it.hi; p += 16 {
			touch += uint64(s.ids[p])
		}
	}
	sc.touch += touch
	for i := range w.work {
		if it := &w.work[i]; it.test {
			w.appendTested(it)
		} else {
			w.appendAll(it.lo, it.hi)
		}
	}
	sc.work, sc.edges = w.work, w.edges
	return w.dst
}

// classify classifies the cell n against the area; for a polygon it also
// fills n.poly when n is on the boundary. parent, if not nil, is the
// boundary cell n was cut from, whose edges are the only ones that can
// reach n.
func (w *walk) classify(n, parent *node) int {
	fa := w.fa
	size := 2 / float64(uint64(1)<<n.level)
	u0 := float64(n.i)*size - 1
	v0 := float64(n.j)*size - 1
	u1, v1 := u0+size, v0+size
	if fa.circle {
		return fa.classify(u0, u1, v0, v1)
	}
	if u1 < fa.u0 || u0 > fa.u1 || v1 < fa.v0 || v0 > fa.v1 {
		return cellOutside
	}
	p := &n.poly
	p.cx, p.cy = (u0+u1)/2, (v0+v1)/2
	r := size*(math.Sqrt2/2) + 2*uvMargin
	p.off = int32(len(w.edges))
	if parent == nil {
		for e := range fa.segs {
			if fa.segs[e].near(p.cx, p.cy, r, u0-uvMargin, u1+uvMargin, v0-uvMargin, v1+uvMargin) {
				w.edges = append(w.edges, int32(e))
			}
		}
		p.in = fa.inPolygon(p.cx, p.cy)
	} else {
		pp := &parent.poly
		p.in = pp.in
		for _, e := range w.edges[pp.off : pp.off+pp.n] {
			s := &fa.segs[e]
			if s.near(p.cx, p.cy, r, u0-uvMargin, u1+uvMargin, v0-uvMargin, v1+uvMargin) {
				w.edges = append(w.edges, e)
			}
			p.in = p.in != crossesFrom(s, orient(s.ax, s.ay, s.bx, s.by, pp.cx, pp.cy) > 0, pp.cx, pp.cy, p.cx, p.cy)
		}
	}
	p.n = int32(len(w.edges)) - p.off
	switch {
	case p.n > 0:
		return cellBoundary
	case p.in:
		return cellInside
	}
	return cellOutside
}

// childEnds returns where the four quarters of n start and end, when the
// finest directory block holds them: the common case, which needs no
// searching and no more than five reads of one cache line or two.
func (w *walk) childEnds(n *node) (ends [5]int32, ok bool) {
	l := int(n.level)
	if l < midLevel || l >= leafLevel {
		return ends, false
	}
	blk := w.leafBlock(n.level, n.i, n.j)
	if blk == nil {
		return ends, false
	}
	m := uint32(1)<<(l-midLevel) - 1
	c := int(interleave(n.i&m, n.j&m)) << (2 * (leafLevel - l))
	step := 1 << (2 * (leafLevel - l - 1))
	for q := range ends {
		ends[q] = int32(blk[c+q*step])
	}
	return ends, true
}

// leafBlock returns the leaf-tier block of the level-13 cell holding the
// cell (level, i, j), level ≥ 13, or nil.
func (w *walk) leafBlock(level int32, i, j uint32) []uint32 {
	sh := uint(int(level) - midLevel)
	c13 := uint32(w.fa.face)<<(2*midLevel) | uint32(interleave(i>>sh, j>>sh))
	if c13 != w.c13 {
		w.c13, w.blk13 = c13, w.s.leafBlock(c13)
	}
	return w.blk13
}

// rangeOf returns the stretch [lo, hi) of the base holding the homes of the
// cell (level, i, j), level ≤ 17.
func (w *walk) rangeOf(level int32, i, j uint32) (lo, hi int32) {
	s := w.s
	l := int(level)
	face := uint32(w.fa.face)
	if l <= topLevel {
		c := (face<<(2*l) | uint32(interleave(i, j))) << (2 * (topLevel - l))
		return int32(s.top[c]), int32(s.top[c+1<<(2*(topLevel-l))])
	}
	at := func(l int) uint32 {
		sh := uint(int(level) - l)
		return face<<(2*l) | uint32(interleave(i>>sh, j>>sh))
	}
	// The cell is a run of whole sub-cells of a block, or else found by
	// binary search in the stretch of the quiet cell holding it.
	var blk []uint32
	var sub int // level of blk's sub-cells
	switch {
	case l <= midLevel:
		c9 := at(topLevel)
		if c9 != w.c9 {
			w.c9, w.blk9 = c9, s.mid.block(c9)
		}
		if w.blk9 == nil {
			lo, hi = int32(s.top[c9]), int32(s.top[c9+1])
		} else {
			blk, sub = w.blk9, midLevel
		}
	default:
		c13 := at(midLevel)
		if c13 != w.c13 {
			w.c13, w.blk13 = c13, s.leafBlock(c13)
		}
		if w.blk13 == nil {
			lo, hi = w.rangeOf(midLevel, i>>(l-midLevel), j>>(l-midLevel))
		} else {
			blk, sub = w.blk13, leafLevel
		}
	}
	if blk != nil {
		c := int(at(l)) << (2 * (sub - l)) & (blockLen - 2)
		return int32(blk[c]), int32(blk[c+1<<(2*(sub-l))])
	}
	first, span := cellKeys(w.fa.face, l, i, j)
	a := searchKeys(s.keys, int(lo), int(hi), first)
	b := searchKeys(s.keys, a, int(hi), first+span)
	return int32(a), int32(b)
}

// appendAll appends every live home of [lo, hi).
func (w *walk) appendAll(lo, hi int32) {
	s := w.s
	if len(s.dead) == 0 {
		w.dst = append(w.dst, s.ids[lo:hi]...)
		return
	}
	x := searchInt32(s.dead, lo)
	for p := lo; p < hi; p++ {
		if x < len(s.dead) && s.dead[x] == p {
			x++
			continue
		}
		w.dst = append(w.dst, s.ids[p])
	}
}

// appendTested appends the live homes of [lo, hi) that are inside the area.
func (w *walk) appendTested(it *item) {
	s, fa := w.s, w.fa
	lo, hi := it.lo, it.hi
	if len(s.dead) > 0 {
		x := searchInt32(s.dead, lo)
		for p := lo; p < hi; p++ {
			if x < len(s.dead) && s.dead[x] == p {
				x++
				continue
			}
			_, u, v := keyUV(s.keys[p])
			if fa.containsUV(u, v) {
				w.dst = append(w.dst, s.ids[p])
			}
		}
		return
	}
	keys, ids := s.keys[lo:hi], s.ids[lo:hi]
	// Every home is written and kept only if inside: a branch on inside
	// would be mispredicted for about half the homes of a boundary cell.
	n := len(w.dst)
	dst := slices.Grow(w.dst, len(keys))[:n+len(keys)]
	dec := newDecoder(it.level, it.i, it.j)
	if fa.circle {
		// containsUV with the ellipse held in registers.
		mu, mv, p11, p12, p22, ss := fa.mu, fa.mv, fa.p11, 2*fa.p12, fa.p22, fa.s
		for k, key := range keys {
			u, v := dec.uv(key)
			du, dv := u-mu, v-mv
			dst[n] = ids[k]
			n += b2i(p11*du*du+p12*du*dv+p22*dv*dv <= ss)
		}
	} else {
		p := &it.poly
		// Each near edge (a, b), relative to the centre c, with the side
		// of it c lies on: the crossing test of crossesFrom unrolled with
		// everything that does not depend on the home computed once. An
		// edge that cuts clean across the cell (both ends outside it) is
		// crossed by the segment from c to a home exactly when the two lie
		// on opposite sides of it, one product instead of three.
		type edgeFromCentre struct {
			ax, ay, bx, by, dx, dy float64 // a-c, b-c, b-a
			cLeft, chord           bool
		}
		var near [4]edgeFromCentre
		m := int(p.n)
		if m <= len(near) {
			half := (2/float64(uint64(1)<<it.level))/2 + uvMargin
			x0, x1, y0, y1 := p.cx-half, p.cx+half, p.cy-half, p.cy+half
			outside := func(x, y float64) bool { return x < x0 || x > x1 || y < y0 || y > y1 }
			for k, e := range w.edges[p.off : p.off+p.n] {
				s := &fa.segs[e]
				near[k] = edgeFromCentre{s.ax - p.cx, s.ay - p.cy, s.bx - p.cx, s.by - p.cy, s.bx - s.ax, s.by - s.ay,
					orient(s.ax, s.ay, s.bx, s.by, p.cx, p.cy) > 0,
					outside(s.ax, s.ay) && outside(s.bx, s.by) && segmentMeetsRect(s, x0, x1, y0, y1)}
			}
		}
		for k, key := range keys {
			u, v := dec.uv(key)
			var in bool
			if m <= len(near) {
				in = p.in
				wx, wy := u-p.cx, v-p.cy
				for _, e := range near[:m] {
					qLeft := e.dx*(wy-e.ay)-e.dy*(wx-e.ax) > 0
					if e.chord {
						in = in != (qLeft != e.cLeft)
						continue
					}
					aLeft := wx*e.ay-wy*e.ax > 0
					bLeft := wx*e.by-wy*e.bx > 0
					in = in != (qLeft != e.cLeft && aLeft != bLeft)
				}
			} else {
				in = fa.inPolygon(u, v)
			}
			dst[n] = ids[k]
			n += b2i(in)
		}
	}
	dst = dst[:n]
	w.dst = dst
}

// decoder turns the keys of one cell of level 13 to 17 into positions. A
// key holds, after the cell's own bits, at most 8 interleaved bits down to
// level 17 and then the plain low bits: a table lookup and a few shifts give
// its leaf cell.
type decoder struct {
	ci, cj, zmask uint32
}

func newDecoder(level int32, i, j uint32) decoder {
	d := uint(zLevel - level)
	return decoder{ci: i << d, cj: j << d, zmask: 1<<(2*d) - 1}
}

func (d *decoder) uv(key uint64) (u, v float64) {
	t := uint32(split8[uint32(key>>(2*lowBits))&d.zmask])
	i := (d.ci|t>>4)<<lowBits | uint32(key>>lowBits)&lowMask
	j := (d.cj|t&15)<<lowBits | uint32(key)&lowMask
	return float64(i)*leafScale - leafOffset, float64(j)*leafScale - leafOffset
}

// testAdds appends the homes of the delta in cell n that are inside the area.
func (w *walk) testAdds(n node) {
	adds := w.s.adds
	first, span := cellKeys(w.fa.face, int(n.level), n.i, n.j)
	for _, e := range adds[searchEntries(adds, first):searchEntries(adds, first+span)] {
		_, u, v := keyUV(e.key)
		if w.fa.containsUV(u, v) {
			w.dst = append(w.dst, e.id)
		}
	}
}

// scanFace tests every home on face f against r.
func (s *snapshot) scanFace(r *region, f int, dst []HomeKey) []HomeKey {
	var lo, hi uint32
	if len(s.keys) > 0 {
		lo, hi = s.top[f<<(2*topLevel)], s.top[(f+1)<<(2*topLevel)]
	}
	x := searchInt32(s.dead, int32(lo))
	for p := lo; p < hi; p++ {
		if x < len(s.dead) && s.dead[x] == int32(p) {
			x++
			continue
		}
		if r.contains(keyVector(s.keys[p])) {
			dst = append(dst, s.ids[p])
		}
	}
	first, span := cellKeys(f, 0, 0, 0)
	for _, e := range s.adds[searchEntries(s.adds, first):searchEntries(s.adds, first+span)] {
		if r.contains(keyVector(e.key)) {
			dst = append(dst, e.id)
		}
	}
	return dst
}
