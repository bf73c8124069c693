package translog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"hearth/internal/apperr"
)

// VerifyOptions says which log to verify and how.
type VerifyOptions struct {
	// URL is the base URL of the log, e.g. http://127.0.0.1:8080/log/
	// (trailing slash optional); resources are URL+"checkpoint",
	// URL+"tile/…".
	URL string
	// Key is the verifier key. If empty, the key saved in the state file is
	// used; if there is none, the key served at URL+"key" (trust on first
	// use, reported in VerifyResult.KeyFromServer).
	Key string
	// StateFile is a JSON file with the last verified origin, key, size and
	// root; "" keeps no state.
	StateFile string
	// Entry is an entry index whose inclusion proof to check and whose
	// bytes to return; -1 for none.
	Entry int64
	// Full re-audits the whole tree even if the state says part of it was
	// audited.
	Full bool
	// FetchKey returns the body served at keyURL (URL+"key"), for trust on
	// first use. This package may not speak HTTP itself beyond Tessera's
	// client, which only reads tlog-tiles paths, so the caller (the CLI)
	// supplies the request. Nil means a key must come from Key or the state.
	FetchKey func(ctx context.Context, keyURL string) ([]byte, error)
}

// VerifyResult is what Verify established.
type VerifyResult struct {
	Origin string
	Size   uint64
	Root   []byte
	// PreviousSize is the size from the state file (0 if none).
	PreviousSize uint64
	// KeyFromServer is true when the key was fetched from the server
	// itself (trust on first use).
	KeyFromServer bool
	// Audited is how many entries were re-hashed this run: the entries
	// added since the state's size, from the start of their entry bundle.
	Audited uint64
	// Entry, Index and Proof are set when VerifyOptions.Entry >= 0.
	Entry []byte
	Index uint64
	Proof [][]byte
}

// verifyState is the JSON of the state file.
type verifyState struct {
	Origin string `json:"origin"`
	Key    string `json:"key"`
	Size   uint64 `json:"size"`
	Root   []byte `json:"root"` // base64
}

// Verify audits the log served at opts.URL using nothing but HTTP:
//
//   - it fetches the checkpoint and checks its signature with the key;
//   - with a state file, it checks that the log only grew since the
//     checkpoint saved there: not smaller, not the same size with another
//     root, and a consistency proof that verifies;
//   - it audits the entries added since the state's size (all of them
//     without state, or with Full): it fetches their entry bundles,
//     recomputes every leaf and tile hash, compares every tile the server
//     serves byte for byte with the recomputed one, and the recomputed root
//     with the checkpoint's;
//   - with Entry >= 0, it checks that entry's inclusion proof.
//
// It writes the new state (atomically) only when every check passed. Every
// failure is an *apperr.Error whose Message is one line saying what failed:
// Invalid for a log that fails a check or bad options, Unavailable when the
// server cannot be reached or answers with an error, Internal when the state
// cannot be written.
func Verify(ctx context.Context, opts VerifyOptions) (VerifyResult, error) {
	const op = "translog.Verify"
	base, err := url.Parse(opts.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return VerifyResult{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("log URL %q is not an http(s) URL", opts.URL))
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	state, hasState, err := readState(opts.StateFile)
	if err != nil {
		return VerifyResult{}, err
	}
	var res VerifyResult
	key := opts.Key
	switch {
	case key != "" && hasState && state.Key != "" && state.Key != key:
		return VerifyResult{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("key %s differs from the key %s saved in %s", key, state.Key, opts.StateFile))
	case key == "" && hasState && state.Key != "":
		key = state.Key
	case key == "":
		if opts.FetchKey == nil {
			return VerifyResult{}, apperr.E(op, apperr.Invalid, "no verifier key: give one, or a state file that holds one")
		}
		keyURL := base.String() + "key"
		b, err := opts.FetchKey(ctx, keyURL)
		if err != nil {
			return VerifyResult{}, &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "cannot fetch the verifier key from " + keyURL + ": " + oneLine(err.Error()), Err: err}
		}
		key = strings.TrimSpace(string(b))
		res.KeyFromServer = true
	}
	verifier, err := note.NewVerifier(key)
	if err != nil {
		return VerifyResult{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("%q is not a note verifier key", oneLine(key)))
	}
	if hasState && state.Origin != "" && state.Origin != verifier.Name() {
		return VerifyResult{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("the state file %s is for origin %q, the key for %q", opts.StateFile, state.Origin, verifier.Name()))
	}

	f, err := client.NewHTTPFetcher(base, nil)
	if err != nil {
		return VerifyResult{}, apperr.Errorf(op, "fetcher: %w", err)
	}
	raw, err := f.ReadCheckpoint(ctx)
	if err != nil {
		return VerifyResult{}, fetchError(op, "the checkpoint", err)
	}
	cp, err := openCheckpoint(raw, verifier, key)
	if err != nil {
		return VerifyResult{}, apperr.Wrap(op, err)
	}
	res.Origin, res.Size, res.Root = cp.Origin, cp.Size, cp.Root
	if cp.Size > 1<<62 {
		return VerifyResult{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("checkpoint size %d is too large", cp.Size))
	}

	if hasState {
		res.PreviousSize = state.Size
		if err := checkGrowth(ctx, f, state, cp); err != nil {
			return VerifyResult{}, err
		}
	}

	a := newAuditor(ctx, f, cp.Size)
	from := uint64(0)
	if hasState && !opts.Full {
		from = state.Size
	}
	if res.Audited, err = a.run(from, state.Root, cp.Root); err != nil {
		return VerifyResult{}, err
	}

	if opts.Entry >= 0 {
		if res.Entry, res.Proof, err = checkEntry(ctx, f, cp, uint64(opts.Entry)); err != nil {
			return VerifyResult{}, err
		}
		res.Index = uint64(opts.Entry)
	}

	if opts.StateFile != "" {
		if err := writeState(opts.StateFile, verifyState{Origin: cp.Origin, Key: key, Size: cp.Size, Root: cp.Root}); err != nil {
			return VerifyResult{}, err
		}
	}
	return res, nil
}

