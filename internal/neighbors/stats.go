package neighbors

import (
	"context"
	"sort"
	"time"

	"hearth/internal/apperr"
)

// Stats are the neighbours' figures for the transparency report, over the
// period [From, To).
type Stats struct {
	From, To time.Time
	// RequestsByAgency counts the requests each agency posted in the
	// period; agencies that posted none are left out. By agency name.
	RequestsByAgency []AgencyRequestCount
	// ClipsShared counts clips residents submitted to requests in the
	// period and have not withdrawn.
	ClipsShared int
	// AgenciesEnrolled counts agencies verified before To.
	AgenciesEnrolled int
	// AgenciesVerified counts agencies verified in the period.
	AgenciesVerified int
}

// AgencyRequestCount is one agency's number of requests in a period.
type AgencyRequestCount struct {
	Agency   AgencyID
	Name     string
	Requests int
}

// Stats computes the period's figures from the store.
func (s *Service) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	const op = "neighbors.Stats"
	st := Stats{From: from, To: to}
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return st, apperr.Wrap(op, err)
	}
	names := map[AgencyID]string{}
	for _, a := range agencies {
		names[a.ID] = a.Name
		if a.Verified() && a.VerifiedAt.Before(to) {
			st.AgenciesEnrolled++
			if !a.VerifiedAt.Before(from) {
				st.AgenciesVerified++
			}
		}
	}
	requests, err := s.store.ListRequests(ctx, "")
	if err != nil {
		return st, apperr.Wrap(op, err)
	}
	counts := map[AgencyID]int{}
	for _, r := range requests {
		if !r.PostedAt.Before(from) && r.PostedAt.Before(to) {
			counts[r.Agency]++
		}
	}
	for id, n := range counts {
		st.RequestsByAgency = append(st.RequestsByAgency, AgencyRequestCount{Agency: id, Name: names[id], Requests: n})
	}
	if st.ClipsShared, err = s.store.CountClipsShared(ctx, from, to); err != nil {
		return st, apperr.Wrap(op, err)
	}
	sort.Slice(st.RequestsByAgency, func(i, j int) bool {
		a, b := st.RequestsByAgency[i], st.RequestsByAgency[j]
		return a.Name < b.Name || a.Name == b.Name && a.Agency < b.Agency
	})
	return st, nil
}
