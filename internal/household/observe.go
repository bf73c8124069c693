package household

import (
	"context"
	"sync"

	"hearth/internal/apperr"
)

// HomeObserver is told when a household's home may have changed: it was
// created, its settings were saved, or it was deleted. The neighbours'
// geo index uses it to stay current.
type HomeObserver interface {
	HomeChanged(ctx context.Context, id ID)
}

type observers struct {
	mu   sync.RWMutex
	list []HomeObserver
}

// AddHomeObserver registers o; it is called after each change is stored.
func (s *Service) AddHomeObserver(o HomeObserver) {
	s.observers.mu.Lock()
	s.observers.list = append(s.observers.list, o)
	s.observers.mu.Unlock()
}

// homeChanged tells every observer. Observers must not fail the change
// that is already stored, so they report their own errors.
func (s *Service) homeChanged(ctx context.Context, id ID) {
	s.observers.mu.RLock()
	list := s.observers.list
	s.observers.mu.RUnlock()
	for _, o := range list {
		o.HomeChanged(ctx, id)
	}
}

// HomeForIndex returns one household's PRECISE home, for the in-process
// geo index; what HomesForIndex says about keeping it inside the process
// holds here too. NotFound if the household no longer exists.
func (s *Service) HomeForIndex(ctx context.Context, id ID) (Location, error) {
	h, err := s.store.FindHousehold(ctx, id)
	if err != nil {
		return Location{}, apperr.Wrap("household.HomeForIndex", err)
	}
	return h.Home, nil
}
