package vault

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
)

func newIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func encryptTo(t testing.TB, plaintext []byte, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plaintext)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRewrap(t *testing.T) {
	t.Parallel()
	ana, bob, carol, dan := newIdentity(t), newIdentity(t), newIdentity(t), newIdentity(t)
	plaintext := bytes.Repeat([]byte("a clip "), 20_000) // several STREAM chunks
	file := encryptTo(t, plaintext, ana.Recipient(), bob.Recipient())
	hdr, err := age.ExtractHeader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	payload := file[len(hdr):]

	// The whole file works as input too: what follows the header is ignored.
	for name, input := range map[string][]byte{"Header": hdr, "WholeFile": file} {
		t.Run(name, func(t *testing.T) {
			newHdr, err := Rewrap(input, bob, carol.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			h, err := parseHeader(newHdr, MaxWrapSize)
			if err != nil {
				t.Fatalf("the new header does not parse: %v", err)
			}
			if len(h.Stanzas) != 1 || h.Stanzas[0].Type != "X25519" {
				t.Errorf("new header stanzas %+v, want one X25519 stanza", h.Stanzas)
			}
			served := append(bytes.Clone(newHdr), payload...)
			r, err := age.Decrypt(bytes.NewReader(served), carol)
			if err != nil {
				t.Fatalf("carol cannot decrypt: %v", err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plaintext) {
				t.Fatalf("carol read %d bytes, %v", len(got), err)
			}
			if _, err := age.Decrypt(bytes.NewReader(served), ana); err == nil {
				t.Error("ana decrypted the header made for carol alone")
			}
			// A rewrapped header can be rewrapped again.
			again, err := Rewrap(newHdr, carol, dan.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := age.Decrypt(bytes.NewReader(append(again, payload...)), dan); err != nil {
				t.Errorf("dan cannot decrypt the second rewrap: %v", err)
			}
		})
	}

	t.Run("ErrNotARecipient", func(t *testing.T) {
		if _, err := Rewrap(hdr, carol, dan.Recipient()); err == nil {
			t.Error("a non-recipient rewrapped the header")
		}
	})
	t.Run("ErrBadMAC", func(t *testing.T) {
		// A well-formed MAC line, with a MAC of all zeros.
		bad := append(bytes.Clone(hdr[:bytes.Index(hdr, []byte("--- "))]), "--- "+strings.Repeat("A", 43)+"\n"...)
		if _, err := Rewrap(bad, ana, carol.Recipient()); err == nil {
			t.Error("Rewrap accepted a header whose MAC does not verify")
		}
	})
}

// TestMarshalHeader_LongBodies checks body line wrapping against age, for
// bodies that end exactly on a line boundary and ones that do not.
func TestMarshalHeader_LongBodies(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, fileKeySize)
	for _, n := range []int{0, 1, 47, 48, 49, 96, 100} {
		st := []*age.Stanza{{Type: "test", Args: []string{"a", "b"}, Body: bytes.Repeat([]byte{0xAB}, n)}}
		h, err := marshalHeader(key, st)
		if err != nil {
			t.Fatal(err)
		}
		again, err := age.ExtractHeader(bytes.NewReader(h))
		if err != nil || !bytes.Equal(again, h) {
			t.Errorf("body %d bytes: age re-encodes the header as %q (%v), want %q", n, again, err, h)
		}
		p, err := parseHeader(h, 1<<10)
		if err != nil || !bytes.Equal(p.Stanzas[0].Body, st[0].Body) {
			t.Errorf("body %d bytes: parsed back as %+v, %v", n, p, err)
		}
	}
	if _, err := marshalHeader(key, []*age.Stanza{{Type: "bad type"}}); err == nil {
		t.Error("marshalHeader accepted a type with a space")
	}
}

func TestReadHeader_Refuses(t *testing.T) {
	t.Parallel()
	id := newIdentity(t)
	good, _ := age.ExtractHeader(bytes.NewReader(encryptTo(t, nil, id.Recipient())))
	stanzas := string(good[:bytes.Index(good, []byte("--- "))])
	for name, in := range map[string]string{
		"Empty":           "",
		"Plaintext":       "hello world\n",
		"IntroOnly":       ageIntro,
		"NoStanzas":       ageIntro + "--- " + strings.Repeat("A", 43) + "\n",
		"ShortMAC":        strings.Replace(string(good), "--- ", "--- AAAA", 1)[:len(good)-10] + "\n",
		"NoMACLine":       string(good[:bytes.Index(good, []byte("---"))]),
		"BadBody":         ageIntro + "-> X25519 abc\n!!!!\n--- " + strings.Repeat("A", 43) + "\n",
		"NonCanonicalB64": stanzas + "--- " + strings.Repeat("A", 42) + "B\n", // padding bits set
		"TooLong":         ageIntro + "-> X25519 " + strings.Repeat("A", 70_000) + "\n",
		// Shapes this parser would take but age refuses: the cross-check
		// with the age library is what stops them.
		"TooManyStanzas": ageIntro + strings.Repeat("-> a\n\n", 1025) + "--- " + strings.Repeat("A", 43) + "\n",
		"TooManyArgs":    ageIntro + "-> a" + strings.Repeat(" b", 130) + "\n\n--- " + strings.Repeat("A", 43) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := readHeader(bufio.NewReader(strings.NewReader(in)), 64<<10); err == nil {
				t.Errorf("readHeader accepted %q", in)
			}
		})
	}
	h, err := readHeader(bufio.NewReader(bytes.NewReader(good)), 4<<10)
	if err != nil || !bytes.Equal(h.Raw, good) {
		t.Errorf("readHeader(good) = %v, %v", h, err)
	}
}

// FuzzReadHeader checks that readHeader never accepts what age refuses or
// would encode differently, and that it reads nothing past the header.
func FuzzReadHeader(f *testing.F) {
	id, _ := age.GenerateX25519Identity()
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, id.Recipient(), id.Recipient())
	w.Write([]byte("payload"))
	w.Close()
	f.Add(buf.Bytes())
	sr, _ := age.NewScryptRecipient("fuzz")
	sr.SetWorkFactor(2)
	buf.Reset()
	w, _ = age.Encrypt(&buf, sr)
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte(ageIntro + "-> a\n\n--- " + strings.Repeat("A", 43) + "\n"))
	f.Add([]byte("age-encryption.org/v1\n-> X25519\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := readHeader(bufio.NewReader(bytes.NewReader(in)), 4<<10)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(in, h.Raw) {
			t.Fatalf("Raw %q is not a prefix of the input", h.Raw)
		}
		ext, err := age.ExtractHeader(bytes.NewReader(in))
		if err != nil || !bytes.Equal(ext, h.Raw) {
			t.Fatalf("readHeader accepted %q; age reads %q, %v", h.Raw, ext, err)
		}
		if len(h.Stanzas) == 0 {
			t.Fatal("accepted a header with no stanzas")
		}
	})
}
