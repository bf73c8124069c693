package mqttgw

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"hearth/internal/apperr"
	"hearth/internal/device"
)

var errNotAuthorized = packets.ErrNotAuthorized

// authTimeout bounds the store lookups a connecting device waits for.
const authTimeout = 5 * time.Second

// maxSessionExpiry caps how long the broker keeps a disconnected device's
// session (subscriptions, queued QoS 1 commands), in seconds.
const maxSessionExpiry = 3600

func (g *Gateway) startEmbedded() error {
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumQos = 1      // events and commands need at-least-once, nothing more
	caps.RetainAvailable = 0 // a retained event would replay into the timeline
	caps.MaximumSessionExpiryInterval = maxSessionExpiry
	// A hard cap well above MaxMessageBytes: payloads between the two are
	// acknowledged with a reason and counted; beyond it the broker drops
	// the connection before anything is read into memory.
	caps.MaximumPacketSize = uint32(4*g.cfg.MaxMessageBytes + 1024)
	g.server = mqtt.New(&mqtt.Options{
		InlineClient: true, // the gateway publishes commands as the broker itself
		Capabilities: caps,
		Logger:       slog.New(quietHandler{g.log.Handler()}),
	})
	if err := g.server.AddHook(&hook{g: g}, nil); err != nil {
		return err
	}
	// The gateway holds the socket itself so that Close can stop accepting
	// before the broker shuts down: the broker counts a connection it is
	// still setting up in a WaitGroup its Close is already waiting on.
	socket, err := net.Listen("tcp", g.cfg.Listen)
	if err != nil {
		return err
	}
	g.socket = socket
	g.listener = listeners.NewNet("hearth-devices", socket)
	if err := g.server.AddListener(g.listener); err != nil {
		socket.Close()
		return err
	}
	return g.server.Serve()
}

// hook is the broker's view of Hearth: who may connect, which topics each
// device may use, and what happens to what it publishes.
type hook struct {
	mqtt.HookBase
	g *Gateway
}

func (h *hook) ID() string { return "hearth-devices" }

func (h *hook) Provides(b byte) bool {
	return bytes.Contains([]byte{
		mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSessionEstablished,
		mqtt.OnDisconnect, mqtt.OnPublish,
	}, []byte{b})
}

// OnConnectAuthenticate admits a device whose username is its id and
// password its credential. The client id must be the device id too: the
// broker keys sessions by client id, and a device choosing another's
// would take over that device's session.
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user := string(pk.Connect.Username)
	if user == "" || cl.ID != user {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	d, err := h.g.devices.Authenticate(ctx, device.ID(user), string(pk.Connect.Password))
	if err != nil {
		if !apperr.Is(err, apperr.Unauthenticated) {
			h.g.log.Error("authenticating a device", "device", user, "error", err)
		}
		return false
	}
	h.g.authed.Store(cl, newSession(h.g, cl, d))
	return true
}

// sessionOf returns what cl authenticated as, or nil.
func (h *hook) sessionOf(cl *mqtt.Client) *session {
	if v, ok := h.g.authed.Load(cl); ok {
		return v.(*session)
	}
	return nil
}

// deviceOf returns the device cl authenticated as, or nil.
func (h *hook) deviceOf(cl *mqtt.Client) *device.Device {
	if s := h.sessionOf(cl); s != nil {
		return s.device
	}
	return nil
}

// OnACLCheck confines a device to its own topics: it publishes to
// hearth/d/<id>/events/<one level> and subscribes under
// hearth/d/<id>/commands/. Everything else — other devices, wildcards
// above its own prefix, $SYS, shared subscriptions — is refused.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	d := h.deviceOf(cl)
	if d == nil {
		return false
	}
	if write {
		id, _, ok := splitEventsTopic(topic)
		if !ok || id != d.ID {
			h.g.metrics.rejected.WithLabelValues(reasonTopic).Inc()
			return false
		}
		return true
	}
	return strings.HasPrefix(topic, topicRoot+string(d.ID)+commandsLevel)
}

// OnSessionEstablished marks the device online. If it was revoked after
// it authenticated, the store refuses and the connection is dropped, so no
// revocation slips between the check and the session.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	d := h.deviceOf(cl)
	if d == nil {
		return
	}
	h.g.mu.Lock()
	h.g.conns[d.ID] = &conn{client: cl, device: d}
	h.g.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	if err := h.g.devices.SetOnline(ctx, d.ID, true); err != nil {
		if !apperr.Is(err, apperr.NotFound) {
			h.g.log.Error("marking a device online", "device", d.ID, "error", err)
		}
		_ = h.g.server.DisconnectClient(cl, errNotAuthorized)
	}
}

