package vault

import (
	"context"
	"crypto/rand"
	"io"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/randid"
)

// Blobs keeps ciphertext blobs; *blobstore.Store implements it.
type Blobs interface {
	// Put stores all of r under key and returns its length. If reading r
	// fails, nothing is stored under key and the error wraps r's error.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Get reads the blob under key from offset. NotFound if there is none.
	Get(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	// Delete removes the blob under key. NotFound if there is none.
	Delete(ctx context.Context, key string) error
	// Walk calls fn with the key and last modification time of every blob
	// whose key starts with prefix; fn may delete the blob it is given.
	// It stops at fn's first error and returns it.
	Walk(ctx context.Context, prefix string, fn func(key string, modified time.Time) error) error
}

// Households answers what the vault must know about households; the
// household Service implements it.
type Households interface {
	// MemberRole returns the user's role in the household. NotFound if the
	// user is not a member (or there is no such household).
	MemberRole(ctx context.Context, id household.ID, user identity.UserID) (household.MemberRole, error)
	// MemberIDs returns the household's current members. NotFound if there
	// is no such household.
	MemberIDs(ctx context.Context, id household.ID) ([]identity.UserID, error)
	// Retention returns how long the household keeps media. NotFound if
	// there is no such household.
	Retention(ctx context.Context, id household.ID) (time.Duration, error)
}

// Size limits on what clients hand the vault. Headers and keys are small:
// an X25519 stanza is about 120 bytes, a wrapped identity about 300.
const (
	MaxKeySize        = 4 << 10  // a wrapped identity
	MaxWrapSize       = 4 << 10  // a wrap's header
	MaxClipHeaderSize = 64 << 10 // a clip's header: room for hundreds of members
	MaxListLimit      = 1000
	DefaultListLimit  = 100
)

// Config holds the vault rules an operator or a test may tune.
type Config struct {
	// MaxClockSkew is how far in the future a clip may end, by the
	// server's clock: device clocks drift, but not by hours.
	MaxClockSkew time.Duration
	// MinScryptWorkFactor is the least scrypt cost (log2 N) accepted for a
	// wrapped identity. The server holds these files, so a cheap one would
	// let whoever reads the database guess passphrases quickly.
	MinScryptWorkFactor int
	// PurgeBatch is how many clips PurgeExpired loads at a time.
	PurgeBatch int
	// OrphanGrace is how long a blob no clip references is left alone
	// before SweepOrphans deletes it: an upload writes its blob before its
	// clip, so a young orphan may be an upload still under way.
	OrphanGrace time.Duration
}

// DefaultConfig returns the production settings. MinScryptWorkFactor is
// age's own default (2^18), which NewMemberKey uses.
func DefaultConfig() Config {
	return Config{MaxClockSkew: 5 * time.Minute, MinScryptWorkFactor: 18, PurgeBatch: 100, OrphanGrace: time.Hour}
}

// Service holds the vault's rules. Web, CLI and device uploads all go
// through it.
type Service struct {
	store      Store
	blobs      Blobs
	households Households
	clock      clock.Clock
	rand       io.Reader
	cfg        Config
}

// Deps are what a Service works with. Store, Blobs and Households are
// required.
type Deps struct {
	Store      Store
	Blobs      Blobs
	Households Households
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of clip ids; crypto/rand when nil.
	Rand io.Reader
	// Config tunes the rules; a zero field takes DefaultConfig's value,
	// except MaxClockSkew and MinScryptWorkFactor, which the whole Config
	// takes from DefaultConfig only when it is entirely zero.
	Config Config
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	store, blobs, households, clk, rnd, cfg := d.Store, d.Blobs, d.Households, d.Clock, d.Rand, d.Config
	if clk == nil {
		clk = clock.Real{}
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	if cfg == (Config{}) {
		cfg = DefaultConfig()
	}
	if cfg.PurgeBatch <= 0 {
		cfg.PurgeBatch = DefaultConfig().PurgeBatch
	}
	if cfg.OrphanGrace <= 0 {
		cfg.OrphanGrace = DefaultConfig().OrphanGrace
	}
	return &Service{store: store, blobs: blobs, households: households, clock: clk, rand: rnd, cfg: cfg}
}

func (s *Service) newID(prefix string) (string, error) { return randid.New(s.rand, prefix) }

// msgNotFound is the one answer for a clip that does not exist and a clip
// the caller may not see, so the two cannot be told apart.
const (
	msgNotFound    = "No such clip."
	msgNoHousehold = "No such household."
)

// authorize returns the clip if user is a member of its household, and
// NotFound otherwise, exactly as for a clip that does not exist.
func (s *Service) authorize(ctx context.Context, op string, user identity.UserID, id ClipID) (*Clip, error) {
	if !id.Valid() {
		return nil, apperr.E(op, apperr.NotFound, msgNotFound)
	}
	c, err := s.store.FindClip(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNotFound, Err: err}
	}
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if err := s.member(ctx, op, c.Household, user, msgNotFound); err != nil {
		return nil, err
	}
	return c, nil
}

// member returns nil if user is a member of hh, and NotFound with msg
// otherwise.
func (s *Service) member(ctx context.Context, op string, hh household.ID, user identity.UserID, msg string) error {
	_, err := s.households.MemberRole(ctx, hh, user)
	if apperr.Is(err, apperr.NotFound) {
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msg, Err: err}
	}
	return apperr.Wrap(op, err)
}
