package geo

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// HomeKey is a caller-assigned dense number for a home (the caller maps it to
// its own identifier). The index keeps 4 bytes per number up to the largest
// one seen, so numbers should start near zero and have few gaps.
type HomeKey uint32

// Home is what the index knows of a home: where it is, and whether a Request
// for Assistance may reach it (it has a camera and its household has not
// opted out).
type Home struct {
	Key      HomeKey
	At       Point
	Eligible bool
}

// Index finds the eligible homes inside an area. It keeps, for eligible
// homes only, a sorted array of position keys (see cube.go) with a parallel
// array of HomeKeys, about 12 bytes per home, and a directory of where each
// quadtree cell's homes start (see base.go), so a query finds the homes of
// any cell it meets without searching. Changes go to a small delta of
// additions and removed positions that queries consult alongside, and are
// merged into a new base once the delta reaches mergeLimit.
//
// Queries read an immutable snapshot through an atomic pointer, so any
// number of them run concurrently with one writer and never wait for it;
// Put and Remove serialise among themselves.
type Index struct {
	snap atomic.Pointer[snapshot]

	mu sync.Mutex // serialises writers; guards the fields below
	// state[k] is the position of home k in the snapshot's base arrays, or
	// one of the sentinels below.
	state []uint32
	// deltaKey holds the position key of each home in the snapshot's adds.
	deltaKey map[HomeKey]uint64
}

const (
	stateAbsent     = ^uint32(0)      // no such home
	stateIneligible = stateAbsent - 1 // known, never returned (not eligible, or no valid position)
	stateDelta      = stateAbsent - 2 // in the snapshot's adds
)

// entry is a home in the delta.
type entry struct {
	key uint64
	id  HomeKey
}

// snapshot is one immutable state of the index: the base arrays and the
// changes made since they were built.
type snapshot struct {
	*base
	adds []entry // eligible homes added or moved since the base was built, sorted by key
	dead []int32 // sorted positions in the base of homes removed, moved or made ineligible since
	n    int     // number of homes, eligible or not
}

// mergeLimit is the delta size at which the arrays are rebuilt. Every write
// copies the delta (so queries can keep reading the old one) and a rebuild
// copies everything, so the limit balances the two; at 10 million homes a
// write costs some tens of microseconds either way.
func mergeLimit(n int) int { return 4096 + n/2048 }

// NewIndex builds an index of homes. When a HomeKey appears more than once
// the last entry wins, as if each were Put in turn. Building 10 million
// homes takes a few seconds; use it rather than Put for bulk loads.
func NewIndex(homes []Home) *Index {
	ix := &Index{deltaKey: map[HomeKey]uint64{}}
	maxKey := -1
	for _, h := range homes {
		maxKey = max(maxKey, int(h.Key))
	}
	ix.state = make([]uint32, maxKey+1)
	for i := range ix.state {
		ix.state[i] = stateAbsent
	}
	for i, h := range homes {
		ix.state[h.Key] = uint32(i)
	}
	n := 0
	eligible := 0
	for i, h := range homes {
		if ix.state[h.Key] == uint32(i) {
			n++
			if h.Eligible && h.At.Valid() {
				eligible++
			}
		}
	}
	es := make([]entry, 0, eligible)
	for i, h := range homes {
		if ix.state[h.Key] != uint32(i) {
			continue // a later entry replaces this one
		}
		if h.Eligible && h.At.Valid() {
			es = append(es, entry{posKey(h.At.vector()), h.Key})
		} else {
			ix.state[h.Key] = stateIneligible
		}
	}
	sortEntries(es)
	ix.snap.Store(&snapshot{base: newBase(es, ix.state), n: n})
	return ix
}

// Len returns the number of homes in the index, eligible or not.
func (ix *Index) Len() int { return ix.load().n }

func (ix *Index) load() *snapshot {
	if s := ix.snap.Load(); s != nil {
		return s
	}
	return &snapshot{base: &base{}} // the zero Index is empty
}

// BytesPerHome returns the memory the index holds per home, from the sizes
// of its arrays, the delta and the per-HomeKey state (capacity, not length).
func (ix *Index) BytesPerHome() float64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s := ix.load()
	if s.n == 0 {
		return 0
	}
	b := s.base.bytes() +
		cap(s.adds)*int(unsafe.Sizeof(entry{})) + cap(s.dead)*4 +
		cap(ix.state)*4 +
		len(ix.deltaKey)*mapEntryBytes
	return float64(b) / float64(s.n)
}

