package identity

import (
	"crypto/rand"
	"testing"
)

// BenchmarkPasswordHash measures one argon2id hash at the production cost:
// the CPU price of every sign-in and of every guess.
//
//	go test -run '^$' -bench PasswordHash ./internal/identity/
func BenchmarkPasswordHash(b *testing.B) {
	for b.Loop() {
		if _, err := hashPassword("correct horse battery staple", DefaultArgon2, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}
