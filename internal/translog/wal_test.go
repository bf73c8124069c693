package translog

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/tessera"

	"hearth/internal/apperr"
)

// emptyLog creates a log with no entries, closed, and returns its Config.
func emptyLog(t *testing.T) Config {
	t.Helper()
	cfg := testConfig(t)
	l, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// writeSegment writes a WAL segment holding entries first, first+1, ...,
// followed by tail, as a crashed process would have left it.
func writeSegment(t *testing.T, cfg Config, first uint64, entries [][]byte, tail []byte) string {
	t.Helper()
	var buf []byte
	for i, e := range entries {
		buf = appendRecord(buf, first+uint64(i), e)
	}
	buf = append(buf, tail...)
	path := filepath.Join(cfg.Dir, walDirName, segmentName(first))
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func canonicalEntries(t *testing.T, from, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for i := range n {
		data, err := Canonical(testEntry(from + i))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// checkEntries checks that the log holds want from index 0 on.
func checkEntries(t *testing.T, l *Log, want [][]byte) {
	t.Helper()
	for i, w := range want {
		got, err := l.ReadEntry(t.Context(), uint64(i))
		if err != nil {
			t.Fatalf("ReadEntry(%d): %v", i, err)
		}
		if !bytes.Equal(got, w) {
			t.Fatalf("entry %d = %s, want %s", i, got, w)
		}
	}
}

// TestWALRecovery reopens logs whose process died with acknowledged entries
// in the WAL only, and with a record cut short at the end of it: the whole
// records are integrated at their indices, the cut one is dropped (it was
// never acknowledged) and the next Append follows them.
func TestWALRecovery(t *testing.T) {
	t.Parallel()
	entries := canonicalEntries(t, 0, 5)
	whole := appendRecord(nil, 5, []byte(`{"type":"cut"}`))
	for name, tail := range map[string][]byte{
		"Clean":       nil,
		"CutHeader":   whole[:walHeaderSize-3],
		"CutEntry":    whole[:len(whole)-4],
		"Zeros":       make([]byte, 300), // the file grew but the data never landed
		"BadChecksum": append(append([]byte{}, whole[:len(whole)-1]...), whole[len(whole)-1]^1),
		"HugeLength":  []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13},
		"SingleByte":  {7},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := emptyLog(t)
			path := writeSegment(t, cfg, 0, entries, tail)
			l := openLog(t, cfg)
			checkEntries(t, l, entries)
			idx, err := l.Append(t.Context(), testEntry(99))
			if err != nil {
				t.Fatal(err)
			}
			if idx != uint64(len(entries)) {
				t.Errorf("Append after recovery = %d, want %d", idx, len(entries))
			}
			if cp, err := l.AwaitCheckpoint(t.Context(), idx); err != nil || cp.Size != idx+1 {
				t.Fatalf("AwaitCheckpoint = size %d, %v; want %d", cp.Size, err, idx+1)
			}
			if len(tail) > 0 {
				// The cut record is gone from the file, so that it is not
				// mistaken for damage once records follow it.
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, tail) && len(tail) > 1 {
					t.Errorf("the cut record is still in the segment")
				}
			}
		})
	}
}

// TestWALAcrossSegments recovers entries from two segments, the last cut
// short.
func TestWALAcrossSegments(t *testing.T) {
	t.Parallel()
	cfg := emptyLog(t)
	first := canonicalEntries(t, 0, 300)
	writeSegment(t, cfg, 0, first[:200], nil)
	writeSegment(t, cfg, 200, first[200:], []byte{1, 2, 3})
	l := openLog(t, cfg)
	checkEntries(t, l, first)
}

