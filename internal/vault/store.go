package vault

import (
	"context"
	"time"

	"hearth/internal/household"
	"hearth/internal/identity"
)

// Store persists clip metadata, wraps and member keys; blobs live in Blobs.
// Every method is one transaction. Methods return apperr codes: NotFound
// when the object (or what it refers to) does not exist, Conflict where
// stated, Internal for anything else.
type Store interface {
	// SetMemberKey inserts or replaces the user's key. NotFound if the user
	// does not exist.
	SetMemberKey(ctx context.Context, k *MemberKey) error
	// FindMemberKey returns the user's key. NotFound if the user has none.
	FindMemberKey(ctx context.Context, user identity.UserID) (*MemberKey, error)
	// ListMemberKeys returns the keys of those of users that have one, in
	// the order of users.
	ListMemberKeys(ctx context.Context, users []identity.UserID) ([]*MemberKey, error)

	// CreateClip inserts c. Conflict if the household already has a clip
	// with c.ContentHash, or the id is taken; NotFound if the household
	// does not exist.
	CreateClip(ctx context.Context, c *Clip) error
	// FindClip returns the clip. NotFound if none.
	FindClip(ctx context.Context, id ClipID) (*Clip, error)
	// FindClipByHash returns the household's clip with that content hash.
	// NotFound if none.
	FindClipByHash(ctx context.Context, hh household.ID, contentHash string) (*Clip, error)
	// ListClips returns up to limit of the household's clips whose Start is
	// in [from, to), latest Start first (ties by id). A zero from or to
	// leaves that side open.
	ListClips(ctx context.Context, hh household.ID, from, to time.Time, limit int) ([]*Clip, error)
	// DeleteClip deletes the clip and its wraps. NotFound if none.
	DeleteClip(ctx context.Context, id ClipID) error
	// ClipHouseholds returns every household that has at least one clip.
	ClipHouseholds(ctx context.Context) ([]household.ID, error)
	// ClipsExist returns, of ids, those that are clips of household hh.
	ClipsExist(ctx context.Context, hh household.ID, ids []ClipID) ([]ClipID, error)
	// ListClipsEndedBefore returns up to limit of the household's clips
	// whose End is strictly before t, earliest End first.
	ListClipsEndedBefore(ctx context.Context, hh household.ID, t time.Time, limit int) ([]*Clip, error)

	// PutWrap inserts w, or replaces the clip's wrap for the same
	// recipient. NotFound if the clip does not exist.
	PutWrap(ctx context.Context, w *Wrap) error
	// FindWrap returns the clip's wrap for recipient. NotFound if none.
	FindWrap(ctx context.Context, clip ClipID, recipient string) (*Wrap, error)
	// ListWraps returns the clip's wraps, oldest first.
	ListWraps(ctx context.Context, clip ClipID) ([]*Wrap, error)
	// DeleteWrap deletes the clip's wrap for recipient. NotFound if none.
	DeleteWrap(ctx context.Context, clip ClipID, recipient string) error
}
