package translog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/apperr"
)

// auditor recomputes a served tree from its entries, left to right, and
// compares every tile the server serves with the recomputed one.
//
// A tile at level L holds up to 256 hashes of level-L subtrees (256^L
// entries each). The auditor keeps, per level, only the hashes of the tile
// being filled: when one fills up it is checked, folded into its root and
// pushed to the level above. So memory stays at most 256 hashes a level
// however large the log.
type auditor struct {
	ctx  context.Context
	f    *client.HTTPFetcher
	size uint64 // the tree being audited

	rows  [][]tlog.Hash // rows[L]: the hashes of level L's tile being filled
	tiles []uint64      // tiles[L]: that tile's index
}

func newAuditor(ctx context.Context, f *client.HTTPFetcher, size uint64) *auditor {
	return &auditor{ctx: ctx, f: f, size: size}
}

// run audits the entries from index from (rounded down to the start of its
// bundle) to the end of the tree, and returns how many it re-hashed.
// oldRoot is the root of the tree of size from, verified before; root is
// the checkpoint's.
func (a *auditor) run(from uint64, oldRoot, root []byte) (uint64, error) {
	const op = "translog.Verify"
	if from >= a.size {
		return 0, nil
	}
	first := from / layout.EntryBundleWidth
	// The tiles above the first bundle come from the server, for the tree
	// of size from; they are authenticated below by recomputing its root.
	for level := uint64(1); from>>(level*tileHeight) > 0; level++ {
		n := from >> (level * tileHeight)
		a.grow(level)
		a.tiles[level] = n / layout.TileWidth
		if w := n % layout.TileWidth; w > 0 {
			data, err := a.fetchTile(level, a.tiles[level], int(w))
			if err != nil {
				return 0, err
			}
			for i := 0; i < len(data); i += hashSize {
				a.rows[level] = append(a.rows[level], tlog.Hash(data[i:i+hashSize]))
			}
		}
	}
	for b := first; b*layout.EntryBundleWidth < a.size; b++ {
		w := layout.PartialTileSize(0, b, a.size)
		path := layout.EntriesPath(b, w)
		raw, err := a.f.ReadEntryBundle(a.ctx, b, w)
		if err != nil {
			return 0, fetchError(op, path, err)
		}
		entries, err := splitBundle(raw, w)
		if err != nil {
			return 0, apperr.E(op, apperr.Invalid, fmt.Sprintf("entry bundle %s %s", path, err))
		}
		leaves := make([]tlog.Hash, len(entries))
		for i, e := range entries {
			leaves[i] = tlog.RecordHash(e)
		}
		if b == first && from > 0 {
			a.grow(0)
			old := a.root(leaves[:from-first*layout.EntryBundleWidth])
			if !bytes.Equal(old[:], oldRoot) {
				return 0, apperr.E(op, apperr.Invalid, fmt.Sprintf("the tiles of the tree of size %d seen before no longer give its root", from))
			}
		}
		a.grow(0)
		a.tiles[0] = b
		a.rows[0] = leaves
		if err := a.fill(0); err != nil {
			return 0, err
		}
	}
	// What is left are the partial tiles at the right edge.
	for level := range a.rows {
		if len(a.rows[level]) > 0 {
			if err := a.check(uint64(level)); err != nil {
				return 0, err
			}
		}
	}
	if th := a.root(nil); !bytes.Equal(th[:], root) {
		b64 := base64.StdEncoding.EncodeToString
		return 0, apperr.E(op, apperr.Invalid, fmt.Sprintf("the root of the entries (%s) is not the checkpoint's root (%s)", b64(th[:]), b64(root)))
	}
	return a.size - first*layout.EntryBundleWidth, nil
}

// grow makes sure rows and tiles reach level.
func (a *auditor) grow(level uint64) {
	for uint64(len(a.rows)) <= level {
		a.rows = append(a.rows, nil)
		a.tiles = append(a.tiles, 0)
	}
}

// fill checks level's tile once it is full, and pushes its root up.
func (a *auditor) fill(level uint64) error {
	for ; len(a.rows[level]) == layout.TileWidth; level++ {
		if err := a.check(level); err != nil {
			return err
		}
		top := perfectRoot(a.rows[level])
		a.rows[level] = a.rows[level][:0]
		a.tiles[level]++
		a.grow(level + 1)
		a.rows[level+1] = append(a.rows[level+1], top)
	}
	return nil
}

