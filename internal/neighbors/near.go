package neighbors

import (
	"context"
	"math"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/geo"
)

// MaxNearRadiusMeters bounds how far around a point RequestsNear looks.
const MaxNearRadiusMeters = 50_000

// RequestsNear returns the requests whose area comes within radiusMeters of
// at, posted strictly before before (any time when zero), newest first, at
// most limit. Requests are public, so anyone may ask. Invalid for a point
// that is not on Earth or a radius outside (0, MaxNearRadiusMeters].
func (s *Service) RequestsNear(ctx context.Context, at geo.Point, radiusMeters float64, before time.Time, limit int) ([]*Request, error) {
	const op = "neighbors.RequestsNear"
	if !at.Valid() {
		return nil, apperr.E(op, apperr.Invalid, "Give a position on Earth.")
	}
	if !(radiusMeters > 0 && radiusMeters <= MaxNearRadiusMeters) || math.IsNaN(radiusMeters) {
		return nil, apperr.E(op, apperr.Invalid, "Choose a distance of at most 50 km.")
	}
	if limit <= 0 {
		return nil, nil
	}
	// Requests are few (each is an agency's deliberate act), so they are
	// filtered here rather than by a spatial query.
	all, err := s.store.ListRequests(ctx, "")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	var out []*Request
	for _, r := range all {
		if !before.IsZero() && !r.PostedAt.Before(before) {
			continue
		}
		if r.Area.DistanceMeters(at) <= radiusMeters {
			out = append(out, r)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