// checkGrowth checks that cp extends the tree saved in the state.
func checkGrowth(ctx context.Context, f *client.HTTPFetcher, state verifyState, cp Checkpoint) error {
	const op = "translog.Verify"
	b64 := base64.StdEncoding.EncodeToString
	switch {
	case cp.Size < state.Size:
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("tree shrank: size %d after %d was seen", cp.Size, state.Size))
	case cp.Size == state.Size:
		if !bytes.Equal(cp.Root, state.Root) {
			return apperr.E(op, apperr.Invalid, fmt.Sprintf("tree forked: size %d has root %s but root %s was seen", cp.Size, b64(cp.Root), b64(state.Root)))
		}
		return nil
	case state.Size == 0:
		return nil // every tree extends the empty one
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	if err != nil {
		return apperr.Errorf(op, "proof builder: %w", err)
	}
	proof, err := pb.ConsistencyProof(ctx, state.Size, cp.Size)
	if err != nil {
		return fetchError(op, fmt.Sprintf("the consistency proof from size %d to %d", state.Size, cp.Size), err)
	}
	if err := merkleproof.VerifyConsistency(rfc6962.DefaultHasher, state.Size, cp.Size, proof, state.Root, cp.Root); err != nil {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("tree of size %d is not consistent with the tree of size %d seen before: %s", cp.Size, state.Size, proofFailure(err)))
	}
	return nil
}

// checkEntry fetches entry index and checks its inclusion proof against cp.
func checkEntry(ctx context.Context, f *client.HTTPFetcher, cp Checkpoint, index uint64) ([]byte, [][]byte, error) {
	const op = "translog.Verify"
	if index >= cp.Size {
		return nil, nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not in the log, which has %d entries", index, cp.Size))
	}
	n := index / layout.EntryBundleWidth
	w := layout.PartialTileSize(0, n, cp.Size)
	raw, err := f.ReadEntryBundle(ctx, n, w)
	if err != nil {
		return nil, nil, fetchError(op, layout.EntriesPath(n, w), err)
	}
	entries, err := parseBundle(raw, w)
	if err != nil {
		return nil, nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("entry bundle %s %s", layout.EntriesPath(n, w), err))
	}
	entry := entries[index%layout.EntryBundleWidth]
	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	if err != nil {
		return nil, nil, apperr.Errorf(op, "proof builder: %w", err)
	}
	proof, err := pb.InclusionProof(ctx, index)
	if err != nil {
		return nil, nil, fetchError(op, fmt.Sprintf("the inclusion proof of entry %d", index), err)
	}
	if err := VerifyInclusion(cp, index, entry, proof); err != nil {
		return nil, nil, apperr.Wrap(op, err)
	}
	return entry, proof, nil
}

// fetchError reports a failed fetch: a missing resource means the log is
// incomplete (Invalid); anything else may be the network (Unavailable).
func fetchError(op, what string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &apperr.Error{Op: op, Code: apperr.Invalid, Message: "the server does not have " + what, Err: err}
	}
	return &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "cannot fetch " + what + ": " + oneLine(err.Error()), Err: err}
}

// readState reads the state file; a missing file is no state.
func readState(path string) (verifyState, bool, error) {
	const op = "translog.Verify"
	if path == "" {
		return verifyState{}, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return verifyState{}, false, nil
	}
	if err != nil {
		return verifyState{}, false, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "cannot read the state file " + path, Err: err}
	}
	s, err := parseState(b)
	if err != nil {
		return verifyState{}, false, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "the state file " + path + " is not a log verification state", Err: err}
	}
	return s, true, nil
}

// parseState parses the JSON of a state file: the root must be a SHA-256
// hash and the size at most 2^62, as Verify accepts for a checkpoint.
func parseState(b []byte) (verifyState, error) {
	var s verifyState
	if err := json.Unmarshal(b, &s); err != nil {
		return verifyState{}, err
	}
	if len(s.Root) != sha256.Size || s.Size > 1<<62 {
		return verifyState{}, errors.New("root is not a SHA-256 hash or size is too large")
	}
	return s, nil
}

// writeState replaces the state file atomically: a crash leaves either the
// old state or the new one, never a mix.
func writeState(path string, s verifyState) error {
	const op = "translog.Verify"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return apperr.Errorf(op, "marshal state: %w", err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return &apperr.Error{Op: op, Code: apperr.Internal, Message: "cannot write the state file " + path, Err: err}
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return &apperr.Error{Op: op, Code: apperr.Internal, Message: "cannot write the state file " + path, Err: err}
	}
	return nil
}
