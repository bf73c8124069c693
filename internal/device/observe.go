package device

import (
	"context"

	"hearth/internal/apperr"
	"hearth/internal/household"
)

// CameraObserver is told when a household's recording devices may have
// changed: one was paired or revoked. The neighbours' geo index uses it,
// since only homes with a camera receive requests for assistance.
type CameraObserver interface {
	CamerasChanged(ctx context.Context, hh household.ID)
}

// AddCameraObserver registers o; it is called after each change is stored.
func (s *Service) AddCameraObserver(o CameraObserver) {
	s.mu.Lock()
	s.observers = append(s.observers, o)
	s.mu.Unlock()
}

func (s *Service) camerasChanged(ctx context.Context, hh household.ID) {
	s.mu.RLock()
	list := s.observers
	s.mu.RUnlock()
	for _, o := range list {
		o.CamerasChanged(ctx, hh)
	}
}

// HasCamera reports whether the household has a paired, unrevoked device
// that records media. It does no authorization: the answer feeds the
// neighbours' index and is never shown.
func (s *Service) HasCamera(ctx context.Context, hh household.ID) (bool, error) {
	list, err := s.store.ListDevices(ctx, hh)
	if err != nil {
		return false, apperr.Wrap("device.HasCamera", err)
	}
	for _, d := range list {
		if d.RevokedAt.IsZero() && d.Kind.Records() {
			return true, nil
		}
	}
	return false, nil
}

// HouseholdsWithCameras lists every household that has a paired, unrevoked
// recording device, for building the neighbours' index at start.
func (s *Service) HouseholdsWithCameras(ctx context.Context) ([]household.ID, error) {
	var kinds []Kind
	for _, k := range Kinds {
		if k.Records() {
			kinds = append(kinds, k)
		}
	}
	list, err := s.store.ListHouseholdsWithDevices(ctx, kinds)
	return list, apperr.Wrap("device.HouseholdsWithCameras", err)
}
