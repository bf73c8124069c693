package translog

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := openLog(t, cfg)
	url := serve(t, l)
	state := filepath.Join(t.TempDir(), "state.json")
	entries, cp := appendN(t, l, 0, 300)

	t.Run("FirstRunAuditsAll", func(t *testing.T) {
		res, err := Verify(t.Context(), VerifyOptions{URL: url, Key: l.VerifierKey(), StateFile: state, Entry: 257})
		if err != nil {
			t.Fatal(err)
		}
		proof, err := l.InclusionProof(t.Context(), 257, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		want := VerifyResult{Origin: testOrigin, Size: 300, Root: cp.Root, Audited: 300, Entry: entries[257], Index: 257, Proof: proof}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("Verify (-want +got):\n%s", diff)
		}
	})
	more, cp2 := appendN(t, l, 300, 250)
	t.Run("SecondRunAuditsNewEntries", func(t *testing.T) {
		res, err := Verify(t.Context(), VerifyOptions{URL: strings.TrimSuffix(url, "/"), StateFile: state, Entry: -1})
		if err != nil {
			t.Fatal(err)
		}
		// From the start of bundle 1, which held entry 300.
		want := VerifyResult{Origin: testOrigin, Size: 550, Root: cp2.Root, PreviousSize: 300, Audited: 550 - 256}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("Verify (-want +got):\n%s", diff)
		}
	})
	t.Run("UnchangedAuditsNothing", func(t *testing.T) {
		res, err := Verify(t.Context(), VerifyOptions{URL: url, StateFile: state, Entry: 549})
		if err != nil {
			t.Fatal(err)
		}
		if res.Audited != 0 || res.PreviousSize != 550 || !bytes.Equal(res.Entry, more[549]) {
			t.Errorf("Verify = %+v", res)
		}
	})
	t.Run("FullAuditsAll", func(t *testing.T) {
		res, err := Verify(t.Context(), VerifyOptions{URL: url, StateFile: state, Entry: -1, Full: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Audited != 550 {
			t.Errorf("Audited %d, want 550", res.Audited)
		}
	})
	t.Run("TrustOnFirstUse", func(t *testing.T) {
		tofu := filepath.Join(t.TempDir(), "state.json")
		res, err := Verify(t.Context(), VerifyOptions{URL: url, StateFile: tofu, Entry: -1, FetchKey: httpGet})
		if err != nil {
			t.Fatal(err)
		}
		if !res.KeyFromServer {
			t.Error("KeyFromServer is false for a key fetched from the server")
		}
		// The key is now pinned in the state.
		res, err = Verify(t.Context(), VerifyOptions{URL: url, StateFile: tofu, Entry: -1})
		if err != nil {
			t.Fatal(err)
		}
		if res.KeyFromServer {
			t.Error("KeyFromServer is true for the key saved in the state")
		}
	})

	otherKey := func(t *testing.T) string {
		c := testConfig(t)
		other := openLog(t, c)
		return other.VerifierKey()
	}
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) VerifyOptions
		msg  string
	}{
		{"ErrWrongKey", func(t *testing.T) VerifyOptions {
			return VerifyOptions{URL: url, Key: otherKey(t), Entry: -1}
		}, "checkpoint signature does not verify with key " + testOrigin + "+"},
		{"ErrKeyNotInState", func(t *testing.T) VerifyOptions {
			return VerifyOptions{URL: url, Key: otherKey(t), StateFile: state, Entry: -1}
		}, "differs from the key"},
		{"ErrNoKey", func(t *testing.T) VerifyOptions { return VerifyOptions{URL: url, Entry: -1} }, "no verifier key"},
		{"ErrNotAKey", func(t *testing.T) VerifyOptions { return VerifyOptions{URL: url, Key: "nope", Entry: -1} }, "is not a note verifier key"},
		{"ErrBadURL", func(t *testing.T) VerifyOptions {
			return VerifyOptions{URL: "ftp://x/", Key: l.VerifierKey(), Entry: -1}
		}, "not an http(s) URL"},
		{"ErrEntryBeyondLog", func(t *testing.T) VerifyOptions {
			return VerifyOptions{URL: url, Key: l.VerifierKey(), Entry: 550}
		}, "entry 550 is not in the log"},
		{"ErrNoLogThere", func(t *testing.T) VerifyOptions {
			return VerifyOptions{URL: strings.TrimSuffix(url, "log/") + "elsewhere/", Key: l.VerifierKey(), Entry: -1}
		}, "the server does not have the checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(state)
			_, err := Verify(t.Context(), tc.opts(t))
			if err == nil {
				t.Fatal("Verify succeeded")
			}
			checkMessage(t, err, tc.msg)
			if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
				t.Error("a failed Verify changed the state file")
			}
		})
	}
}

