package translog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

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
// messages) and parses its body with formats/log, the C2SP tlog-checkpoint
// parser Tessera's client uses. Every failure is Invalid with a one-line
// message naming what is wrong.
func openCheckpoint(raw []byte, v note.Verifier, vkey string) (Checkpoint, error) {
	const op = "translog.openCheckpoint"
	c, _, n, err := log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return Checkpoint{}, apperr.E(op, apperr.Invalid, checkpointFailure(raw, v, vkey, err))
	}
	// What formats/log accepts but a verifier must not: a checkpoint has
	// one spelling (canonical size, strict base64 root and signatures),
	// its root is a SHA-256 hash, and the empty tree has one root.
	lines := strings.SplitN(n.Text, "\n", 4)
	switch {
	case lines[1] != strconv.FormatUint(c.Size, 10):
		return Checkpoint{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("checkpoint size %q is not a decimal number", lines[1]))
	case len(c.Hash) != sha256.Size || lines[2] != base64.StdEncoding.EncodeToString(c.Hash):
		return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint root is not a base64 SHA-256 hash")
	case c.Size == 0 && !bytes.Equal(c.Hash, rfc6962.DefaultHasher.EmptyRoot()):
		return Checkpoint{}, apperr.E(op, apperr.Invalid, "checkpoint of the empty tree has a root other than SHA-256 of nothing")
	}
	// note.Open decodes signatures leniently, ignoring the unused bits of
	// the last base64 character; a verifier that accepts a checkpoint must
	// accept exactly one spelling of it.
	if i := bytes.LastIndex(raw, []byte("\n\n")); i >= 0 {
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
	return Checkpoint{Origin: c.Origin, Size: c.Size, Root: c.Hash, Raw: raw}, nil
}

// checkpointFailure says why log.ParseCheckpoint refused raw. Its errors
// are flattened to text, so whether the signature is at fault is asked of
// the note package again.
func checkpointFailure(raw []byte, v note.Verifier, vkey string, err error) string {
	_, nerr := note.Open(raw, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(nerr, &unverified) || errors.As(nerr, &invalid):
		return "checkpoint signature does not verify with key " + vkey
	case nerr != nil:
		return "checkpoint is not a signed note: " + oneLine(nerr.Error())
	}
	return "checkpoint body is not an origin, size and root for " + v.Name() + ": " + oneLine(err.Error())
}

// LeafHash returns the RFC 6962 leaf hash of an entry's bytes, as used in
// tiles and proofs.
func LeafHash(entry []byte) []byte {
	return rfc6962.DefaultHasher.HashLeaf(entry)
}

// VerifyInclusion checks that entry is at index in the tree cp commits to,
// using an inclusion proof from Log.InclusionProof. It fails with Invalid.
func VerifyInclusion(cp Checkpoint, index uint64, entry []byte, proof [][]byte) error {
	const op = "translog.VerifyInclusion"
	if index >= cp.Size || cp.Size > 1<<62 {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not in a tree of size %d", index, cp.Size))
	}
	if len(cp.Root) != sha256.Size {
		return apperr.E(op, apperr.Invalid, "checkpoint root is not a SHA-256 hash")
	}
	for i, h := range proof {
		if len(h) != sha256.Size {
			return apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not included: proof hash %d is %d bytes", index, i, len(h)))
		}
	}
	if err := merkleproof.VerifyInclusion(rfc6962.DefaultHasher, index, cp.Size, LeafHash(entry), proof, cp.Root); err != nil {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("entry %d is not included: %s", index, proofFailure(err)))
	}
	return nil
}

// proofFailure says why a proof failed, on one line: the merkle package's
// root mismatch prints both roots as byte lists over several lines.
func proofFailure(err error) string {
	if errors.As(err, new(merkleproof.RootMismatchError)) {
		return "the proof does not lead to the root"
	}
	return oneLine(err.Error())
}

// oneLine keeps an error text from a library on one line, since messages
// are printed as a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
