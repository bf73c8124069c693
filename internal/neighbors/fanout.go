package neighbors

import (
	"context"
	"errors"
	"fmt"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/notice"
)

// deliver hands a posted request to every household it reaches: found in
// the geo index, then each confirmed from the store (its home inside the
// area, a camera, no opt-out), since the index of this node may lag a
// change made through another. Each delivery is stored once, and the
// household's members are told in the app and by e-mail. Nothing about
// who was reached is ever given to the agency. Safe to run again after a
// crash: households already reached are not told twice.
func (s *Service) deliver(ctx context.Context, r *Request, agency *Agency) error {
	const op = "neighbors.deliver"
	if s.cameras == nil {
		return apperr.E(op, apperr.Internal, "The neighbours service is not connected to devices.")
	}
	for _, hh := range s.currentReach().inside(r.Area) {
		ok, err := s.stillReaches(ctx, r.Area, hh)
		if err != nil {
			return apperr.Wrap(op, err)
		}
		if !ok {
			continue
		}
		added, err := s.store.AddDelivery(ctx, r.ID, hh, s.clock.Now())
		if apperr.Is(err, apperr.NotFound) { // the household went meanwhile
			continue
		}
		if err != nil {
			return apperr.Wrap(op, err)
		}
		if added {
			s.tellHousehold(ctx, hh, r, agency)
		}
	}
	return apperr.Wrap(op, s.store.MarkDelivered(ctx, r.ID, s.clock.Now()))
}

func (s *Service) stillReaches(ctx context.Context, a geo.Area, hh household.ID) (bool, error) {
	home, err := s.households.HomeForIndex(ctx, hh)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !a.Contains(geo.Point{Lat: home.Lat, Lng: home.Lng}) {
		return false, nil
	}
	return s.eligible(ctx, hh)
}

// tellHousehold notifies each member. A notice that cannot be made is
// logged, not retried: the delivery is stored and the request is listed
// on the household's page either way.
func (s *Service) tellHousehold(ctx context.Context, hh household.ID, r *Request, agency *Agency) {
	if s.notifier == nil {
		return
	}
	members, err := s.households.MemberIDs(ctx, hh)
	if err != nil {
		s.warn("could not list a household's members to tell them of a request", "request", string(r.ID), "err", err)
		return
	}
	text := fmt.Sprintf("%s asks for footage near your home: %q, %s to %s UTC. See the request and choose whether to share any clips at /requests/%s. "+
		"Sharing is up to you: the agency never learns who received the request or who declined.",
		agency.Name, r.Title, r.WindowStart.UTC().Format("2 Jan 2006 15:04"), r.WindowEnd.UTC().Format("15:04"), r.ID)
	for _, u := range members {
		if err := s.notifier.Notify(ctx, u, notice.KindAgencyRequest, text); err != nil {
			s.warn("could not tell a member of a request", "request", string(r.ID), "err", err)
		}
	}
}

func (s *Service) warn(msg string, args ...any) {
	if s.logger != nil {
		s.logger.Warn(msg, args...)
	}
}

// DeliverPending delivers the requests whose delivery did not finish (the
// process stopped during it). Main runs it at start, after LoadHomes.
func (s *Service) DeliverPending(ctx context.Context) error {
	const op = "neighbors.DeliverPending"
	list, err := s.store.ListUndelivered(ctx)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	// One request that cannot be delivered must not hold up the others.
	var errs []error
	for _, r := range list {
		a, err := s.store.FindAgency(ctx, r.Agency)
		if err == nil {
			err = s.deliver(ctx, r, a)
		}
		if err != nil {
			errs = append(errs, apperr.Wrap(op, err))
		}
	}
	return errors.Join(errs...)
}

// DeliveredRequests lists the requests delivered to the household, newest
// first. NotFound unless user is a member.
func (s *Service) DeliveredRequests(ctx context.Context, user identity.UserID, hh household.ID) ([]*Request, error) {
	const op = "neighbors.DeliveredRequests"
	if _, err := s.households.MemberRole(ctx, hh, user); err != nil {
		return nil, err
	}
	list, err := s.store.ListDelivered(ctx, hh)
	return list, apperr.Wrap(op, err)
}

// reachedHousehold reports whether the request was delivered to the
// household: only those households may answer it.
func (s *Service) reachedHousehold(ctx context.Context, id RequestID, hh household.ID) (bool, error) {
	return s.store.Delivered(ctx, id, hh)
}
