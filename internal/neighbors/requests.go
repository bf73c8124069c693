package neighbors

import (
	"context"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
)

// PostRequest publishes a Request for Assistance for the agency. Every rule
// of SPEC §8 is checked here (see NewRequest.check); the request is
// appended to the transparency log before it is stored, so nobody sees a
// request the log does not hold. Forbidden unless officer serves the
// agency and the agency is verified; Invalid for a broken rule;
// Unavailable when the log cannot be written.
func (s *Service) PostRequest(ctx context.Context, officer Actor, agency AgencyID, n NewRequest) (*Request, error) {
	const op = "neighbors.PostRequest"
	a, err := s.PostingAgency(ctx, officer, agency)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	now := s.clock.Now()
	n, size, err := n.check(now)
	if err != nil {
		return nil, err
	}
	id, err := s.newID("rfa")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	r := &Request{ID: RequestID(id), Agency: agency, PostedBy: officer.ID, IncidentType: n.IncidentType, Title: n.Title,
		Description: n.Description, CaseNumber: n.CaseNumber, Contact: n.Contact, WindowStart: n.WindowStart,
		WindowEnd: n.WindowEnd, Area: n.Area, SquareMiles: size, PostedAt: now}
	if r.PostedIndex, err = s.publish(ctx, op, EntryRequestPosted, now, requestBody(r, a)); err != nil {
		return nil, err
	}
	if err := s.store.CreateRequest(ctx, r); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	// The request is public now. A delivery cut short is finished by
	// DeliverPending, so it does not fail the posting.
	if err := s.deliver(ctx, r, a); err != nil {
		s.warn("delivery of a request did not finish; it will be resumed", "request", string(r.ID), "err", err)
	}
	return r, nil
}

// ResolveRequest marks a request resolved: the only change a request ever
// sees. It stays public. Forbidden unless officer serves the request's
// agency; NotFound for an unknown request; Conflict if already resolved.
func (s *Service) ResolveRequest(ctx context.Context, officer Actor, id RequestID) (*Request, error) {
	const op = "neighbors.ResolveRequest"
	r, err := s.store.FindRequest(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if err := s.checkOfficer(ctx, op, officer, r.Agency); err != nil {
		return nil, err
	}
	if r.Resolved() {
		return nil, apperr.E(op, apperr.Conflict, "This request is resolved already.")
	}
	now := s.clock.Now()
	idx, err := s.publish(ctx, op, EntryRequestResolved, now, map[string]any{"request": string(r.ID), "agency": string(r.Agency)})
	if err != nil {
		return nil, err
	}
	r.ResolvedAt, r.ResolvedIndex = now, idx
	if err := s.store.ResolveRequest(ctx, r); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return r, nil
}

// Request returns a request; requests are public. NotFound if none.
func (s *Service) Request(ctx context.Context, id RequestID) (*Request, error) {
	r, err := s.store.FindRequest(ctx, id)
	return r, apperr.Wrap("neighbors.Request", err)
}

// AgencyRequests lists every request the agency ever posted, newest first:
// its public record.
func (s *Service) AgencyRequests(ctx context.Context, agency AgencyID) ([]*Request, error) {
	list, err := s.store.ListRequests(ctx, agency)
	return list, apperr.Wrap("neighbors.AgencyRequests", err)
}

// requestBody is a request's public record, as the log keeps it. The
// officer who posted it is not part of it; the agency answers for it.
func requestBody(r *Request, a *Agency) map[string]any {
	return map[string]any{
		"request": string(r.ID), "agency": string(a.ID), "agency_name": a.Name,
		"incident_type": r.IncidentType, "title": r.Title, "description": r.Description,
		"case_number": r.CaseNumber, "contact": r.Contact,
		"window_start": r.WindowStart.UTC().Format(time.RFC3339), "window_end": r.WindowEnd.UTC().Format(time.RFC3339),
		"area": r.Area, "square_miles": r.SquareMiles, "attested_not_lawful_activity": true,
	}
}

// SetOptOut records whether the household receives agencies' requests.
// Opted-out households are never notified and never counted. Forbidden
// unless user owns the household; NotFound unless user is a member.
func (s *Service) SetOptOut(ctx context.Context, user identity.UserID, hh household.ID, optOut bool) error {
	const op = "neighbors.SetOptOut"
	role, err := s.households.MemberRole(ctx, hh, user)
	if err != nil {
		return err
	}
	if role != household.RoleOwner {
		return apperr.E(op, apperr.Forbidden, "Only the household's owners change whether it receives requests.")
	}
	if err := s.store.SetOptOut(ctx, hh, optOut, s.clock.Now()); err != nil {
		return apperr.Wrap(op, err)
	}
	s.refreshHome(ctx, hh)
	return nil
}

// OptedOut reports whether the household opted out of agencies' requests
// (a household has not, until it does). NotFound unless user is a member.
func (s *Service) OptedOut(ctx context.Context, user identity.UserID, hh household.ID) (bool, error) {
	if _, err := s.households.MemberRole(ctx, hh, user); err != nil {
		return false, err
	}
	v, err := s.store.OptedOut(ctx, hh)
	return v, apperr.Wrap("neighbors.OptedOut", err)
}
