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
	// ListOptedOut returns every household that opted out.
	ListOptedOut(ctx context.Context) ([]household.ID, error)

	// AddDelivery records that the request reached the household; false if
	// it had already. NotFound if the household (or request) does not exist.
	AddDelivery(ctx context.Context, id RequestID, hh household.ID, at time.Time) (bool, error)
	// MarkDelivered records that the request's delivery finished.
	MarkDelivered(ctx context.Context, id RequestID, at time.Time) error
	// ListUndelivered returns the requests whose delivery has not finished, oldest first.
	ListUndelivered(ctx context.Context) ([]*Request, error)
	// Delivered reports whether the request reached the household.
	Delivered(ctx context.Context, id RequestID, hh household.ID) (bool, error)
	// ListDelivered returns the requests that reached the household, newest first.
	ListDelivered(ctx context.Context, hh household.ID) ([]*Request, error)

	// CreateSubmission inserts s with its clips. NotFound if the request does not exist.
	CreateSubmission(ctx context.Context, s *Submission) error
	// FindSubmission returns the submission. NotFound if none.
	FindSubmission(ctx context.Context, id SubmissionID) (*Submission, error)
	// ListSubmissions returns the request's submissions, oldest first:
	// only the household's when hh is not "", withdrawn ones only when
	// withdrawn is true.
	ListSubmissions(ctx context.Context, id RequestID, hh household.ID, withdrawn bool) ([]*Submission, error)
	// ListHouseholdSubmissions returns every submission the household
	// made, withdrawn ones included, newest first.
	ListHouseholdSubmissions(ctx context.Context, hh household.ID) ([]*Submission, error)
	// MarkSubmissionOpened records the agency's first opening, only if the
	// submission is not withdrawn: Conflict if it is; NotFound if none.
	// Opening again keeps the first time.
	MarkSubmissionOpened(ctx context.Context, id SubmissionID, at time.Time) error
	// WithdrawSubmission saves WithdrawnAt and WithdrawnIndex, only if the
	// submission is neither opened nor withdrawn: Conflict otherwise;
	// NotFound if none.
	WithdrawSubmission(ctx context.Context, s *Submission) error
	// CountResponders counts the households with a submission to the
	// request that is not withdrawn.
	CountResponders(ctx context.Context, id RequestID) (int, error)
	// CountClipsShared counts the clips in submissions made in [from, to)
	// and not withdrawn.
	CountClipsShared(ctx context.Context, from, to time.Time) (int, error)
}
