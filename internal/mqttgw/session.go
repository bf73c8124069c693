package mqttgw

import (
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"hearth/internal/device"
)

// session is one authenticated device connection on the embedded broker.
// It sends the PUBACKs of the connection's QoS 1 events once they are
// stored, in the order the events arrived (the writer commits in arrival
// order, and one goroutine per connection writes the acknowledgements), as
// MQTT requires. Writing them on the writer's goroutine instead would let
// one device that stops reading stall every other device's events.
type session struct {
	g      *Gateway
	client *mqtt.Client
	device *device.Device

	unacked atomic.Int32 // QoS 1 events queued and not yet acknowledged
	limit   int32        // the receive maximum the broker announces
	acks    chan pendingAck
	done    chan struct{}
	once    sync.Once
}

type pendingAck struct {
	id  uint16
	err error
}

func newSession(g *Gateway, cl *mqtt.Client, d *device.Device) *session {
	limit := int32(g.server.Options.Capabilities.ReceiveMaximum)
	if limit <= 0 {
		limit = 65535
	}
	s := &session{g: g, client: cl, device: d, limit: limit,
		acks: make(chan pendingAck, limit), done: make(chan struct{})}
	go s.run()
	return s
}

// reserve counts one more unacknowledged event; false if that would pass
// the receive maximum, so the acks channel can never be full.
func (s *session) reserve() bool {
	if s.unacked.Add(1) > s.limit {
		s.unacked.Add(-1)
		return false
	}
	return true
}

func (s *session) release() { s.unacked.Add(-1) }

// acknowledge is called by the writer once event id's transaction ends. It
// never blocks: reserve keeps a place in acks for every pending event.
func (s *session) acknowledge(id uint16, err error) {
	select {
	case s.acks <- pendingAck{id: id, err: err}:
	case <-s.done:
	}
}

func (s *session) stop() { s.once.Do(func() { close(s.done) }) }

func (s *session) run() {
	for {
		select {
		case a := <-s.acks:
			s.release()
			s.send(a)
		case <-s.done:
			return
		}
	}
}

// send writes one PUBACK. A failed store is reported with a failure code
// on MQTT v5, so the device may send the event again; MQTT 3 has no such
// code, so the connection is dropped instead and the device resends the
// unacknowledged event when it reconnects.
func (s *session) send(a pendingAck) {
	code := packets.CodeSuccess
	if a.err != nil {
		if s.client.Properties.ProtocolVersion < 5 {
			_ = s.g.server.DisconnectClient(s.client, packets.ErrUnspecifiedError)
			return
		}
		code = packets.ErrUnspecifiedError
	}
	_ = s.client.WritePacket(packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Puback},
		PacketID:    a.id,
		ReasonCode:  code.Code,
	})
}
