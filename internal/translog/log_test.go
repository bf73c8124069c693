package translog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/apperr"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	l := openLog(t, testConfig(t))
	want, cp := appendN(t, l, 0, 300)
	if len(want) != 300 {
		t.Fatalf("%d distinct indexes for 300 appends", len(want))
	}
	for i := range uint64(300) {
		if _, ok := want[i]; !ok {
			t.Fatalf("index %d was not assigned: the log has a gap", i)
		}
	}
	if cp.Size != 300 || cp.Origin != testOrigin {
		t.Fatalf("checkpoint size %d origin %q, want 300 %q", cp.Size, cp.Origin, testOrigin)
	}
	// The checkpoint is a note signed by the log's key.
	v, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(cp.Raw, note.VerifierList(v)); err != nil {
		t.Fatalf("checkpoint does not verify: %v", err)
	}
	latest, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cp, latest); diff != "" {
		t.Errorf("Checkpoint differs from AwaitCheckpoint's (-await +latest):\n%s", diff)
	}

	for i := range uint64(300) {
		got, err := l.ReadEntry(t.Context(), i)
		if err != nil {
			t.Fatalf("ReadEntry(%d): %v", i, err)
		}
		if !bytes.Equal(got, want[i]) {
			t.Fatalf("ReadEntry(%d) = %s, want %s", i, got, want[i])
		}
	}
	_, err = l.ReadEntry(t.Context(), 300)
	wantCode(t, err, apperr.NotFound)

	for _, idx := range []uint64{0, 1, 127, 255, 256, 257, 299} {
		for _, size := range []uint64{idx + 1, 256, 300} {
			if size <= idx {
				continue
			}
			proof, err := l.InclusionProof(t.Context(), idx, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", idx, size, err)
			}
			root := treeHash(t, want, size)
			p := make(tlog.RecordProof, len(proof))
			for i, h := range proof {
				p[i] = tlog.Hash(h)
			}
			if err := tlog.CheckRecord(p, int64(size), root, int64(idx), tlog.RecordHash(want[idx])); err != nil {
				t.Errorf("proof of %d in %d does not verify with tlog: %v", idx, size, err)
			}
			if size == cp.Size {
				if err := VerifyInclusion(cp, idx, want[idx], proof); err != nil {
					t.Errorf("VerifyInclusion(%d): %v", idx, err)
				}
				if err := VerifyInclusion(cp, idx, append([]byte(" "), want[idx]...), proof); err == nil {
					t.Errorf("VerifyInclusion(%d) accepts other bytes", idx)
				}
			}
		}
	}
	_, err = l.InclusionProof(t.Context(), 300, 300)
	wantCode(t, err, apperr.Invalid)
	_, err = l.InclusionProof(t.Context(), 0, 301)
	wantCode(t, err, apperr.NotFound)
}

