package access

import "context"

// Store persists grants and gated-read events. Methods return apperr codes:
// NotFound and Conflict where stated, Internal otherwise.
type Store interface {
	// CreateGrant inserts g. NotFound if the staff member or subject does not exist.
	CreateGrant(ctx context.Context, g *Grant) error
	// FindGrant returns the grant. NotFound if none.
	FindGrant(ctx context.Context, id GrantID) (*Grant, error)
	// ListGrants returns the grants requested by staff (all grants when
	// staff is ""), pending ones first, then newest first; at most limit.
	ListGrants(ctx context.Context, staff string, limit int) ([]*Grant, error)
	// DecideGrant saves Status, DecidedBy, DecidedAt and ExpiresAt, only if
	// the stored grant is still pending: Conflict otherwise, NotFound if none.
	DecideGrant(ctx context.Context, g *Grant) error

	// CreateEvent inserts a gated-read event.
	CreateEvent(ctx context.Context, e *Event) error
	// ListEvents returns the subject's events, newest first; at most limit.
	ListEvents(ctx context.Context, s Subject, limit int) ([]*Event, error)
}
