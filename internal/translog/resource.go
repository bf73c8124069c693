package translog

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"github.com/transparency-dev/tessera/api/layout"

	"hearth/internal/apperr"
)

// ReadResource serves the public tlog-tiles layout. path is "checkpoint", a
// hash tile "tile/<L>/<N>[.p/<W>]" or an entry bundle
// "tile/entries/<N>[.p/<W>]", with N in the x001/x234/067 form. It returns
// the bytes and whether they are immutable: full tiles and full bundles are,
// the checkpoint and partial tiles are not.
//
// Only canonical spellings of those paths are served, and only tiles and
// bundles that the published checkpoint covers: what lies beyond it may
// still be rewritten after a crash, so it must not be cached as immutable.
// Everything else in the directory (Tessera's state, locks, temporary files)
// is NotFound, as are "..", absolute paths and the like. A stored file of the
// wrong length is Internal.
func (l *Log) ReadResource(ctx context.Context, path string) (data []byte, immutable bool, err error) {
	const op = "translog.ReadResource"
	if path == layout.CheckpointPath {
		data, err := l.root.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, apperr.E(op, apperr.NotFound, "no checkpoint is published yet")
		}
		if err != nil {
			return nil, false, apperr.Errorf(op, "read checkpoint: %w", err)
		}
		return data, false, nil
	}
	t, ok := parseResourcePath(path)
	if !ok {
		return nil, false, apperr.E(op, apperr.NotFound, "no such log resource")
	}
	if !t.coveredBy(l.watch.get().Size) {
		cp, err := l.refresh()
		if err != nil || !t.coveredBy(cp.Size) {
			return nil, false, apperr.E(op, apperr.NotFound, "no such log resource")
		}
	}
	data, err = l.root.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		// A partial tile is deleted once the full one is published.
		return nil, false, apperr.E(op, apperr.NotFound, "no such log resource")
	}
	if err != nil {
		return nil, false, apperr.Errorf(op, "read %s: %w", path, err)
	}
	if !t.entries && len(data) != t.width()*hashSize {
		return nil, false, apperr.Errorf(op, "%s has %d bytes, want %d", path, len(data), t.width()*hashSize)
	}
	return data, t.partial == 0, nil
}

const hashSize = 32

// resource is a parsed tile or entry bundle path.
type resource struct {
	entries bool // an entry bundle, at level 0
	level   uint64
	index   uint64
	partial uint8 // 0 for a full tile
}

func (r resource) width() int {
	if r.partial == 0 {
		return layout.TileWidth
	}
	return int(r.partial)
}

// coveredBy reports whether a tree of size holds every hash (or entry) of r.
func (r resource) coveredBy(size uint64) bool {
	if r.level*layout.TileHeight >= 64 {
		return false
	}
	atLevel := size >> (r.level * layout.TileHeight)
	if r.index > atLevel/layout.TileWidth {
		return false
	}
	return r.index*layout.TileWidth+uint64(r.width()) <= atLevel
}

// parseResourcePath accepts exactly the paths Tessera writes: it parses
// leniently with Tessera's parser and then insists that formatting the
// result gives back the same string.
func parseResourcePath(path string) (resource, bool) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return resource{}, false
	}
	var r resource
	var n string
	if n, ok = strings.CutPrefix(rest, "entries/"); ok {
		r.entries = true
	} else {
		var lvl string
		if lvl, n, ok = strings.Cut(rest, "/"); !ok {
			return resource{}, false
		}
		l, err := layout.ParseTileLevel(lvl)
		if err != nil {
			return resource{}, false
		}
		r.level = l
	}
	if n == "" || strings.HasPrefix(n, "/") {
		return resource{}, false
	}
	index, partial, err := layout.ParseTileIndexPartial(n)
	if err != nil {
		return resource{}, false
	}
	r.index, r.partial = index, partial
	want := layout.TilePath(r.level, r.index, r.partial)
	if r.entries {
		want = layout.EntriesPath(r.index, r.partial)
	}
	if want != path {
		return resource{}, false
	}
	return r, true
}
