package translog

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileServer serves a tree built with golang.org/x/mod/sumdb/tlog, the
// independent implementation of the same tiles, in the C2SP layout: the
// tiles of every size in sizes, and a checkpoint for the largest.
type tileServer struct {
	// mu guards files: the verifier's stream fetches ahead in goroutines
	// that may still be asking while a test changes a file.
	mu    sync.Mutex
	files map[string][]byte
	vkey  string
	roots map[uint64]tlog.Hash
}

func newTileServer(t *testing.T, entries [][]byte, sizes ...uint64) *tileServer {
	t.Helper()
	hashes := make(map[int64]tlog.Hash)
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := hashes[x]
			if !ok {
				return nil, fmt.Errorf("no hash %d", x)
			}
			out[i] = h
		}
		return out, nil
	})
	for n, e := range entries {
		hs, err := tlog.StoredHashes(int64(n), e, r)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range hs {
			hashes[tlog.StoredHashIndex(0, int64(n))+int64(k)] = h
		}
	}
	s := &tileServer{files: make(map[string][]byte), roots: make(map[uint64]tlog.Hash)}
	var last uint64
	for _, size := range sizes {
		last = max(last, size)
		for _, tile := range tlog.NewTiles(layout.TileHeight, 0, int64(size)) {
			data, err := tlog.ReadTileData(tile, r)
			if err != nil {
				t.Fatal(err)
			}
			p := uint8(tile.W % layout.TileWidth)
			s.files[layout.TilePath(uint64(tile.L), uint64(tile.N), p)] = data
			if tile.L == 0 {
				var bundle []byte
				for _, e := range entries[tile.N*256 : tile.N*256+int64(tile.W)] {
					bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(e)))
					bundle = append(bundle, e...)
				}
				s.files[layout.EntriesPath(uint64(tile.N), p)] = bundle
			}
		}
		root, err := tlog.TreeHash(int64(size), r)
		if err != nil {
			t.Fatal(err)
		}
		s.roots[size] = root
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	root := s.roots[last]
	cp, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", testOrigin, last, base64.StdEncoding.EncodeToString(root[:]))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	s.files["checkpoint"] = cp
	s.vkey = vkey
	return s
}

// set serves data at path from now on.
func (s *tileServer) set(path string, data []byte) {
	s.mu.Lock()
	s.files[path] = data
	s.mu.Unlock()
}

func (s *tileServer) url(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		data, ok := s.files[strings.TrimPrefix(r.URL.Path, "/log/")]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/log/"
}

// TestAuditLargeTree checks the audit against tlog's tiles for a tree with
// three tile levels, from scratch and from states at awkward sizes, and
// that a changed hash at each level is caught.
func TestAuditLargeTree(t *testing.T) {
	t.Parallel()
	const size = 70_000 // 1 level-2 hash, 17 full level-1 hashes
	entries := make([][]byte, size)
	for i := range entries {
		entries[i] = fmt.Appendf(nil, "entry %d", i)
	}
	olds := []uint64{1, 255, 256, 300, 65535, 65536, 65537, 65536 + 3*256 + 5, size - 1}
	srv := newTileServer(t, entries, append(olds, size)...)
	url := srv.url(t)

	check := func(t *testing.T, from uint64, wantAudited uint64) {
		t.Helper()
		opts := VerifyOptions{URL: url, Key: srv.vkey, Entry: size - 1}
		if from > 0 {
			opts.StateFile = filepath.Join(t.TempDir(), "state.json")
			root := srv.roots[from]
			if err := writeState(opts.StateFile, verifyState{Origin: testOrigin, Key: srv.vkey, Size: from, Root: root[:]}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := Verify(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Size != size || res.Audited != wantAudited || !bytes.Equal(res.Entry, entries[size-1]) {
			t.Errorf("Verify = size %d audited %d entry %q; want %d %d", res.Size, res.Audited, res.Entry, size, wantAudited)
		}
	}
	t.Run("FromScratch", func(t *testing.T) { check(t, 0, size) })
	for _, from := range olds {
		t.Run(fmt.Sprintf("From%d", from), func(t *testing.T) { check(t, from, size-from/256*256) })
	}

	for _, path := range []string{"tile/0/000", "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"} {
		t.Run("ErrChanged "+path, func(t *testing.T) {
			orig, ok := srv.files[path]
			if !ok {
				t.Fatalf("no %s", path)
			}
			changed := bytes.Clone(orig)
			changed[len(changed)/2] ^= 1
			srv.set(path, changed)
			defer srv.set(path, orig)
			_, err := Verify(t.Context(), VerifyOptions{URL: url, Key: srv.vkey, Entry: -1})
			if err == nil {
				t.Fatal("Verify succeeded")
			}
			checkMessage(t, err, "tile "+path+" differs from the hashes of the entries")
		})
	}
	t.Run("ErrOldTileChanged", func(t *testing.T) {
		// Only the audit reads the partial tile of the old size: the
		// consistency proof to the new size reads the full one.
		const path = "tile/1/000.p/1"
		orig := srv.files[path]
		srv.set(path, bytes.Repeat([]byte{7}, len(orig)))
		defer srv.set(path, orig)
		state := filepath.Join(t.TempDir(), "state.json")
		root := srv.roots[300]
		if err := writeState(state, verifyState{Origin: testOrigin, Key: srv.vkey, Size: 300, Root: root[:]}); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(t.Context(), VerifyOptions{URL: url, StateFile: state, Entry: -1})
		if err == nil {
			t.Fatal("Verify succeeded")
		}
		checkMessage(t, err, "the tiles of the tree of size 300 seen before no longer give its root")
	})
	t.Run("ErrOldTilesDoNotMatchState", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "state.json")
		other := srv.roots[65536]
		if err := writeState(state, verifyState{Origin: testOrigin, Key: srv.vkey, Size: 65537, Root: other[:]}); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(t.Context(), VerifyOptions{URL: url, StateFile: state, Entry: -1})
		if err == nil {
			t.Fatal("Verify succeeded")
		}
		// The consistency proof catches it first.
		checkMessage(t, err, "is not consistent with the tree of size 65537 seen before")
	})
}