// TestWALDamaged refuses to open a log whose WAL lost or damaged
// acknowledged entries, rather than dropping them.
func TestWALDamaged(t *testing.T) {
	t.Parallel()
	entries := canonicalEntries(t, 0, 5)
	flip := func(b []byte, at int) []byte {
		b = append([]byte{}, b...)
		b[at] ^= 0x40
		return b
	}
	var full []byte
	for i, e := range entries {
		full = appendRecord(full, uint64(i), e)
	}
	second := len(appendRecord(nil, 0, entries[0]))
	for name, tc := range map[string]struct {
		write func(t *testing.T, cfg Config)
		want  string
	}{
		"FlippedMiddle": {func(t *testing.T, cfg Config) {
			os.WriteFile(filepath.Join(cfg.Dir, walDirName, segmentName(0)), flip(full, second+walHeaderSize+3), 0o600)
		}, "holds valid entries after it"},
		"FlippedLength": {func(t *testing.T, cfg Config) {
			os.WriteFile(filepath.Join(cfg.Dir, walDirName, segmentName(0)), flip(full, second+1), 0o600)
		}, "holds valid entries after it"},
		"DamagedOlderSegment": {func(t *testing.T, cfg Config) {
			os.WriteFile(filepath.Join(cfg.Dir, walDirName, segmentName(0)), flip(full, len(full)-2), 0o600)
			writeSegment(t, cfg, 5, canonicalEntries(t, 5, 2), nil)
		}, "before its end"},
		"Gap": {func(t *testing.T, cfg Config) {
			writeSegment(t, cfg, 0, entries[:2], nil)
			writeSegment(t, cfg, 3, entries[3:], nil)
		}, "are missing"},
		"StartsLate": {func(t *testing.T, cfg Config) {
			writeSegment(t, cfg, 2, entries[2:], nil)
		}, "are missing"},
		"WrongIndexInSegment": {func(t *testing.T, cfg Config) {
			path := filepath.Join(cfg.Dir, walDirName, segmentName(0))
			os.WriteFile(path, append(appendRecord(nil, 0, entries[0]), appendRecord(nil, 2, entries[2])...), 0o600)
		}, "where entry 1 was expected"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := emptyLog(t)
			tc.write(t, cfg)
			l, err := Open(t.Context(), cfg)
			if err == nil {
				l.Close(t.Context())
				t.Fatal("Open accepted a damaged write-ahead log")
			}
			wantCode(t, err, apperr.Internal)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			// The lock is released: once repaired, the log opens.
			os.RemoveAll(filepath.Join(cfg.Dir, walDirName))
			openLog(t, cfg)
		})
	}
}

// TestIndexMismatch gives the committer a Tessera that puts entries at
// other indices than promised: the entry already acknowledged stays
// acknowledged (it is in the WAL), but the log stops taking entries and
// says why, instead of acknowledging indices the tree does not hold.
func TestIndexMismatch(t *testing.T) {
	t.Parallel()
	w, recovered, err := openWAL(t.TempDir(), 0)
	if err != nil || len(recovered) != 0 {
		t.Fatalf("openWAL = %d records, %v", len(recovered), err)
	}
	add := func(_ context.Context, _ *tessera.Entry) tessera.IndexFuture {
		return func() (tessera.Index, error) { return tessera.Index{Index: 7}, nil }
	}
	defer w.f.Close()
	var logged bytes.Buffer
	c := newCommitter(w, add, 0, nil, 16, slog.New(slog.NewTextHandler(&logged, nil)), nil)
	defer c.close()
	r := <-c.submit([]byte(`{"n":0}`))
	if r.err != nil || r.idx != 0 {
		t.Fatalf("first submit = %d, %v", r.idx, r.err)
	}
	if err := c.awaitIntegrated(t.Context(), 0); err == nil || !strings.Contains(err.Error(), "integrated entry 0 at index 7") {
		t.Fatalf("awaitIntegrated = %v, want the mismatch", err)
	}
	if r := <-c.submit([]byte(`{"n":1}`)); r.err == nil {
		t.Fatalf("submit after the mismatch = %d, want an error", r.idx)
	}
	if !strings.Contains(logged.String(), "no longer matches") {
		t.Errorf("the mismatch was not logged: %q", logged.String())
	}
}
