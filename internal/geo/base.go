package geo

// The base is the sorted array of eligible homes with a directory that maps
// a quadtree cell to the stretch of the array holding its homes in one or
// two memory reads. A query visits a few dozen cells; finding each by binary
// search would cost a chain of a dozen dependent reads of memory not in the
// processor's cache (about 200 ns each on the benchmark machine), several
// times the whole time budget.
//
// The directory has three tiers:
//   - top: for every level-9 cell of every face (about 25 km across, 1.6
//     million cells, a fixed 6.3 MB) the position of its first home, so any
//     cell of level 9 or coarser takes one or two reads;
//   - for each level-9 cell with at least midMin homes, the positions of its
//     256 level-13 cells (about 1.5 km);
//   - for each of those level-13 cells with at least leafMin homes, the
//     positions of its 256 level-17 cells (about 100 m, a dozen homes where
//     they are densest).
//
// Cells of quiet level-9 or level-13 cells are found by binary search within
// a stretch of fewer than midMin or leafMin homes. At 10 million homes the
// directory costs about 3 bytes a home.
const (
	topLevel  = 9
	topCells  = 6 << (2 * topLevel)
	tierDepth = 4 // levels below a tier's cell covered by its block
	blockLen  = 1<<(2*tierDepth) + 1
	midLevel  = topLevel + tierDepth
	leafLevel = midLevel + tierDepth
	midMin    = 512
	leafMin   = 64
)

// The finest tier must reach exactly the finest level that is a run of keys.
var _ [leafLevel - zLevel]struct{}
var _ [zLevel - leafLevel]struct{}

// tier holds blocks for the busy cells of one level: block b belongs to
// cells[b] and is starts[b*blockLen:][:blockLen], the first position of
// each of its 256 sub-cells and then the end of the cell.
type tier struct {
	level  int      // of the cells with blocks; the blocks are tierDepth levels finer
	cells  []uint32 // sorted face<<(2*level) | Z-order
	starts []uint32
}

// block returns the block of cell c, or nil.
func (t *tier) block(c uint32) []uint32 {
	if b := t.index(c); b >= 0 {
		return t.starts[b*blockLen:][:blockLen]
	}
	return nil
}

// index returns the index of the block of cell c, or -1.
func (t *tier) index(c uint32) int {
	lo, hi := 0, len(t.cells)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.cells[m] < c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(t.cells) || t.cells[lo] != c {
		return -1
	}
	return lo
}

// base is an immutable set of eligible homes.
type base struct {
	keys []uint64  // sorted position keys
	ids  []HomeKey // ids[p] is the home at keys[p]
	top  []uint32  // top[c] is the first position of level-9 cell c; one more at the end
	mid  tier
	leaf tier
	// leafOf[b<<8|s] is the index of the leaf block of sub-cell s of mid
	// block b, or -1: finding a leaf block takes a search among the few
	// hundred mid blocks, which stay in cache, and one read.
	leafOf []int32
}

// leafBlock returns the leaf block of level-13 cell c, or nil.
func (b *base) leafBlock(c13 uint32) []uint32 {
	m := b.mid.index(c13 >> (2 * tierDepth))
	if m < 0 {
		return nil
	}
	if l := b.leafOf[m<<(2*tierDepth)|int(c13&(blockLen-2))]; l >= 0 {
		return b.leaf.starts[int(l)*blockLen:][:blockLen]
	}
	return nil
}

// newBase builds a base from es, sorted by key, and records each home's
// position in state.
func newBase(es []entry, state []uint32) *base {
	b := &base{
		keys: make([]uint64, len(es)),
		ids:  make([]HomeKey, len(es)),
		top:  make([]uint32, topCells+1),
		mid:  tier{level: topLevel},
		leaf: tier{level: midLevel},
	}
	for p, e := range es {
		b.keys[p], b.ids[p] = e.key, e.id
		state[e.id] = uint32(p)
	}
	for _, k := range b.keys {
		b.top[cellAt(k, topLevel)+1]++
	}
	for c := range topCells {
		b.top[c+1] += b.top[c]
	}
	b.mid.build(b.keys, midMin, nil)
	b.leaf.build(b.keys, leafMin, func(c int) bool { return b.mid.index(uint32(c>>(2*tierDepth))) >= 0 })
	b.leafOf = make([]int32, len(b.mid.cells)<<(2*tierDepth))
	for i := range b.leafOf {
		b.leafOf[i] = -1
	}
	for l, c := range b.leaf.cells {
		m := b.mid.index(c >> (2 * tierDepth))
		b.leafOf[m<<(2*tierDepth)|int(c&(blockLen-2))] = int32(l)
	}
	return b
}

// build makes blocks for the cells of t.level that hold at least min homes
// and, if in is not nil, for which in is true.
func (t *tier) build(keys []uint64, min int, in func(c int) bool) {
	level := t.level
	want := func(lo, hi int) bool {
		return hi-lo >= min && (in == nil || in(cellAt(keys[lo], level)))
	}
	// First count, so the blocks are allocated once and exactly.
	n := 0
	for lo := 0; lo < len(keys); {
		hi := runEnd(keys, lo, level)
		if want(lo, hi) {
			n++
		}
		lo = hi
	}
	t.cells = make([]uint32, 0, n)
	t.starts = make([]uint32, 0, n*blockLen)
	for lo := 0; lo < len(keys); {
		hi := runEnd(keys, lo, level)
		if want(lo, hi) {
			t.cells = append(t.cells, uint32(cellAt(keys[lo], level)))
			blk := t.starts[len(t.starts):][:blockLen]
			t.starts = t.starts[:len(t.starts)+blockLen]
			clear(blk)
			for _, k := range keys[lo:hi] {
				blk[cellAt(k, level+tierDepth)&(blockLen-2)+1]++
			}
			blk[0] = uint32(lo)
			for s := range blockLen - 1 {
				blk[s+1] += blk[s]
			}
		}
		lo = hi
	}
}

// runEnd returns the end of the run of keys from lo in the same cell of level.
func runEnd(keys []uint64, lo, level int) int {
	c := cellAt(keys[lo], level)
	hi := lo + 1
	for hi < len(keys) && cellAt(keys[hi], level) == c {
		hi++
	}
	return hi
}

// cellAt returns face<<(2*level) | Z-order of the level cell holding key k.
func cellAt(k uint64, level int) int { return int(k >> (2 * (maxLevel - level))) }

// bytes returns the memory b holds.
func (b *base) bytes() int {
	return cap(b.keys)*8 + cap(b.ids)*4 + cap(b.top)*4 +
		(cap(b.mid.cells)+cap(b.mid.starts)+cap(b.leaf.cells)+cap(b.leaf.starts)+cap(b.leafOf))*4
}
