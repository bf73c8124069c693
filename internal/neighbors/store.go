package neighbors

import (
	"context"
	"time"

	"hearth/internal/household"
	"hearth/internal/identity"
)

// Store persists agencies, their officers, requests and households'
// opt-outs. Requests are never updated except to record their resolution,
// and never deleted. Methods return apperr codes: NotFound and Conflict
// where stated, Internal otherwise.
type Store interface {
	// CreateAgency inserts a with officer as its first officer. NotFound if
	// the officer has no account.
	CreateAgency(ctx context.Context, a *Agency, officer identity.UserID) error
	// FindAgency returns the agency. NotFound if none.
	FindAgency(ctx context.Context, id AgencyID) (*Agency, error)
	// ListAgencies returns every agency, verified first, then by name.
	ListAgencies(ctx context.Context) ([]*Agency, error)
	// ListOfficerAgencies returns the agencies user is an officer of, by name.
	ListOfficerAgencies(ctx context.Context, user identity.UserID) ([]*Agency, error)
	// VerifyAgency saves VerifiedBy and VerifiedAt, only if the stored agency
	// is not verified yet: Conflict otherwise; NotFound if none.
	VerifyAgency(ctx context.Context, a *Agency) error
	// SetAgencyRecipient saves the agency's age recipient. NotFound if none.
	SetAgencyRecipient(ctx context.Context, id AgencyID, recipient string) error
	// IsOfficer reports whether user is an officer of the agency.
	IsOfficer(ctx context.Context, id AgencyID, user identity.UserID) (bool, error)

	// CreateRequest inserts r. NotFound if its agency does not exist.
	CreateRequest(ctx context.Context, r *Request) error
	// FindRequest returns the request. NotFound if none.
	FindRequest(ctx context.Context, id RequestID) (*Request, error)
	// ListRequests returns the agency's requests, newest first (every
	// agency's when agency is "").
	ListRequests(ctx context.Context, agency AgencyID) ([]*Request, error)
	// ResolveRequest saves ResolvedAt and ResolvedIndex, only if the stored
	// request is not resolved yet: Conflict otherwise; NotFound if none.
	ResolveRequest(ctx context.Context, r *Request) error

	// SetOptOut records the household's choice. NotFound if no such household.
	SetOptOut(ctx context.Context, hh household.ID, optOut bool, at time.Time) error
	// OptedOut reports the household's choice; false when never made.
	OptedOut(ctx context.Context, hh household.ID) (bool, error)
}
