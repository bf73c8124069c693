package vault

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

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

// blobPrefix is where clip blobs live; see blobKey.
const blobPrefix = "clips/"

// SweepOrphans deletes the clip blobs that no clip references and that were
// last written more than Config.OrphanGrace ago, and returns how many it
// deleted. Such blobs are left by uploads interrupted between writing the
// blob and recording the clip, or by a failed clean-up; a younger one may
// be an upload still under way, so it is kept. Blobs whose keys are not
// clip blob keys are not Hearth's to judge, and are kept too. A blob
// deleted meanwhile counts as gone.
func (s *Service) SweepOrphans(ctx context.Context) (int, error) {
	const op = "vault.SweepOrphans"
	cutoff := s.clock.Now().Add(-s.cfg.OrphanGrace)
	var (
		hh      household.ID
		pending []ClipID
		deleted int
	)
	// sweep deletes the pending blobs of household hh that are no clips.
	sweep := func() error {
		if len(pending) == 0 {
			return nil
		}
		exist, err := s.store.ClipsExist(ctx, hh, pending)
		if err != nil {
			return err
		}
		referenced := make(map[ClipID]bool, len(exist))
		for _, id := range exist {
			referenced[id] = true
		}
		for _, id := range pending {
			if referenced[id] {
				continue
			}
			switch err := s.blobs.Delete(ctx, blobKey(hh, id)); {
			case err == nil:
				deleted++
			case !apperr.Is(err, apperr.NotFound):
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	err := s.blobs.Walk(ctx, blobPrefix, func(key string, modified time.Time) error {
		h, id, ok := parseBlobKey(key)
		if !ok || !modified.Before(cutoff) {
			return nil
		}
		if h != hh || len(pending) >= s.cfg.PurgeBatch {
			if err := sweep(); err != nil {
				return err
			}
			hh = h
		}
		pending = append(pending, id)
		return ctx.Err()
	})
	if err == nil {
		err = sweep()
	}
	return deleted, apperr.Wrap(op, err)
}

// parseBlobKey is the inverse of blobKey, for keys that are clip blob keys.
func parseBlobKey(key string) (household.ID, ClipID, bool) {
	rest, ok := strings.CutPrefix(key, blobPrefix)
	if !ok {
		return "", "", false
	}
	hh, file, ok := strings.Cut(rest, "/")
	id, isAge := strings.CutSuffix(file, ".age")
	// The household part is not checked for its shape: a clip blob filed
	// under anything but its clip's household is no clip's blob.
	if !ok || !isAge || hh == "" || !utf8.ValidString(hh) || strings.ContainsRune(hh, 0) || !ClipID(id).Valid() {
		return "", "", false
	}
	return household.ID(hh), ClipID(id), true
}