// mapEntryBytes is an estimate of a Go map's cost per uint32→uint64 entry
// (key, value, control byte and load-factor slack).
const mapEntryBytes = 24

// Put inserts h, or replaces what the index knows of h.Key: its position and
// eligibility. A home whose position is not Valid is kept (it counts in Len)
// but never returned by Query. Once every few thousand changes a Put (or a
// Remove) folds the delta into new arrays, which takes a fraction of a
// second at 10 million homes; queries carry on with the old arrays meanwhile.
func (ix *Index) Put(h Home) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old := ix.load()
	var key uint64
	eligible := h.Eligible && h.At.Valid()
	if eligible {
		key = posKey(h.At.vector())
	}
	ix.grow(h.Key)
	s := &snapshot{base: old.base, adds: old.adds, dead: old.dead, n: old.n}
	switch st := ix.state[h.Key]; st {
	case stateAbsent:
		s.n++
	case stateIneligible:
	case stateDelta:
		if eligible && ix.deltaKey[h.Key] == key {
			return // nothing changed
		}
		s.adds = removeEntry(s.adds, entry{ix.deltaKey[h.Key], h.Key})
		delete(ix.deltaKey, h.Key)
	default:
		if eligible && old.keys[st] == key {
			return
		}
		s.dead = insertSorted(s.dead, int32(st))
	}
	if eligible {
		s.adds = insertEntry(s.adds, entry{key, h.Key})
		ix.deltaKey[h.Key] = key
		ix.state[h.Key] = stateDelta
	} else {
		ix.state[h.Key] = stateIneligible
	}
	ix.publish(s)
}

// Remove deletes the home k from the index; removing an unknown home does
// nothing.
func (ix *Index) Remove(k HomeKey) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if int(k) >= len(ix.state) || ix.state[k] == stateAbsent {
		return
	}
	old := ix.load()
	s := &snapshot{base: old.base, adds: old.adds, dead: old.dead, n: old.n - 1}
	switch st := ix.state[k]; st {
	case stateIneligible:
	case stateDelta:
		s.adds = removeEntry(s.adds, entry{ix.deltaKey[k], k})
		delete(ix.deltaKey, k)
	default:
		s.dead = insertSorted(s.dead, int32(st))
	}
	ix.state[k] = stateAbsent
	ix.publish(s)
}

func (ix *Index) grow(k HomeKey) {
	for int(k) >= len(ix.state) {
		ix.state = append(ix.state, stateAbsent)
	}
	if ix.deltaKey == nil {
		ix.deltaKey = map[HomeKey]uint64{}
	}
}

// publish makes s the snapshot queries see, first folding the delta into new
// base arrays if it has grown past mergeLimit.
func (ix *Index) publish(s *snapshot) {
	if len(s.adds)+len(s.dead) > mergeLimit(len(s.keys)) {
		s = ix.merge(s)
	}
	ix.snap.Store(s)
}

// merge returns a snapshot with the delta folded into the base arrays.
func (ix *Index) merge(s *snapshot) *snapshot {
	es := make([]entry, 0, len(s.keys)-len(s.dead)+len(s.adds))
	dead, adds := s.dead, s.adds
	for i, k := range s.keys {
		if len(dead) > 0 && dead[0] == int32(i) {
			dead = dead[1:]
			continue
		}
		for len(adds) > 0 && adds[0].key < k {
			es = append(es, adds[0])
			adds = adds[1:]
		}
		es = append(es, entry{k, s.ids[i]})
	}
	es = append(es, adds...)
	clear(ix.deltaKey)
	return &snapshot{base: newBase(es, ix.state), n: s.n}
}

// insertSorted returns a copy of a with x inserted in order; a itself is left
// as it was for the queries still reading it.
func insertSorted(a []int32, x int32) []int32 {
	i := searchInt32(a, x)
	out := make([]int32, len(a)+1)
	copy(out, a[:i])
	out[i] = x
	copy(out[i+1:], a[i:])
	return out
}

func insertEntry(a []entry, e entry) []entry {
	i := searchEntries(a, e.key)
	out := make([]entry, len(a)+1)
	copy(out, a[:i])
	out[i] = e
	copy(out[i+1:], a[i:])
	return out
}

// removeEntry returns a copy of a without e.
func removeEntry(a []entry, e entry) []entry {
	for i := searchEntries(a, e.key); i < len(a) && a[i].key == e.key; i++ {
		if a[i].id == e.id {
			out := make([]entry, len(a)-1)
			copy(out, a[:i])
			copy(out[i:], a[i+1:])
			return out
		}
	}
	return a
}
