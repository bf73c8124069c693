package geo

// searchKeys returns the first index i in [lo, hi) with a[i] >= k, or hi.
func searchKeys(a []uint64, lo, hi int, k uint64) int {
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m] < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// searchEntries returns the first index i with a[i].key >= k, or len(a).
func searchEntries(a []entry, k uint64) int {
	lo, hi := 0, len(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m].key < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// searchInt32 returns the first index i with a[i] >= x, or len(a).
func searchInt32(a []int32, x int32) int {
	lo, hi := 0, len(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// sortEntries sorts es by key with a stable least-significant-digit radix
// sort, eleven bits at a time; passes in which every key has the same digit
// are skipped. On the millions of homes NewIndex sorts it does a fixed few
// passes where a comparison sort needs twenty-odd.
func sortEntries(es []entry) {
	const bits = 11
	const buckets = 1 << bits
	if len(es) < 256 {
		for i := 1; i < len(es); i++ {
			for j := i; j > 0 && es[j].key < es[j-1].key; j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
		return
	}
	var counts [6][buckets]int
	for _, e := range es {
		for p := range 6 {
			counts[p][(e.key>>(p*bits))&(buckets-1)]++
		}
	}
	src, dst := es, make([]entry, len(es))
	for p := range 6 {
		c := &counts[p]
		if c[(es[0].key>>(p*bits))&(buckets-1)] == len(es) {
			continue
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		for _, e := range src {
			d := (e.key >> (p * bits)) & (buckets - 1)
			dst[c[d]] = e
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}
