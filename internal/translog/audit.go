package translog

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"

	"hearth/internal/apperr"
)

// auditor recomputes a served tree from its entries, left to right, and
// compares every tile the server serves with the recomputed one.
//
// The tree is a compact range (merkle/compact) that reports each node as it
// completes, as Tessera's fsck derives tiles. A tile at level L holds up to
// 256 nodes of tree level 8L; the auditor keeps, per level, only the nodes
// of the tile being filled and checks it when it fills up, so memory stays
// at most 256 hashes a level however large the log.
//
// Tessera's fsck itself does not fit: it audits only from entry 0, where a
// verifier with a state audits only what was added since; it exits the
// process (klog.Exitf) on an internal inconsistency; its tile workers stop
// at the first mismatch while the bundle loop still sends them work, so a
// tampered tile can hang it; and it indexes a short entry bundle out of
// range.
type auditor struct {
	ctx  context.Context
	f    *client.HTTPFetcher
	size uint64 // the tree being audited

	tree  *compact.Range
	rows  [][][]byte // rows[L]: the nodes of level L's tile being filled
	tiles []uint64   // tiles[L]: that tile's index
	err   error      // the first failure while visiting nodes
}

// bundlesAhead is how many entry bundles Tessera's stream fetches ahead of
// the one being hashed.
const bundlesAhead = 4

// rangeFactory makes the RFC 6962 compact ranges the audit folds.
var rangeFactory = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

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
	start := from / layout.EntryBundleWidth * layout.EntryBundleWidth
	if err := a.resume(start); err != nil {
		return 0, err
	}
	readBundle := func(ctx context.Context, n uint64, w uint8) ([]byte, error) {
		raw, err := a.f.ReadEntryBundle(ctx, n, w)
		if err != nil {
			return nil, fetchError(op, layout.EntriesPath(n, w), err)
		}
		return raw, nil
	}
	size := func(context.Context) (uint64, error) { return a.size, nil }
	// The stream fetches ahead in goroutines of its own that outlive an
	// early return; cancelling stops their requests rather than leaving
	// them to run against the server.
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	for b, err := range client.EntryBundles(ctx, bundlesAhead, size, readBundle, start, a.size-start) {
		if err != nil {
			return 0, err
		}
		ri := b.RangeInfo
		entries, err := parseBundle(b.Data, ri.Partial)
		if err != nil {
			return 0, apperr.E(op, apperr.Invalid, fmt.Sprintf("entry bundle %s %s", layout.EntriesPath(ri.Index, ri.Partial), err))
		}
		for _, e := range entries {
			if a.tree.End() == from && from > 0 {
				old, _ := a.tree.GetRootHash(nil)
				if !bytes.Equal(old, oldRoot) {
					return 0, apperr.E(op, apperr.Invalid, fmt.Sprintf("the tiles of the tree of size %d seen before no longer give its root", from))
				}
			}
			if err := a.tree.Append(LeafHash(e), a.visit); err != nil {
				return 0, apperr.Errorf(op, "append leaf %d: %w", a.tree.End(), err)
			}
			if a.err != nil {
				return 0, a.err
			}
		}
	}
	// What is left are the partial tiles at the right edge.
	for level, row := range a.rows {
		if len(row) > 0 {
			if err := a.check(uint64(level)); err != nil {
				return 0, err
			}
		}
	}
	if th, _ := a.tree.GetRootHash(nil); !bytes.Equal(th, root) {
		b64 := base64.StdEncoding.EncodeToString
		return 0, apperr.E(op, apperr.Invalid, fmt.Sprintf("the root of the entries (%s) is not the checkpoint's root (%s)", b64(th), b64(root)))
	}
	return a.size - start, nil
}