// OnDisconnect marks the device offline, unless a newer connection of the
// same device has replaced this one.
func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, _ bool) {
	s := h.sessionOf(cl)
	h.g.authed.Delete(cl)
	if s == nil {
		return
	}
	s.stop()
	d := s.device
	h.g.mu.Lock()
	c := h.g.conns[d.ID]
	current := c != nil && c.client == cl
	if current {
		delete(h.g.conns, d.ID)
	}
	h.g.mu.Unlock()
	if !current {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
	defer cancel()
	if err := h.g.devices.SetOnline(ctx, d.ID, false); err != nil && !apperr.Is(err, apperr.NotFound) {
		h.g.log.Error("marking a device offline", "device", d.ID, "error", err)
	}
}

// OnPublish consumes an event. Accepted events are not passed on to
// subscribers: devices may not subscribe to events, and the gateway is
// their only consumer.
//
// A QoS 1 event is acknowledged only once stored, yet without holding up
// the device's connection while its transaction commits: the hook queues
// the event, tells the broker to send nothing (ErrRejectPacket), and the
// session sends the PUBACK when the writer reports the commit. A device
// can so have many events in flight, and the writer groups them; waiting
// in the hook would allow one event per device per commit.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	s := h.sessionOf(cl)
	_, typ, ok := splitEventsTopic(pk.TopicName)
	if s == nil || !ok {
		return pk, h.reject(cl, pk, reasonTopic, packets.ErrNotAuthorized)
	}
	msg, reason := ParseEvent(typ, pk.Payload, h.g.cfg.MaxMessageBytes)
	switch reason {
	case "":
	case reasonOversized:
		return pk, h.reject(cl, pk, reason, packets.ErrPacketTooLarge)
	case reasonUnknownType:
		return pk, h.reject(cl, pk, reason, packets.ErrTopicNameInvalid)
	default:
		return pk, h.reject(cl, pk, reason, packets.ErrPayloadFormatInvalid)
	}
	ev, err := h.g.devices.NewEvent(s.device, msg.Type, msg.At, msg.Data)
	if err != nil {
		return pk, h.reject(cl, pk, reasonInvalidData, packets.ErrPayloadFormatInvalid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var done func(error)
	if pk.FixedHeader.Qos > 0 {
		if !s.reserve() {
			// More unacknowledged events than the receive maximum the
			// broker announced: the device is not waiting for PUBACKs.
			return pk, h.reject(cl, pk, reasonOverloaded, packets.ErrQuotaExceeded)
		}
		id := pk.PacketID
		done = func(err error) { s.acknowledge(id, err) }
	}
	if err := h.g.writer.enqueue(ctx, ev, done); err != nil {
		if done != nil {
			s.release()
		}
		return pk, h.reject(cl, pk, reasonOverloaded, packets.ErrServerBusy)
	}
	if done != nil {
		return pk, packets.ErrRejectPacket // the session acknowledges it
	}
	return pk, packets.CodeSuccessIgnore
}

// reject counts a refused message and returns what makes the broker answer
// it: a PUBACK with code for QoS 1 (MQTT v5), or a silent drop for QoS 0.
func (h *hook) reject(cl *mqtt.Client, pk packets.Packet, reason string, code packets.Code) error {
	h.g.metrics.rejected.WithLabelValues(reason).Inc()
	return failure(cl, pk, code)
}

func failure(cl *mqtt.Client, pk packets.Packet, code packets.Code) error {
	if pk.FixedHeader.Qos == 0 || cl.Properties.ProtocolVersion < 5 {
		// MQTT 3 has no failure acknowledgement: acknowledge and drop,
		// or the device would resend a message that will never pass.
		return packets.CodeSuccessIgnore
	}
	return code
}

// quietHandler passes the broker's log on, except that it demotes the
// record the broker writes, at error level, for every publish a hook
// refuses: a misbehaving device must not be able to flood the error log.
// The refusals are counted in hearth_mqtt_rejected_total instead.
type quietHandler struct{ slog.Handler }

func (q quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && r.Message == "publish packet error" {
		r.Level = slog.LevelDebug
		if !q.Handler.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{q.Handler.WithAttrs(as)}
}

func (q quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{q.Handler.WithGroup(name)}
}