// check compares the served tile of level with the recomputed hashes.
func (a *auditor) check(level uint64) error {
	row := a.rows[level]
	got, err := a.fetchTile(level, a.tiles[level], len(row))
	if err != nil {
		return err
	}
	for i, h := range row {
		if !bytes.Equal(got[i*hashSize:(i+1)*hashSize], h[:]) {
			return apperr.E("translog.Verify", apperr.Invalid, fmt.Sprintf("tile %s differs from the hashes of the entries", layout.TilePath(level, a.tiles[level], uint8(len(row)%layout.TileWidth))))
		}
	}
	return nil
}

// root returns the RFC 6962 root of the tree made of the rows, from the top
// level down, followed by extra leaves. Each row splits into perfect
// subtrees by the binary digits of its length; the tree's root folds those
// from the right.
func (a *auditor) root(extra []tlog.Hash) tlog.Hash {
	var subtrees []tlog.Hash
	split := func(row []tlog.Hash) {
		for len(row) > 0 {
			n := 1 << (bits.Len(uint(len(row))) - 1)
			subtrees = append(subtrees, perfectRoot(row[:n]))
			row = row[n:]
		}
	}
	for level := len(a.rows) - 1; level >= 1; level-- {
		split(a.rows[level])
	}
	if extra != nil {
		split(extra)
	} else if len(a.rows) > 0 {
		split(a.rows[0])
	}
	if len(subtrees) == 0 {
		return emptyRoot
	}
	h := subtrees[len(subtrees)-1]
	for i := len(subtrees) - 2; i >= 0; i-- {
		h = tlog.NodeHash(subtrees[i], h)
	}
	return h
}

// perfectRoot returns the root of a perfect tree over hashes (a power of two
// of them).
func perfectRoot(hashes []tlog.Hash) tlog.Hash {
	level := append([]tlog.Hash(nil), hashes...)
	for len(level) > 1 {
		for i := 0; i < len(level)/2; i++ {
			level[i] = tlog.NodeHash(level[2*i], level[2*i+1])
		}
		level = level[:len(level)/2]
	}
	return level[0]
}

// fetchTile returns the first w hashes of the served tile (level, n). A
// partial tile may have been replaced by a wider one or by the full tile;
// tiles only grow, so a prefix of those is the same tile.
func (a *auditor) fetchTile(level, n uint64, w int) ([]byte, error) {
	const op = "translog.Verify"
	p := uint8(w % layout.TileWidth)
	path := layout.TilePath(level, n, p)
	raw, err := a.f.ReadTile(a.ctx, level, n, p)
	if err != nil && p != 0 {
		// Tessera's fetcher already fell back to the full tile; try the
		// partial tile of the current tree too.
		if cur := layout.PartialTileSize(level, n, a.size); cur > p {
			raw, err = a.f.ReadTile(a.ctx, level, n, cur)
		}
	}
	if err != nil {
		return nil, fetchError(op, path, err)
	}
	want := w * hashSize
	if len(raw) < want || len(raw)%hashSize != 0 || (p == 0 && len(raw) != want) {
		return nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("tile %s has %d bytes, want %d", path, len(raw), want))
	}
	return raw[:want], nil
}

// tileHeight is the C2SP tlog-tiles tile height.
const tileHeight = layout.TileHeight

// splitBundle parses an entry bundle (each entry a big-endian 16-bit length
// and its bytes) expected to hold w entries (0 for a full bundle). A full
// bundle served in place of a partial one is cut to the first w entries.
func splitBundle(raw []byte, w uint8) ([][]byte, error) {
	var entries [][]byte
	for rest := raw; len(rest) > 0; {
		if len(rest) < 2 {
			return nil, fmt.Errorf("has a dangling byte at offset %d", len(raw)-len(rest))
		}
		n := int(binary.BigEndian.Uint16(rest))
		if len(rest)-2 < n {
			return nil, fmt.Errorf("has an entry at offset %d longer than the bundle", len(raw)-len(rest))
		}
		entries = append(entries, rest[2:2+n])
		rest = rest[2+n:]
	}
	want := int(w)
	if w == 0 {
		want = layout.EntryBundleWidth
	}
	switch {
	case len(entries) == want:
		return entries, nil
	case w != 0 && len(entries) == layout.EntryBundleWidth:
		return entries[:want], nil
	}
	return nil, fmt.Errorf("has %d entries, want %d", len(entries), want)
}
