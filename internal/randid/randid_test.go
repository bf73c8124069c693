package randid

import (
	"bytes"
	"crypto/rand"
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	id, err := New(rand.Reader, "h")
	if err != nil || !regexp.MustCompile(`^h_[a-z2-7]{26}$`).MatchString(id) {
		t.Fatalf("New = %q, %v", id, err)
	}
	a, _ := New(bytes.NewReader(make([]byte, 16)), "x")
	if a != "x_aaaaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Fatalf("16 zero bytes give %q", a)
	}
	if _, err := New(bytes.NewReader(make([]byte, 15)), "x"); err == nil {
		t.Fatal("a short read gave an identifier")
	}
}

func TestValid(t *testing.T) {
	id, _ := New(rand.Reader, "rfa")
	for _, tc := range []struct {
		name string
		s    string
		want bool
	}{
		{"OK", id, true},
		{"OKZeros", "rfa_aaaaaaaaaaaaaaaaaaaaaaaaaa", true},
		{"ErrOtherPrefix", "h" + id[3:], false},
		{"ErrNoPrefix", id[4:], false},
		{"ErrShort", id[:len(id)-1], false},
		{"ErrLong", id + "a", false},
		{"ErrUpperCase", "rfa_AAAAAAAAAAAAAAAAAAAAAAAAAA", false},
		{"ErrDigitOne", "rfa_1aaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"ErrNUL", "rfa_\x00aaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"ErrInvalidUTF8", "rfa_\xffaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"ErrPath", "rfa_../aaaaaaaaaaaaaaaaaaaaaaa", false},
		{"ErrEmpty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Valid("rfa", tc.s); got != tc.want {
				t.Fatalf("Valid(rfa, %q) = %v", tc.s, got)
			}
		})
	}
}
