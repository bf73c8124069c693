package blobstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blobs", "not-yet")
	s, err := Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, dir
}

// files lists every regular file under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPutGetDelete(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	data := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB: several copy buffers
	n, err := s.Put(ctx, "clips/h1/c1", bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(data))
	}
	// One file per blob, no sidecar and no temporary file left.
	if diff := cmp.Diff([]string{"clips/h1/c1"}, files(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for _, off := range []int64{0, 7, int64(len(data))} {
		r, err := s.Get(ctx, "clips/h1/c1", off)
		if err != nil {
			t.Fatalf("Get(%d): %v", off, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data[off:]) {
			t.Errorf("Get(%d) returned %d bytes, %v; want %d bytes", off, len(got), err, len(data)-int(off))
		}
	}
	keys, err := s.Keys(ctx, "clips/")
	if err != nil || !cmp.Equal(keys, []string{"clips/h1/c1"}) {
		t.Errorf("Keys = %v, %v", keys, err)
	}
	if err := s.Delete(ctx, "clips/h1/c1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if ok, err := s.Exists(ctx, "clips/h1/c1"); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	_, err = s.Get(ctx, "clips/h1/c1", 0)
	wantCode(t, "Get(deleted)", err, apperr.NotFound)
	wantCode(t, "Delete(deleted)", s.Delete(ctx, "clips/h1/c1"), apperr.NotFound)
}

// failingReader returns some bytes, then an error, as a client that goes
// away (or a size limit) does.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func TestPut_ReaderFailsLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	errStop := errors.New("stop")
	_, err := s.Put(ctx, "clips/h1/c1", &failingReader{n: 3 << 20, err: errStop})
	if !errors.Is(err, errStop) {
		t.Fatalf("Put error %v does not wrap the reader's error", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("files left behind: %v", got)
	}

	// A failed overwrite keeps the old blob intact.
	if _, err := s.Put(ctx, "k", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k", &failingReader{n: 10, err: errStop}); !errors.Is(err, errStop) {
		t.Fatalf("Put: %v", err)
	}
	r, err := s.Get(ctx, "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); string(got) != "old" {
		t.Errorf("after a failed overwrite the blob is %q, want %q", got, "old")
	}
}

func TestOpen_URLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, url string
		code      apperr.Code
	}{
		{"OK", "file://" + dir + "/a", ""},
		{"OKLocalhost", "file://localhost" + dir + "/b", ""},
		{"ErrRelative", "file://./rel", apperr.Invalid},
		{"ErrRemoteHost", "file://example.org/x", apperr.Invalid},
		{"ErrParams", "file://" + dir + "?create_dir=1", apperr.Invalid},
		{"ErrScheme", "gs://bucket", apperr.Invalid},
		{"ErrNotADir", "file://" + os.Args[0], apperr.Unavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(ctx, tc.url)
			if err == nil {
				s.Close()
			}
			wantCode(t, "Open("+tc.url+")", err, tc.code)
		})
	}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func TestWalk(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	for _, k := range []string{"clips/h2/c1", "clips/h1/c2", "clips/h1/c1", "keys/k1"} {
		if _, err := s.Put(ctx, k, strings.NewReader(k)); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "clips", "h1", "c2"), at, at); err != nil {
		t.Fatal(err)
	}
	var keys []string
	err := s.Walk(ctx, "clips/", func(key string, modified time.Time) error {
		keys = append(keys, key)
		if key == "clips/h1/c2" && !modified.Equal(at) {
			t.Errorf("%s modified %v, want %v", key, modified, at)
		}
		// The blob being visited may be deleted.
		return s.Delete(ctx, key)
	})
	if diff := cmp.Diff([]string{"clips/h1/c1", "clips/h1/c2", "clips/h2/c1"}, keys); diff != "" || err != nil {
		t.Errorf("Walk (-want +got):\n%s%v", diff, err)
	}
	if diff := cmp.Diff([]string{"keys/k1"}, files(t, dir)); diff != "" {
		t.Errorf("files after deleting while walking (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := s.Walk(ctx, "", func(string, time.Time) error { return stop }); err != stop {
		t.Errorf("Walk returned %v, want fn's error", err)
	}
}
