package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/golang/geo/s2"
)

func TestPosKey(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	// Random points everywhere, and points on the cube's edges and corners.
	pts := []Point{{0, 45}, {0, -45}, {35.26438968, 45}, {-35.26438968, -135}, {90, 0}, {-90, 0}, {0, 180}, {0, -180}, {45, 90}}
	for range 20000 {
		pts = append(pts, Point{Lat: math.Asin(2*rng.Float64()-1) * 180 / math.Pi, Lng: 360*rng.Float64() - 180})
	}
	for _, p := range pts {
		v := p.vector()
		k := posKey(v)
		f, u, w := keyUV(k)
		if s2f := s2.CellIDFromLatLng(s2.LatLngFromPoint(s2.Point{Vector: v})).Face(); f != s2f && math.Abs(math.Abs(u)-1) > 1e-9 && math.Abs(math.Abs(w)-1) > 1e-9 {
			t.Errorf("%v: face %d, S2 says %d", p, f, s2f)
		}
		if u < -1 || u > 1 || w < -1 || w > 1 {
			t.Fatalf("%v: (u, v) = (%v, %v) off the face", p, u, w)
		}
		// The key keeps the position to within a leaf cell: 1.2 cm.
		if d := keyVector(k).Normalize().Sub(v).Norm() * EarthRadiusMeters; d > 0.012 {
			t.Errorf("%v: key is %.4f m away", p, d)
		}
		// The key lies in the key range of each of its ancestors.
		_, i, j := keyIJ(k)
		if keyOf(f, i, j) != k {
			t.Fatalf("%v: key %x decodes to a different cell", p, k)
		}
		for level := range zLevel + 1 {
			sh := uint(maxLevel - level)
			first, span := cellKeys(f, level, i>>sh, j>>sh)
			if k < first || k >= first+span {
				t.Fatalf("%v: key %x outside its level-%d cell [%x, %x)", p, k, level, first, first+span)
			}
		}
	}
}

func TestInterleave(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]uint32{{0, 0}, {1, 0}, {0, 1}, {1<<30 - 1, 0}, {0, 1<<30 - 1}, {1<<30 - 1, 1<<30 - 1}, {0x15555555, 0x2aaaaaaa}, {123456789, 987654321 & (1<<30 - 1)}} {
		i, j := deinterleave(interleave(c[0], c[1]))
		if i != c[0] || j != c[1] {
			t.Errorf("deinterleave(interleave(%d, %d)) = %d, %d", c[0], c[1], i, j)
		}
	}
	if interleave(1, 0) != 2 || interleave(0, 1) != 1 {
		t.Error("i must take the higher bit of each pair")
	}
}

func TestSortEntries(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 5, 300, 5000} {
		es := make([]entry, n)
		for k := range es {
			es[k] = entry{key: rng.Uint64() >> 1, id: HomeKey(k)}
			if k%7 == 0 && k > 0 {
				es[k].key = es[k-1].key // ties keep their order
			}
		}
		sortEntries(es)
		for k := 1; k < n; k++ {
			if es[k].key < es[k-1].key || es[k].key == es[k-1].key && es[k].id < es[k-1].id {
				t.Fatalf("n=%d: out of order at %d", n, k)
			}
		}
	}
}
