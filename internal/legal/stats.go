package legal

import (
	"context"
	"time"

	"hearth/internal/apperr"
)

// Stats are the legal figures of the transparency report for the demands
// received in [From, To), as decided now.
type Stats struct {
	From, To time.Time
	// ByType has one row per type, in the order of Types.
	ByType []TypeStats
	// EmergencyDisclosures counts emergency requests that yielded data.
	EmergencyDisclosures int
}

// TypeStats counts one type's demands by outcome.
type TypeStats struct {
	Type     Type
	Received int
	Pending  int
	Rejected int
	Partial  int
	Full     int
}

// Stats computes the figures of the period from the store. The figures are
// public, so anyone may ask.
func (s *Service) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	const op = "legal.Stats"
	st := Stats{From: from, To: to}
	list, err := s.store.ListDemandsReceived(ctx, from, to)
	if err != nil {
		return st, apperr.Wrap(op, err)
	}
	rows := map[Type]*TypeStats{}
	for _, t := range Types {
		st.ByType = append(st.ByType, TypeStats{Type: t})
	}
	for i := range st.ByType {
		rows[st.ByType[i].Type] = &st.ByType[i]
	}
	for _, d := range list {
		r := rows[d.Type]
		if r == nil {
			return st, apperr.Errorf(op, "demand %s has unknown type %q", d.ID, d.Type)
		}
		r.Received++
		switch d.Outcome {
		case Rejected:
			r.Rejected++
		case Partial:
			r.Partial++
		case Full:
			r.Full++
		default:
			r.Pending++
		}
		if d.EmergencyDisclosure() {
			st.EmergencyDisclosures++
		}
	}
	return st, nil
}

// FirstReceived returns the day the earliest demand was received, or the
// zero time when there is none.
func (s *Service) FirstReceived(ctx context.Context) (time.Time, error) {
	t, err := s.store.FirstReceived(ctx)
	return t, apperr.Wrap("legal.FirstReceived", err)
}