// checkMessage checks that err is an *apperr.Error with a one-line message
// containing want.
func checkMessage(t *testing.T, err error, want string) {
	t.Helper()
	if _, ok := err.(*apperr.Error); !ok {
		t.Errorf("error %T is not an *apperr.Error", err)
	}
	msg := apperr.MessageOf(err)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Errorf("message %q, want one line containing %q", msg, want)
	}
}

// TestVerifyTamper changes every byte, one at a time, of the checkpoint and
// of a full tile, partial tiles and an entry bundle in the directory of a
// log of 300 entries, and expects Verify to fail each time. Each core works
// on its own copy of the log directory, served by its own Log.
func TestVerifyTamper(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := openLog(t, cfg)
	_, cp := appendN(t, l, 0, 300)
	if cp.Size != 300 {
		t.Fatalf("size %d, want 300", cp.Size)
	}
	type copyOfLog struct {
		dir  string
		opts VerifyOptions
	}
	copies := make([]copyOfLog, runtime.GOMAXPROCS(0))
	for w := range copies {
		c := cfg
		c.Dir = filepath.Join(t.TempDir(), "log")
		if err := os.CopyFS(c.Dir, os.DirFS(cfg.Dir)); err != nil {
			t.Fatal(err)
		}
		cl := openLog(t, c)
		copies[w] = copyOfLog{c.Dir, VerifyOptions{URL: serve(t, cl), Key: l.VerifierKey(), Entry: -1}}
		if _, err := Verify(t.Context(), copies[w].opts); err != nil {
			t.Fatalf("untampered log: %v", err)
		}
	}
	for _, name := range []string{"checkpoint", "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1", "tile/entries/001.p/44"} {
		t.Run(name, func(t *testing.T) {
			var undetected atomic.Int64
			var changed int
			var wg sync.WaitGroup
			for w, c := range copies {
				f, err := os.OpenFile(filepath.Join(c.dir, name), os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				orig, err := io.ReadAll(f)
				if err != nil {
					t.Fatal(err)
				}
				at := tamperedBytes(name, len(orig))
				changed = len(at)
				wg.Go(func() {
					for k := w; k < len(at); k += len(copies) {
						i := at[k]
						if _, err := f.WriteAt([]byte{orig[i] ^ 0x01}, int64(i)); err != nil {
							t.Error(err)
							return
						}
						if _, err := Verify(t.Context(), c.opts); err == nil {
							if undetected.Add(1) <= 5 {
								t.Errorf("flipping a bit of byte %d went unnoticed", i)
							}
						}
						if _, err := f.WriteAt(orig[i:i+1], int64(i)); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if n := undetected.Load(); n > 0 {
				t.Errorf("%d of %d changed bytes went unnoticed", n, changed)
			}
		})
	}
	// The restored copies verify again, so the failures above came from
	// the changes.
	for _, c := range copies {
		if _, err := Verify(t.Context(), c.opts); err != nil {
			t.Fatalf("restored log: %v", err)
		}
	}
}

// TestVerifyTamperMessages checks what Verify says for each kind of
// tampering.
// tamperedBytes lists which bytes of a log file TestVerifyTamper changes:
// every byte of checkpoints and entry bundles, and in hash tiles one byte
// of every 32-byte hash, at an offset that moves along with the hash, so
// every hash and every byte position within a hash is changed once. A
// full-tile pass checks 32 times as many verifications for nothing more.
func tamperedBytes(name string, size int) []int {
	var at []int
	for i := range size {
		hashTile := strings.HasPrefix(name, "tile/") && !strings.HasPrefix(name, "tile/entries/")
		if !hashTile || i%32 == (i/32)%32 {
			at = append(at, i)
		}
	}
	return at
}

func TestVerifyTamperMessages(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := openLog(t, cfg)
	url := serve(t, l)
	appendN(t, l, 0, 300)
	for _, tc := range []struct {
		file string
		at   int
		msg  string
	}{
		{"checkpoint", 0, "checkpoint signature does not verify with key " + l.VerifierKey()},
		{"tile/0/000", 100, "tile tile/0/000 differs from the hashes of the entries"},
		{"tile/0/001.p/44", 0, "tile tile/0/001.p/44 differs from the hashes of the entries"},
		{"tile/1/000.p/1", 31, "tile tile/1/000.p/1 differs from the hashes of the entries"},
		{"tile/entries/000", 10, "tile tile/0/000 differs from the hashes of the entries"},
		{"tile/entries/001.p/44", 0, "entry bundle tile/entries/001.p/44 has"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(cfg.Dir, tc.file)
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(path, orig, 0o644)
			b := bytes.Clone(orig)
			b[tc.at] ^= 0x01
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Verify(t.Context(), VerifyOptions{URL: url, Key: l.VerifierKey(), Entry: -1})
			if err == nil {
				t.Fatal("Verify succeeded")
			}
			wantCode(t, err, apperr.Invalid)
			checkMessage(t, err, tc.msg)
		})
	}
}

// TestVerifyRollback serves an older copy of a log, and a log with the same
// key but other entries, to a verifier that has seen the log at size 20.
func TestVerifyRollback(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	l := openLog(t, cfg)
	_, cp := appendN(t, l, 0, 10)
	if cp.Size != 10 {
		t.Fatalf("size %d, want 10", cp.Size)
	}
	at10 := filepath.Join(t.TempDir(), "at10")
	if err := os.CopyFS(at10, os.DirFS(cfg.Dir)); err != nil {
		t.Fatal(err)
	}
	_, cp = appendN(t, l, 10, 10)
	if cp.Size != 20 {
		t.Fatalf("size %d, want 20", cp.Size)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	key := l.VerifierKey()
	if _, err := Verify(t.Context(), VerifyOptions{URL: serve(t, l), Key: key, StateFile: state, Entry: -1}); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}

	// A log with the same key and other entries: a fork.
	forkCfg := testConfig(t)
	forkCfg.KeyFile = cfg.KeyFile
	fork := openLog(t, forkCfg)
	_, fcp := appendN(t, fork, 100, 20)
	if fcp.Size != 20 {
		t.Fatalf("fork size %d, want 20", fcp.Size)
	}
	forkURL := serve(t, fork)

	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
		msg  string
	}{
		{"ErrShrank", func(t *testing.T) string { return serveDir(t, at10, key) }, "tree shrank: size 10 after 20 was seen"},
		{"ErrForkSameSize", func(t *testing.T) string { return forkURL }, "tree forked: size 20 has root"},
		{"ErrForkLarger", func(t *testing.T) string {
			appendN(t, fork, 120, 5)
			return forkURL
		}, "tree of size 25 is not consistent with the tree of size 20 seen before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(t.Context(), VerifyOptions{URL: tc.url(t), StateFile: state, Entry: -1})
			if err == nil {
				t.Fatal("Verify succeeded")
			}
			wantCode(t, err, apperr.Invalid)
			checkMessage(t, err, tc.msg)
			if now, _ := os.ReadFile(state); !bytes.Equal(now, saved) {
				t.Error("a failed Verify changed the state file")
			}
		})
	}
	// Without the state, the old copy is a fine log of its own: the state is
	// what catches the rollback.
	if _, err := Verify(t.Context(), VerifyOptions{URL: serveDir(t, at10, key), Key: key, Entry: -1}); err != nil {
		t.Errorf("the copy at size 10 alone: %v", err)
	}
}

// serveDir serves a log directory as a plain static file server would,
// which is how a dishonest operator could serve an old copy.
func serveDir(t *testing.T, dir, key string) string {
	t.Helper()
	files := http.StripPrefix("/log/", http.FileServerFS(os.DirFS(dir)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/log/key" {
			fmt.Fprintln(w, key)
			return
		}
		if _, err := fs.Stat(os.DirFS(dir), strings.TrimPrefix(r.URL.Path, "/log/")); err != nil {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/log/"
}
