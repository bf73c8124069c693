package identity

import (
	"context"
	"runtime"

	"hearth/internal/apperr"
)

// hashSlots lets at most one argon2id computation per core run at a time.
// Each holds Argon2.Memory (19 MiB by default) while it runs and uses a
// whole core, so running more at once finishes none sooner and only adds
// memory: fifty sign-ins arriving together would otherwise hold nearly
// 1 GB, more than a small home server has. Waiting callers queue; one
// whose request ends while it waits gives up.
type hashSlots chan struct{}

func newHashSlots(n int) hashSlots {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return make(hashSlots, n)
}

// take waits for a slot; the caller calls the returned release once done.
// Unavailable if ctx ends first.
func (h hashSlots) take(ctx context.Context, op string) (release func(), err error) {
	select {
	case h <- struct{}{}:
		return func() { <-h }, nil
	case <-ctx.Done():
		return nil, &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "The server is busy; please try again.", Err: ctx.Err()}
	}
}

// hash hashes pw with the service's argon2id settings, in a slot.
func (s *Service) hash(ctx context.Context, op, pw string) (string, error) {
	release, err := s.hashing.take(ctx, op)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(pw, s.cfg.Argon2, s.rand)
}

// verify checks pw against an encoded argon2id hash, in a slot.
func (s *Service) verify(ctx context.Context, op, pw, encoded string) (bool, error) {
	release, err := s.hashing.take(ctx, op)
	if err != nil {
		return false, err
	}
	defer release()
	return verifyPassword(pw, encoded)
}
