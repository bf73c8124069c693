package vault

import (
	"context"
	"errors"

	"hearth/internal/apperr"
	"hearth/internal/household"
)

// PurgeExpired deletes every clip that ended longer ago than its
// household's retention, and returns how many it deleted. For each clip the
// blob goes first and the row after, and a blob already gone counts as
// deleted, so a purge interrupted anywhere is finished by the next run. A
// failure for one household does not stop the others: PurgeExpired carries
// on and returns the count with the errors joined.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	const op = "vault.PurgeExpired"
	hhs, err := s.store.ClipHouseholds(ctx)
	if err != nil {
		return 0, apperr.Wrap(op, err)
	}
	total := 0
	var errs []error
	for _, hh := range hhs {
		n, err := s.purgeHousehold(ctx, hh)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) > 0 {
		return total, apperr.Wrap(op, errors.Join(errs...))
	}
	return total, nil
}

func (s *Service) purgeHousehold(ctx context.Context, hh household.ID) (int, error) {
	keep, err := s.households.Retention(ctx, hh)
	if err != nil {
		return 0, err
	}
	if keep <= 0 {
		return 0, apperr.Errorf("vault.purgeHousehold", "household %s has retention %v", hh, keep)
	}
	cutoff := s.clock.Now().Add(-keep)
	n := 0
	for {
		clips, err := s.store.ListClipsEndedBefore(ctx, hh, cutoff, s.cfg.PurgeBatch)
		if err != nil || len(clips) == 0 {
			return n, err
		}
		deleted := 0
		for _, c := range clips {
			switch err := s.deleteClip(ctx, c); {
			case err == nil:
				deleted++
			case !apperr.Is(err, apperr.NotFound): // NotFound: deleted meanwhile
				return n + deleted, err
			}
		}
		n += deleted
		if deleted == 0 {
			// Only clips others deleted meanwhile: stop rather than risk
			// listing them again.
			return n, nil
		}
	}
}
