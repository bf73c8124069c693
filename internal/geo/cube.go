package geo

import (
	"math"

	"github.com/golang/geo/r3"
)

// The index locates homes on the faces of a cube around the Earth, as S2
// does: a direction belongs to the face its largest coordinate points at, and
// within a face it has the coordinates (u, v) in [-1, 1]² where it meets the
// face's plane. That projection (gnomonic) maps great circles to straight
// lines, so a geodesic polygon stays a straight-edged polygon on every face.
// Each face is cut into 2³⁰ × 2³⁰ leaf cells (about 1 cm). A home's key is its
// face, then its level-17 cell (about 100 m) with the bits of i and j
// interleaved (a Z-order curve), then the remaining 13 bits of i and of j as
// they are. The homes of any quadtree cell down to level 17 are then one
// contiguous run of sorted keys; no query needs finer cells, since a level-17
// cell holds a dozen homes where they are densest and testing those is
// cheaper than cutting further. Keeping the low bits plain makes decoding a
// key within its level-17 cell two shifts and two masks, which matters when
// every home near an area's edge must be tested.

// faceFrame is the axis of a face and the directions of its u and v axes;
// the same numbering and orientation as S2.
type faceFrame struct{ axis, u, v r3.Vector }

var faces = [6]faceFrame{
	{r3.Vector{X: 1}, r3.Vector{Y: 1}, r3.Vector{Z: 1}},
	{r3.Vector{Y: 1}, r3.Vector{X: -1}, r3.Vector{Z: 1}},
	{r3.Vector{Z: 1}, r3.Vector{X: -1}, r3.Vector{Y: -1}},
	{r3.Vector{X: -1}, r3.Vector{Z: -1}, r3.Vector{Y: -1}},
	{r3.Vector{Y: -1}, r3.Vector{Z: -1}, r3.Vector{X: 1}},
	{r3.Vector{Z: -1}, r3.Vector{Y: 1}, r3.Vector{X: 1}},
}

const (
	maxLevel  = 30 // leaf cells are 2⁻²⁹ of a face's half-width: about 1.2 cm at most
	zLevel    = 17 // the finest level whose cells are runs of keys
	lowBits   = maxLevel - zLevel
	lowMask   = 1<<lowBits - 1
	faceShift = 2 * maxLevel
	leafMask  = 1<<faceShift - 1
	// faceAngle is the largest angle between a face's axis and a point of
	// the face: the angle to a cube corner, atan(√2).
	faceAngle = 0.9553166181245093
)

// faceOf returns the face of the direction v.
func faceOf(v r3.Vector) int {
	ax, ay, az := math.Abs(v.X), math.Abs(v.Y), math.Abs(v.Z)
	f, c := 0, v.X
	if ay > ax {
		f, c = 1, v.Y
		ax = ay
	}
	if az > ax {
		f, c = 2, v.Z
	}
	if c < 0 {
		f += 3
	}
	return f
}

// leafIJ returns the leaf cell coordinate of u in [-1, 1].
func leafIJ(u float64) uint32 {
	x := (u + 1) * (1 << (maxLevel - 1))
	if !(x > 0) {
		return 0
	}
	if x >= 1<<maxLevel {
		return 1<<maxLevel - 1
	}
	return uint32(x)
}

// leafUV returns the u coordinate of the centre of leaf cell i.
func leafUV(i uint32) float64 {
	return float64(i)*leafScale - leafOffset
}

const (
	leafScale  = 1.0 / (1 << (maxLevel - 1)) // width of a leaf cell in u
	leafOffset = 1 - leafScale/2             // so that leafUV(0) is the centre of the first cell
)

// posKey returns the key of the leaf cell holding the direction v.
func posKey(v r3.Vector) uint64 {
	f := faceOf(v)
	fr := &faces[f]
	t := v.Dot(fr.axis)
	i := leafIJ(v.Dot(fr.u) / t)
	j := leafIJ(v.Dot(fr.v) / t)
	return keyOf(f, i, j)
}

// keyOf returns the key of the leaf cell (i, j) of face f.
func keyOf(f int, i, j uint32) uint64 {
	return uint64(f)<<faceShift | interleave(i>>lowBits, j>>lowBits)<<(2*lowBits) |
		uint64(i&lowMask)<<lowBits | uint64(j&lowMask)
}

// keyIJ returns the face and leaf cell of key k.
func keyIJ(k uint64) (face int, i, j uint32) {
	i17, j17 := deinterleave(k & leafMask >> (2 * lowBits))
	return int(k >> faceShift), i17<<lowBits | uint32(k>>lowBits)&lowMask, j17<<lowBits | uint32(k)&lowMask
}

// keyUV returns the face and the (u, v) of the centre of the leaf cell k.
func keyUV(k uint64) (face int, u, v float64) {
	f, i, j := keyIJ(k)
	return f, leafUV(i), leafUV(j)
}

// keyVector returns the direction of the centre of the leaf cell k (not of
// unit length).
func keyVector(k uint64) r3.Vector {
	f, u, v := keyUV(k)
	fr := &faces[f]
	return fr.axis.Add(fr.u.Mul(u)).Add(fr.v.Mul(v))
}

// cellKeys returns the first key of the cell (i, j) at level ≤ zLevel on
// face f and the number of leaf keys it spans.
func cellKeys(f int, level int, i, j uint32) (first, span uint64) {
	shift := uint(2 * (maxLevel - level))
	return uint64(f)<<faceShift | interleave(i, j)<<shift, 1 << shift
}

// interleave puts the bits of i in the odd and those of j in the even
// positions, so the four children of a cell are ordered (i, j), (i, j+1),
// (i+1, j), (i+1, j+1).
func interleave(i, j uint32) uint64 { return spread(i)<<1 | spread(j) }

func deinterleave(k uint64) (i, j uint32) { return compact(k >> 1), compact(k) }

// split8 deinterleaves 8 bits: split8[m] holds i's 4 bits above j's.
var split8 = func() (t [256]uint8) {
	for m := range t {
		i, j := deinterleave(uint64(m))
		t[m] = uint8(i<<4 | j)
	}
	return t
}()

func spread(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff
	v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
	v = (v | v<<2) & 0x3333333333333333
	v = (v | v<<1) & 0x5555555555555555
	return v
}

func compact(v uint64) uint32 {
	v &= 0x5555555555555555
	v = (v | v>>1) & 0x3333333333333333
	v = (v | v>>2) & 0x0f0f0f0f0f0f0f0f
	v = (v | v>>4) & 0x00ff00ff00ff00ff
	v = (v | v>>8) & 0x0000ffff0000ffff
	v = (v | v>>16) & 0x00000000ffffffff
	return uint32(v)
}