// resume starts the tree at start, a multiple of the bundle width, from the
// server's tiles of the tree of that size: the partial tile of each level
// above the entries, whose nodes are the perfect subtrees left of start.
// They are authenticated when the entries up to the old size give the old
// root again.
func (a *auditor) resume(start uint64) error {
	a.tree = rangeFactory.NewEmptyRange(0)
	a.grow(0)
	a.tiles[0] = start / layout.EntryBundleWidth
	for level := uint64(1); start>>(level*layout.TileHeight) > 0; level++ {
		n := start >> (level * layout.TileHeight)
		a.grow(level)
		a.tiles[level] = n / layout.TileWidth
		if w := n % layout.TileWidth; w > 0 {
			nodes, err := a.fetchTile(level, a.tiles[level], int(w))
			if err != nil {
				return err
			}
			a.rows[level] = nodes
		}
	}
	for level := len(a.rows) - 1; level >= 1; level-- {
		width := uint64(1) << (uint(level) * layout.TileHeight)
		for _, h := range a.rows[level] {
			node, err := rangeFactory.NewRange(a.tree.End(), a.tree.End()+width, [][]byte{h})
			if err == nil {
				err = a.tree.AppendRange(node, nil)
			}
			if err != nil {
				return apperr.Errorf("translog.Verify", "resume the tree at %d: %w", start, err)
			}
		}
	}
	return nil
}

// visit receives every node the tree completes and checks each tile once
// it is full.
func (a *auditor) visit(id compact.NodeID, h []byte) {
	if id.Level%layout.TileHeight != 0 || a.err != nil {
		return
	}
	level := uint64(id.Level / layout.TileHeight)
	a.grow(level)
	if id.Index/layout.TileWidth != a.tiles[level] || id.Index%layout.TileWidth != uint64(len(a.rows[level])) {
		a.err = apperr.Errorf("translog.Verify", "node %d at level %d is not next in tile %d", id.Index, id.Level, a.tiles[level])
		return
	}
	a.rows[level] = append(a.rows[level], h)
	if len(a.rows[level]) == layout.TileWidth {
		if a.err = a.check(level); a.err == nil {
			a.rows[level] = a.rows[level][:0]
			a.tiles[level]++
		}
	}
}

// grow makes sure rows and tiles reach level.
func (a *auditor) grow(level uint64) {
	for uint64(len(a.rows)) <= level {
		a.rows = append(a.rows, nil)
		a.tiles = append(a.tiles, 0)
	}
}

// check compares the served tile of level with the recomputed nodes.
func (a *auditor) check(level uint64) error {
	row := a.rows[level]
	got, err := a.fetchTile(level, a.tiles[level], len(row))
	if err != nil {
		return err
	}
	for i, h := range row {
		if !bytes.Equal(got[i], h) {
			return apperr.E("translog.Verify", apperr.Invalid, fmt.Sprintf("tile %s differs from the hashes of the entries", layout.TilePath(level, a.tiles[level], uint8(len(row)%layout.TileWidth))))
		}
	}
	return nil
}

// fetchTile returns the first w nodes of the served tile (level, n). A
// partial tile may have been replaced by a wider one or by the full tile;
// tiles only grow, so a prefix of those is the same tile.
func (a *auditor) fetchTile(level, n uint64, w int) ([][]byte, error) {
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
	nodes, err := parseTile(raw, w)
	if err != nil {
		return nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("tile %s %s", path, err))
	}
	return nodes, nil
}

// parseTile parses a served hash tile with Tessera's api.HashTile and
// returns its first w nodes. Where a tile of width w (0 < w < 256) was asked
// for, a wider or full one holds it as a prefix; a full tile (w = 256) must
// be exactly that.
func parseTile(raw []byte, w int) ([][]byte, error) {
	var t api.HashTile
	err := t.UnmarshalText(raw)
	if err == nil && (len(t.Nodes) < w || len(t.Nodes) > layout.TileWidth || w == layout.TileWidth && len(t.Nodes) != w) {
		err = errors.New("wrong number of hashes")
	}
	if err != nil {
		return nil, fmt.Errorf("has %d bytes, want %d", len(raw), w*hashSize)
	}
	return t.Nodes[:w], nil
}

// parseBundle parses an entry bundle with Tessera's api.EntryBundle and
// checks that it holds w entries (0 for a full bundle), which Tessera's
// parser leaves to the caller. A full bundle served in place of a partial
// one is cut to the first w entries.
func parseBundle(raw []byte, w uint8) ([][]byte, error) {
	var b api.EntryBundle
	if err := b.UnmarshalText(raw); err != nil {
		return nil, fmt.Errorf("has a malformed entry: %s", oneLine(err.Error()))
	}
	want := int(w)
	if w == 0 {
		want = layout.EntryBundleWidth
	}
	switch n := len(b.Entries); {
	case n == want:
		return b.Entries, nil
	case w != 0 && n == layout.EntryBundleWidth:
		return b.Entries[:want], nil
	default:
		return nil, fmt.Errorf("has %d entries, want %d", n, want)
	}
}
