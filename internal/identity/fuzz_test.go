package identity_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"hearth/internal/identity"
)

// FuzzNormalizeEmail: any input either fails cleanly or yields a lower-case,
// trimmed address that normalizes to itself.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ana@example.org", " Ana@Example.ORG ", "a@b", "\"x y\"@example.org", "<a@b.c>", "a@b.c, d@e.f", "Ana <a@b.c>", "", "@", "a@@b.c", "\x00@x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := identity.NormalizeEmail(s)
		if err != nil {
			return
		}
		if e != strings.ToLower(e) || e != strings.TrimSpace(e) || len(e) > 254 || !utf8.ValidString(e) {
			t.Fatalf("NormalizeEmail(%q) = %q", s, e)
		}
		again, err := identity.NormalizeEmail(e)
		if err != nil || again != e {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, e, again, err)
		}
	})
}

// FuzzCheckPassword: the policy never panics and accepts only passwords of
// an allowed length that are not on the common list.
func FuzzCheckPassword(f *testing.F) {
	common := identity.LoadCommonPasswords()
	for _, s := range []string{"correct horse battery staple", "qwerty123456", "short", strings.Repeat("é", 12), "\xff\xfe invalid utf8 bytes"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		if common.CheckPassword(pw, "ana@example.org") != nil {
			return
		}
		n := utf8.RuneCountInString(pw)
		if n < identity.MinPasswordLength || n > identity.MaxPasswordLength || common.Contains(pw) || !utf8.ValidString(pw) {
			t.Fatalf("accepted %q", pw)
		}
	})
}
