package neighbors

import (
	"context"
	"sync"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/household"
)

// reach is the in-memory geo index of homes a request may reach, with the
// map between households and the index's dense keys. Each node keeps its
// own, built from the store at start, changed as homes move, cameras are
// paired or revoked and opt-outs change, and rebuilt now and then (Reload)
// so that changes made through other nodes arrive too.
type reach struct {
	mu    sync.RWMutex // guards keys, ids, free and the index pointer; Put/Remove run under the write lock
	keys  map[household.ID]geo.HomeKey
	ids   []household.ID // by key; "" for a free key
	free  []geo.HomeKey
	index *geo.Index
}

func newReach() *reach {
	return &reach{keys: map[household.ID]geo.HomeKey{}, index: geo.NewIndex(nil)}
}

// LoadHomes builds the index from the store: every household's precise
// home, eligible when it has a camera and has not opted out. It replaces
// whatever the index held; queries meanwhile see the old one.
func (s *Service) LoadHomes(ctx context.Context) error {
	const op = "neighbors.LoadHomes"
	if s.cameras == nil {
		return apperr.E(op, apperr.Internal, "The neighbours service is not connected to devices.")
	}
	homes, err := s.households.HomesForIndex(ctx)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	withCameras, err := s.cameras.HouseholdsWithCameras(ctx)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	optedOut, err := s.store.ListOptedOut(ctx)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	camera := make(map[household.ID]bool, len(withCameras))
	for _, id := range withCameras {
		camera[id] = true
	}
	out := make(map[household.ID]bool, len(optedOut))
	for _, id := range optedOut {
		out[id] = true
	}
	r := &reach{keys: make(map[household.ID]geo.HomeKey, len(homes)), ids: make([]household.ID, len(homes))}
	entries := make([]geo.Home, len(homes))
	for i, h := range homes {
		k := geo.HomeKey(i)
		r.keys[h.Household], r.ids[i] = k, h.Household
		entries[i] = geo.Home{Key: k, At: geo.Point{Lat: h.Home.Lat, Lng: h.Home.Lng},
			Eligible: camera[h.Household] && !out[h.Household]}
	}
	r.index = geo.NewIndex(entries)
	s.reachMu.Lock()
	s.reach = r
	s.reachMu.Unlock()
	return nil
}

func (s *Service) currentReach() *reach {
	s.reachMu.RLock()
	defer s.reachMu.RUnlock()
	return s.reach
}

// HomeChanged implements household.HomeObserver: the household was
// created, moved or deleted.
func (s *Service) HomeChanged(ctx context.Context, id household.ID) { s.refreshHome(ctx, id) }

// CamerasChanged implements device.CameraObserver: a device was paired or
// revoked in the household.
func (s *Service) CamerasChanged(ctx context.Context, id household.ID) { s.refreshHome(ctx, id) }

// refreshHome brings one household's entry up to date from the store. A
// failure leaves the entry as it was until the next Reload, and is logged:
// the change that triggered it is stored already.
func (s *Service) refreshHome(ctx context.Context, id household.ID) {
	if err := s.refresh(ctx, id); err != nil && s.logger != nil {
		s.logger.Warn("the neighbours' index could not follow a change; the next reload will", "household", string(id), "err", err)
	}
}

func (s *Service) refresh(ctx context.Context, id household.ID) error {
	if s.cameras == nil {
		return nil
	}
	home, err := s.households.HomeForIndex(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		s.currentReach().remove(id)
		return nil
	}
	if err != nil {
		return err
	}
	eligible, err := s.eligible(ctx, id)
	if err != nil {
		return err
	}
	s.currentReach().put(id, geo.Point{Lat: home.Lat, Lng: home.Lng}, eligible)
	return nil
}

// eligible reports, from the store, whether a request may reach the
// household: it has a camera and has not opted out.
func (s *Service) eligible(ctx context.Context, id household.ID) (bool, error) {
	out, err := s.store.OptedOut(ctx, id)
	if err != nil || out {
		return false, err
	}
	return s.cameras.HasCamera(ctx, id)
}

func (r *reach) put(id household.ID, at geo.Point, eligible bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[id]
	if !ok {
		if n := len(r.free); n > 0 {
			k, r.free = r.free[n-1], r.free[:n-1]
			r.ids[k] = id
		} else {
			k = geo.HomeKey(len(r.ids))
			r.ids = append(r.ids, id)
		}
		r.keys[id] = k
	}
	r.index.Put(geo.Home{Key: k, At: at, Eligible: eligible})
}

func (r *reach) remove(id household.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[id]
	if !ok {
		return
	}
	r.index.Remove(k)
	delete(r.keys, id)
	r.ids[k] = ""
	r.free = append(r.free, k)
}

// inside returns the households the index finds eligible inside a.
func (r *reach) inside(a geo.Area) []household.ID {
	keys := r.index.Query(a, nil)
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]household.ID, 0, len(keys))
	for _, k := range keys {
		if int(k) < len(r.ids) && r.ids[k] != "" {
			out = append(out, r.ids[k])
		}
	}
	return out
}