// treeHash computes the root of the first size entries independently of
// the log.
func treeHash(t *testing.T, entries map[uint64][]byte, size uint64) tlog.Hash {
	t.Helper()
	hashes := make(map[int64]tlog.Hash)
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for n := range int64(size) {
		hs, err := tlog.StoredHashes(n, entries[uint64(n)], r)
		if err != nil {
			t.Fatal(err)
		}
		for k, h := range hs {
			hashes[tlog.StoredHashIndex(0, n)+int64(k)] = h
		}
	}
	h, err := tlog.TreeHash(int64(size), r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestKey(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := l.VerifierKey()
	if !strings.HasPrefix(first, testOrigin+"+") {
		t.Errorf("verifier key %q is not named after the origin", first)
	}

	t.Run("ErrOpenTwice", func(t *testing.T) {
		_, err := Open(t.Context(), cfg)
		wantCode(t, err, apperr.Conflict)
	})
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	t.Run("Mode0600", func(t *testing.T) {
		info, err := os.Stat(cfg.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %04o, want 0600", perm)
		}
		b, _ := os.ReadFile(cfg.KeyFile)
		if !strings.HasPrefix(string(b), "PRIVATE+KEY+"+testOrigin+"+") {
			t.Errorf("key file does not hold a note signing key")
		}
	})
	t.Run("Reused", func(t *testing.T) {
		l := openLog(t, cfg)
		if got := l.VerifierKey(); got != first {
			t.Errorf("second Open has key %q, want %q", got, first)
		}
	})
	t.Run("ReadVerifierKey", func(t *testing.T) {
		got, err := ReadVerifierKey(cfg.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		if got != first {
			t.Errorf("ReadVerifierKey = %q, want %q", got, first)
		}
		_, err = ReadVerifierKey(filepath.Join(t.TempDir(), "none"))
		wantCode(t, err, apperr.NotFound)
	})
	t.Run("ErrOriginMismatch", func(t *testing.T) {
		other := cfg
		other.Origin = "other.example"
		_, err := Open(t.Context(), other)
		wantCode(t, err, apperr.Invalid)
		msg := apperr.MessageOf(err)
		if !strings.Contains(msg, `"`+testOrigin+`"`) || !strings.Contains(msg, `"other.example"`) || !strings.Contains(msg, cfg.KeyFile) {
			t.Errorf("message %q does not name the key file and both origins", msg)
		}
	})
	t.Run("ErrKeyReadableByOthers", func(t *testing.T) {
		if err := os.Chmod(cfg.KeyFile, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(cfg.KeyFile, 0o600)
		_, err := Open(t.Context(), cfg)
		wantCode(t, err, apperr.Invalid)
		_, err = ReadVerifierKey(cfg.KeyFile)
		wantCode(t, err, apperr.Invalid)
	})
	t.Run("ErrKeyInsideDir", func(t *testing.T) {
		c := testConfig(t)
		c.KeyFile = filepath.Join(c.Dir, "sub", "..", "log.key")
		_, err := Open(t.Context(), c)
		wantCode(t, err, apperr.Invalid)
		if _, err := os.Stat(c.KeyFile); err == nil {
			t.Error("a key was written inside the log directory")
		}
	})
	t.Run("ErrKeyInsideDirThroughSymlink", func(t *testing.T) {
		c := testConfig(t)
		link := filepath.Join(filepath.Dir(c.Dir), "link")
		if err := os.MkdirAll(c.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(c.Dir, link); err != nil {
			t.Fatal(err)
		}
		c.KeyFile = filepath.Join(link, "log.key")
		_, err := Open(t.Context(), c)
		wantCode(t, err, apperr.Invalid)
	})
	t.Run("ErrBadConfig", func(t *testing.T) {
		for _, mod := range []func(*Config){
			func(c *Config) { c.Dir = "" },
			func(c *Config) { c.KeyFile = "" },
			func(c *Config) { c.Origin = "" },
			func(c *Config) { c.Origin = "has space" },
			func(c *Config) { c.Origin = "a+b" },
			func(c *Config) { c.CheckpointInterval = 50 * time.Millisecond },
		} {
			c := testConfig(t)
			mod(&c)
			_, err := Open(t.Context(), c)
			wantCode(t, err, apperr.Invalid)
		}
	})
}

func TestReadResource(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := openLog(t, cfg)
	appendN(t, l, 0, 300)
	// Temporary files as Tessera leaves them while writing (or after a
	// crash): the final name followed by digits.
	for _, name := range []string{"checkpoint1234567", "tile/0/001.p/441234567", "tile/0/0001234567", "tile/entries/0001234567"} {
		if err := os.WriteFile(filepath.Join(cfg.Dir, name), make([]byte, 32), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path      string
		immutable bool
		size      int // -1: any
	}{
		{"checkpoint", false, -1},
		{"tile/0/000", true, 256 * 32},
		{"tile/0/001.p/44", false, 44 * 32},
		{"tile/1/000.p/1", false, 32},
		{"tile/entries/000", true, -1},
		{"tile/entries/001.p/44", false, -1},
	} {
		t.Run("OK "+tc.path, func(t *testing.T) {
			data, immutable, err := l.ReadResource(t.Context(), tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if immutable != tc.immutable {
				t.Errorf("immutable = %v, want %v", immutable, tc.immutable)
			}
			if tc.size >= 0 && len(data) != tc.size {
				t.Errorf("%d bytes, want %d", len(data), tc.size)
			}
			onDisk, err := os.ReadFile(filepath.Join(cfg.Dir, tc.path))
			if err != nil || !bytes.Equal(onDisk, data) {
				t.Errorf("served bytes differ from the file (%v)", err)
			}
		})
	}
	for _, path := range []string{
		"", "/", "checkpoint/", "/checkpoint", "./checkpoint", "key", lockName, ".state/treeState", ".state/treeState.lock",
		".state", "tile", "tile/", "tile/0", "tile/0/", "tile/0/000/", "tile/0/0", "tile/0/0000", "tile/00/000",
		"tile/0/../../.state/treeState", "tile/../checkpoint", "../log.key", "/etc/passwd", "tile/0/000.p/044",
		"checkpoint1234567", "tile/0/001.p/441234567", "tile/0/0001234567", "tile/entries/0001234567",
		"tile/0/001.p/45", "tile/0/001", "tile/0/002", "tile/1/000", "tile/2/000.p/1", "tile/64/000",
		"tile/0/x000/000", "tile/0/x001/000", "tile/entries/", "tile/entries/001", "tile/entries/001.p/45",
		"tile/entries/000.p/0", "tile/entries/000.p/256", "tile/entries/000.p", "tile/0/000.p/", "tile/0/-01",
		"tile/0/+01", "tile/0/0x1", "tile/0/000\x00", "tile/0/000.p/44/..",
	} {
		t.Run("NotFound "+path, func(t *testing.T) {
			_, _, err := l.ReadResource(t.Context(), path)
			wantCode(t, err, apperr.NotFound)
		})
	}
}

// FuzzResourcePath checks that the resource parser never panics and only
// accepts the canonical paths it would write itself.
func FuzzResourcePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/entries/x001/x234/067.p/8", "tile/1/000.p/1", "tile/0/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, ok := parseResourcePath(path)
		if !ok {
			return
		}
		if strings.Contains(path, "..") || strings.HasPrefix(path, "/") || strings.Contains(path, "//") {
			t.Fatalf("accepted %q", path)
		}
		if r.partial == 0 && strings.Contains(path, ".p/") {
			t.Fatalf("accepted %q as a full tile", path)
		}
	})
}

func TestClose(t *testing.T) {
	t.Parallel()
	l, err := Open(t.Context(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := l.Append(t.Context(), testEntry(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(t.Context()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = l.Append(t.Context(), testEntry(2))
	wantCode(t, err, apperr.Unavailable)
	_, err = l.AwaitCheckpoint(t.Context(), idx+1)
	wantCode(t, err, apperr.Unavailable)
}

// TestCloseWaitsForCheckpoint checks that Close returns only once a
// checkpoint covers every entry appended.
func TestCloseWaitsForCheckpoint(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.CheckpointInterval = time.Second
	l, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := appendAll(t, l, []Entry{testEntry(1), testEntry(2), testEntry(3)})
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, cfg)
	cp, err := l.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != uint64(len(got)) {
		t.Errorf("checkpoint after Close has size %d, want %d", cp.Size, len(got))
	}
}

// TestUnwritable makes the log's tile directory unusable in a way that
// also stops root (who ignores permissions): it becomes a regular file.
// Appends are still acknowledged from the write-ahead log, but not
// integrated: ReadEntry cannot return them yet. Once the directory is back
// the integrator's retry puts them at the indices acknowledged, with
// nothing lost and no gap.
func TestUnwritable(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := openLog(t, cfg)
	appendN(t, l, 0, 3)
	for _, aligned := range []bool{false, true} {
		name := "PartialBundle"
		if aligned {
			name = "NewBundle"
			// Fill the first bundle so the next entry starts a new one.
			size, err := l.reader.IntegratedSize(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			_, cp := appendN(t, l, 3, 256-int(size))
			if cp.Size != 256 {
				t.Fatalf("size %d, want 256", cp.Size)
			}
		}
		t.Run(name, func(t *testing.T) {
			size, err := l.reader.IntegratedSize(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			tiles := filepath.Join(cfg.Dir, "tile")
			if err := os.Rename(tiles, tiles+".away"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tiles, []byte("not a directory"), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			broken := testEntry(1000)
			idx, err := l.Append(ctx, broken)
			if err != nil {
				t.Fatalf("Append with the tile directory gone: %v (the write-ahead log still works)", err)
			}
			if idx != size {
				t.Fatalf("Append = %d, want %d", idx, size)
			}
			gone, stop := context.WithCancel(t.Context())
			stop()
			_, err = l.ReadEntry(gone, idx)
			wantCode(t, err, apperr.Unavailable) // acknowledged, not integrated

			if err := os.Remove(tiles); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tiles+".away", tiles); err != nil {
				t.Fatal(err)
			}
			idx2, err := l.Append(ctx, testEntry(1001))
			if err != nil {
				t.Fatalf("Append after repair: %v", err)
			}
			if idx2 != size+1 {
				t.Errorf("after repair the entry went to %d, want %d", idx2, size+1)
			}
			for i, e := range map[uint64]Entry{idx: broken, idx2: testEntry(1001)} {
				got, err := l.ReadEntry(ctx, i)
				if err != nil {
					t.Fatalf("ReadEntry(%d) after repair: %v", i, err)
				}
				if want, _ := Canonical(e); !bytes.Equal(got, want) {
					t.Errorf("entry %d = %s, want %s", i, got, want)
				}
			}
		})
	}
}

func TestAppendContextEnds(t *testing.T) {
	t.Parallel()
	l := openLog(t, testConfig(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := l.Append(ctx, testEntry(1))
	wantCode(t, err, apperr.Unavailable)
	_, err = l.Append(t.Context(), Entry{Type: "x", Time: testTime, Body: map[string]any{"big": strings.Repeat("x", MaxEntrySize)}})
	wantCode(t, err, apperr.Invalid)
}
