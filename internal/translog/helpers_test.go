package translog

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/klog/v2"

	"hearth/internal/apperr"
)

const testOrigin = "log.hearth.test"

var testTime = time.Date(2026, 3, 1, 10, 0, 0, 123_000_000, time.UTC)

func TestMain(m *testing.M) {
	// Tessera announces every new log directory on stderr at info level;
	// the tests create hundreds. Keep warnings and errors.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for k, v := range map[string]string{"logtostderr": "false", "stderrthreshold": "WARNING"} {
		if err := fs.Set(k, v); err != nil {
			panic(err)
		}
	}
	klog.SetOutput(io.Discard) // no log files
	os.Exit(m.Run())
}

// testConfig returns a Config for a new log in a temporary directory, with
// the key beside it.
func testConfig(t testing.TB) Config {
	t.Helper()
	base := t.TempDir()
	return Config{
		Dir:                filepath.Join(base, "log"),
		KeyFile:            filepath.Join(base, "log.key"),
		Origin:             testOrigin,
		CheckpointInterval: 100 * time.Millisecond,
	}
}

// openLog opens a log and closes it when the test ends.
func openLog(t testing.TB, cfg Config) *Log {
	t.Helper()
	l, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

// handler serves a log the way the web adapter does: ReadResource under
// the root, and the verifier key at "key".
func handler(l *Log) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/log/")
		if p == "key" {
			fmt.Fprintln(w, l.VerifierKey())
			return
		}
		data, _, err := l.ReadResource(r.Context(), p)
		if err != nil {
			http.Error(w, apperr.MessageOf(err), apperr.HTTPStatus(err))
			return
		}
		w.Write(data)
	})
}

// serve serves l over HTTP and returns the log's base URL.
func serve(t testing.TB, l *Log) string {
	t.Helper()
	srv := httptest.NewServer(handler(l))
	t.Cleanup(srv.Close)
	return srv.URL + "/log/"
}

// httpGet is the FetchKey a command line would pass.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// testEntry returns a small entry numbered n.
func testEntry(n int) Entry {
	return Entry{Type: "test.entry", Time: testTime, Body: map[string]any{"n": n}}
}

// appendAll appends entries concurrently (so they share batches) and
// returns each index's canonical bytes.
func appendAll(t testing.TB, l *Log, entries []Entry) map[uint64][]byte {
	t.Helper()
	var mu sync.Mutex
	got := make(map[uint64][]byte, len(entries))
	var wg sync.WaitGroup
	errs := make(chan error, len(entries))
	for _, e := range entries {
		wg.Go(func() {
			want, err := Canonical(e)
			if err != nil {
				errs <- err
				return
			}
			idx, err := l.Append(t.Context(), e)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			got[idx] = want
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	return got
}

// appendN appends n test entries numbered from first and waits until a
// checkpoint covers them all; it returns that checkpoint.
func appendN(t testing.TB, l *Log, first, n int) (map[uint64][]byte, Checkpoint) {
	t.Helper()
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = testEntry(first + i)
	}
	got := appendAll(t, l, entries)
	var last uint64
	for idx := range got {
		last = max(last, idx)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cp, err := l.AwaitCheckpoint(ctx, last)
	if err != nil {
		t.Fatalf("AwaitCheckpoint(%d): %v", last, err)
	}
	return got, cp
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}
