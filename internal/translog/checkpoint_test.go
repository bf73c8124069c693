package translog

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestCheckpointSignatureIsCanonical changes only the unused bits of a
// signature's last base64 character: the signature still verifies, but the
// checkpoint is another byte string, and must be refused.
func TestCheckpointSignatureIsCanonical(t *testing.T) {
	t.Parallel()
	skey, vkey, err := note.GenerateKey(rand.Reader, "hearth.test")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	root := sha256.Sum256([]byte("root"))
	raw, err := note.Sign(&note.Note{Text: "hearth.test\n1\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openCheckpoint(raw, verifier, vkey); err != nil {
		t.Fatalf("the checkpoint as signed: %v", err)
	}
	// 68 bytes of key hash and signature end in one "=": the character
	// before it carries two unused bits.
	s := string(raw)
	pad := strings.LastIndex(s, "=")
	if pad < 0 {
		t.Fatalf("no padding in %q", s)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.IndexByte(alphabet, s[pad-1])
	changed := s[:pad-1] + string(alphabet[i^1]) + s[pad:]
	if _, err := note.Open([]byte(changed), note.VerifierList(verifier)); err != nil {
		t.Fatalf("the change was meant to keep the signature valid: %v", err)
	}
	if _, err := openCheckpoint([]byte(changed), verifier, vkey); err == nil {
		t.Fatal("a non-canonical spelling of the signature was accepted")
	}
}
