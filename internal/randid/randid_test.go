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
