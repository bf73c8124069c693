package device

import (
	"context"
	"sync"

	"hearth/internal/apperr"
)

// Gateway is what the Service needs of the device gateway: delivering
// commands and cutting off revoked devices. The MQTT gateway implements it.
type Gateway interface {
	Publisher
	Disconnector
}

// Relay breaks the one cycle between the Service and the device gateway:
// the gateway calls the Service to authenticate devices and store their
// events, and the Service calls the gateway to reach them. The Relay is
// made first and given to the Service as its Gateway; the gateway is built
// with the Service, then attached. Until then commands are Unavailable and
// a revocation has no connection to drop (no device can connect before
// the gateway exists).
type Relay struct {
	mu sync.RWMutex
	gw Gateway
}

var _ Gateway = (*Relay)(nil)

// Attach makes r forward to gw. Call it once, when the gateway is built.
func (r *Relay) Attach(gw Gateway) {
	r.mu.Lock()
	r.gw = gw
	r.mu.Unlock()
}

func (r *Relay) target() Gateway {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.gw
}

// PublishCommand forwards to the attached gateway. Unavailable before one
// is attached.
func (r *Relay) PublishCommand(ctx context.Context, id ID, cmd Command) error {
	gw := r.target()
	if gw == nil {
		return apperr.E("device.Relay.PublishCommand", apperr.Unavailable, msgNoGateway)
	}
	return gw.PublishCommand(ctx, id, cmd)
}

// DisconnectDevice forwards to the attached gateway, if any.
func (r *Relay) DisconnectDevice(id ID) {
	if gw := r.target(); gw != nil {
		gw.DisconnectDevice(id)
	}
}
