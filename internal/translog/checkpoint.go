package translog

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/apperr"
)

// Checkpoint is a signed statement of the log's size and root hash
// (C2SP tlog-checkpoint).
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Raw    []byte // the signed note as served
}

// openCheckpoint checks raw's signature with v (whose key string is vkey, for
// messages) and parses its body. Every failure is Invalid with a one-line
// message naming what is wrong.
func openCheckpoint(raw []byte, v note.Verifier, vkey string) (Checkpoint, error) {
	const op = "translog.openCheckpoint"
	n, err := note.Open(raw, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint signature does not verify with key "+vkey)
		}
		return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint is not a signed note: "+oneLine(err.Error()))
	}
	// note.Open decodes signatures leniently, ignoring the unused bits of
	// the last base64 character; a verifier that accepts a checkpoint must
	// accept exactly one spelling of it.
	if i := strings.LastIndex(string(raw), "\n\n"); i >= 0 {
		for _, line := range strings.Split(strings.TrimSuffix(string(raw[i+2:]), "\n"), "\n") {
			fields := strings.Fields(line)
			if len(fields) != 3 {
				continue
			}
			if _, err := base64.StdEncoding.Strict().DecodeString(fields[2]); err != nil {
				return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint signature is not canonical base64")
			}
		}
	}
	// The body is origin, size and root, one per line, then optional
	// extension lines (C2SP tlog-checkpoint).
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint body does not have origin, size and root lines")
	}
	if lines[0] != v.Name() {
		return Checkpoint{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("checkpoint origin %q is not the key's name %q", lines[0], v.Name()))
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("checkpoint size %q is not a decimal number", lines[1]))
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint root is not a base64 SHA-256 hash")
	}
	if size == 0 && tlog.Hash(root) != emptyRoot {
		return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint of the empty tree has a root other than SHA-256 of nothing")
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root, Raw: raw}, nil
}

// emptyRoot is the root of the empty tree (RFC 6962: SHA-256 of nothing).
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// LeafHash returns the RFC 6962 leaf hash of an entry's bytes, as used in
// tiles and proofs.
func LeafHash(entry []byte) []byte {
	h := tlog.RecordHash(entry)
	return h[:]
}

// VerifyInclusion checks that entry is at index in the tree cp commits to,
// using an inclusion proof from Log.InclusionProof. It fails with Invalid.
func VerifyInclusion(cp Checkpoint, index uint64, entry []byte, proof [][]byte) error {
	const op = "translog.VerifyInclusion"
	if index >= cp.Size || cp.Size > 1<<62 {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not in a tree of size %d", index, cp.Size))
	}
	p := make(tlog.RecordProof, len(proof))
	for i, h := range proof {
		if len(h) != tlog.HashSize {
			return apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not included: proof hash %d is %d bytes", index, i, len(h)))
		}
		p[i] = tlog.Hash(h)
	}
	var root tlog.Hash
	if len(cp.Root) != tlog.HashSize {
		return apperr.E(op, apperr.Invalid, "checkpoint root is not a SHA-256 hash")
	}
	copy(root[:], cp.Root)
	if err := tlog.CheckRecord(p, int64(cp.Size), root, int64(index), tlog.RecordHash(entry)); err != nil {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not included: %s", index, oneLine(err.Error())))
	}
	return nil
}

// oneLine keeps an error text from a library on one line, since messages
// are printed as a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
