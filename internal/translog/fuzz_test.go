package translog

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"

	"hearth/internal/apperr"
)

// The fuzz targets below cover every parser of what a verifier fetches from
// another server: checkpoints, hash tiles, entry bundles and entries, and
// the verifier's own state file. Their corpora in testdata/fuzz start from
// a real log's files, written by TestWriteFuzzCorpus: small partial tiles
// and bundles only, as larger inputs slow the fuzzer down a hundredfold;
// TestVerify and TestAuditLargeTree parse full ones.

var writeFuzzCorpus = flag.Bool("write-fuzz-corpus", false, "rewrite the seed corpora in testdata/fuzz from a real log")

// fuzzKey is a fixed signing key for testOrigin: ed25519 keys are derived
// from the randomness read, so zeros give the same key every run, and the
// seed checkpoints verify with it.
func fuzzKey(t testing.TB) (note.Signer, note.Verifier, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(bytes.NewReader(make([]byte, 64)), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, verifier, vkey
}

// wantRefusal fails unless err is an Invalid *apperr.Error (or, for the
// internal parsers that return plain errors, any error) with a one-line
// message.
func wantRefusal(t *testing.T, err error, typed bool) {
	t.Helper()
	var ae *apperr.Error
	if typed && (!errors.As(err, &ae) || ae.Code != apperr.Invalid) {
		t.Fatalf("refused with %T %v, want an Invalid *apperr.Error", err, err)
	}
	msg := err.Error()
	if typed {
		msg = apperr.MessageOf(err)
	}
	if msg == "" || strings.Contains(msg, "\n") {
		t.Fatalf("refused with message %q, want one line", msg)
	}
}

// FuzzOpenCheckpoint feeds openCheckpoint the bytes a server could serve,
// and the same bytes signed as a note body with the log's key (so the
// fuzzer reaches the body parser past the signature). A checkpoint is
// either refused with Invalid and a one-line message, or accepted in its one
// canonical spelling: the body starts with origin, size and root as
// formats/log writes them, and signing the body again gives the bytes
// served.
func FuzzOpenCheckpoint(f *testing.F) {
	signer, verifier, vkey := fuzzKey(f)
	f.Add([]byte("log.hearth.test\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("log.hearth.test\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension\n"))
	f.Add([]byte("log.hearth.test\n07\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("log.hearth.test\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n"))
	f.Add([]byte("log.hearth.test\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		check := func(raw []byte) {
			cp, err := openCheckpoint(raw, verifier, vkey)
			if err != nil {
				wantRefusal(t, err, true)
				return
			}
			if !bytes.Equal(cp.Raw, raw) || cp.Origin != testOrigin || len(cp.Root) != hashSize ||
				cp.Size == 0 && !bytes.Equal(cp.Root, rfc6962.DefaultHasher.EmptyRoot()) {
				t.Fatalf("accepted %q as %+v", raw, cp)
			}
			n, err := note.Open(raw, note.VerifierList(verifier))
			if err != nil {
				t.Fatalf("accepted a checkpoint that does not open: %v", err)
			}
			body := log.Checkpoint{Origin: cp.Origin, Size: cp.Size, Hash: cp.Root}.Marshal()
			if !strings.HasPrefix(n.Text, string(body)) {
				t.Fatalf("accepted body %q, not in the canonical form %q", n.Text, body)
			}
			if len(n.Sigs)+len(n.UnverifiedSigs) == 1 {
				again, err := note.Sign(&note.Note{Text: n.Text}, signer)
				if err != nil || !bytes.Equal(again, raw) {
					t.Fatalf("signing the accepted body again gives %q (%v), not %q", again, err, raw)
				}
			}
		}
		check(raw)
		if signed, err := note.Sign(&note.Note{Text: string(raw)}, signer); err == nil {
			check(signed)
		}
	})
}

// appendBundle serialises entries as a tlog-tiles entry bundle.
func appendBundle(b []byte, entries [][]byte) []byte {
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b
}

// FuzzParseBundle checks that an entry bundle is refused with a one-line
// error, or parses into exactly the entries asked for, which serialise back
// to the bundle served (or to its start, for a full bundle served in place
// of a partial one).
func FuzzParseBundle(f *testing.F) {
	f.Add([]byte("\x00\x02{}\x00\x00"), uint8(2))
	f.Add([]byte("\x00\x05short"), uint8(0))
	f.Fuzz(func(t *testing.T, raw []byte, w uint8) {
		entries, err := parseBundle(raw, w)
		if err != nil {
			wantRefusal(t, err, false)
			return
		}
		want := int(w)
		if w == 0 {
			want = layout.EntryBundleWidth
		}
		if len(entries) != want {
			t.Fatalf("parsed %d entries, want %d", len(entries), want)
		}
		again := appendBundle(nil, entries)
		if !bytes.HasPrefix(raw, again) {
			t.Fatalf("entries serialise to %q, not to the bundle %q", again, raw)
		}
		if len(again) != len(raw) {
			// Only a full bundle may stand in for a partial one.
			if _, err := parseBundle(raw, 0); w == 0 || err != nil {
				t.Fatalf("entries serialise to %q, only the start of the bundle %q", again, raw)
			}
		}
	})
}

// FuzzParseTile checks that a hash tile is refused with a one-line error,
// or gives exactly the w hashes asked for, which are the start of the tile
// served (all of it for a full tile).
func FuzzParseTile(f *testing.F) {
	f.Add(bytes.Repeat([]byte{1}, 3*hashSize), uint16(3))
	f.Add(bytes.Repeat([]byte{2}, 3*hashSize+1), uint16(2))
	f.Add(bytes.Repeat([]byte{3}, 2*hashSize), uint16(3))
	f.Fuzz(func(t *testing.T, raw []byte, w uint16) {
		if w == 0 || w > layout.TileWidth {
			return // the auditor asks for 1 to 256 hashes
		}
		nodes, err := parseTile(raw, int(w))
		if err != nil {
			wantRefusal(t, err, false)
			return
		}
		if len(nodes) != int(w) {
			t.Fatalf("parsed %d hashes, want %d", len(nodes), w)
		}
		var again []byte
		for _, n := range nodes {
			if len(n) != hashSize {
				t.Fatalf("parsed a hash of %d bytes", len(n))
			}
			again = append(again, n...)
		}
		if !bytes.HasPrefix(raw, again) || w == layout.TileWidth && len(raw) != len(again) || len(raw)%hashSize != 0 {
			t.Fatalf("hashes serialise to %x, not to the tile %x", again, raw)
		}
	})
}

// FuzzParseState checks that the verifier's state file is refused, or
// parses into a state that writeState's form reproduces: marshalled and
// parsed again it is the same state, and its bytes are a fixed point.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"origin":"log.hearth.test","key":"k","size":3,"root":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"size":4611686018427387905,"root":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseState(b)
		if err != nil {
			wantRefusal(t, err, false)
			return
		}
		if len(s.Root) != hashSize || s.Size > 1<<62 {
			t.Fatalf("accepted %+v", s)
		}
		out, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		s2, err := parseState(out)
		if err != nil {
			t.Fatalf("the state as written, %s, does not parse: %v", out, err)
		}
		if diff := cmp.Diff(s, s2); diff != "" {
			t.Fatalf("state changed when written and read (-first +second):\n%s", diff)
		}
		if out2, _ := json.MarshalIndent(s2, "", "  "); !bytes.Equal(out, out2) {
			t.Fatalf("the written state is not a fixed point:\n%s\n%s", out, out2)
		}
	})
}

// TestWriteFuzzCorpus writes the seed corpora from a real log: its
// checkpoint, tiles, entry bundles, entries and a verifier's state. It runs
// only with -write-fuzz-corpus:
//
//	go test -run TestWriteFuzzCorpus ./internal/translog -args -write-fuzz-corpus
func TestWriteFuzzCorpus(t *testing.T) {
	t.Parallel()
	if !*writeFuzzCorpus {
		t.Skip("run with -write-fuzz-corpus to rewrite testdata/fuzz")
	}
	cfg := testConfig(t)
	cfg.Rand = bytes.NewReader(make([]byte, 64)) // the key of fuzzKey
	l := openLog(t, cfg)
	if _, _, vkey := fuzzKey(t); l.VerifierKey() != vkey {
		t.Fatalf("the log's key %s is not the fuzz key %s", l.VerifierKey(), vkey)
	}
	appendN(t, l, 0, 300)
	if _, err := l.Append(t.Context(), Entry{Type: "access.read", Time: testTime, Body: map[string]any{
		"actor": "S-7KQ2M4XJ9P", "actor_role": "staff", "object": "account.metadata", "purpose": "support", "subject": "3f1c\u2028<&>",
	}}); err != nil {
		t.Fatal(err)
	}
	_, cp := appendN(t, l, 300, 1)
	state := filepath.Join(t.TempDir(), "state.json")
	if _, err := Verify(t.Context(), VerifyOptions{URL: serve(t, l), Key: l.VerifierKey(), StateFile: state, Entry: -1}); err != nil {
		t.Fatal(err)
	}
	file := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(cfg.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write := func(target, name string, args ...any) {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, a := range args {
			switch a := a.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", a)
			case uint8:
				fmt.Fprintf(&b, "uint8(%d)\n", a)
			case uint16:
				fmt.Fprintf(&b, "uint16(%d)\n", a)
			}
		}
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("FuzzOpenCheckpoint", "real-checkpoint", cp.Raw)
	write("FuzzParseTile", "real-level-1-tile", file("tile/1/000.p/1"), uint16(1))
	// Tiles and bundles of a small log: the fuzzer slows down a
	// hundredfold with inputs of a few kilobytes.
	small := testConfig(t)
	small.KeyFile, small.Rand = cfg.KeyFile, nil
	sl := openLog(t, small)
	appendN(t, sl, 0, 3)
	smallFile := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(small.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write("FuzzParseTile", "real-partial-tile", smallFile("tile/0/000.p/3"), uint16(3))
	write("FuzzParseTile", "real-wider-tile", smallFile("tile/0/000.p/3"), uint16(2))
	write("FuzzParseBundle", "real-partial-bundle", smallFile("tile/entries/000.p/3"), uint8(3))
	saved, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	write("FuzzParseState", "real-state", saved)
	for _, idx := range []uint64{0, cp.Size - 2} {
		e, err := l.ReadEntry(t.Context(), idx)
		if err != nil {
			t.Fatal(err)
		}
		write("FuzzParseEntry", fmt.Sprintf("real-entry-%d", idx), e)
	}
}
