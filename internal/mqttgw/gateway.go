package mqttgw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"

	"github.com/eclipse/paho.golang/autopaho"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/apperr"
	"hearth/internal/device"
)

// DefaultMaxMessageBytes is the largest event payload accepted when
// Config.MaxMessageBytes is 0. Events are a few dozen bytes; media goes
// over HTTPS, never MQTT.
const DefaultMaxMessageBytes = 4096

// Config says where the gateway listens or which broker it joins.
type Config struct {
	// Listen is the embedded broker's TCP address, e.g. "127.0.0.1:1883";
	// port 0 picks a free one (see Gateway.Addr).
	Listen string
	// External, if set, is the mqtt://host:port of an external broker to
	// join as a service client instead of running one. That broker must
	// then authenticate devices and enforce the topic rules itself.
	External         string
	ExternalUser     string
	ExternalPassword string
	// MaxMessageBytes bounds an event payload; 0 means DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// Gateway connects devices to device.Service over MQTT. It implements
// device.Publisher and device.Disconnector.
type Gateway struct {
	cfg     Config
	devices *device.Service
	log     *slog.Logger
	metrics *metrics
	writer  *writer

	// Embedded mode.
	server   *mqtt.Server
	listener *listeners.Net
	socket   net.Listener // the listener's socket, closed first on Close
	mu       sync.Mutex
	// conns holds each device's current connection and the device record
	// it authenticated as. A reconnecting device replaces its entry before
	// the old connection's disconnect arrives, which then leaves it alone.
	conns map[device.ID]*conn
	// authed holds what OnConnectAuthenticate learnt, until the session is
	// established or the connection ends.
	authed sync.Map // *mqtt.Client -> *device.Device

	// External mode.
	ext    *autopaho.ConnectionManager
	cancel context.CancelFunc

	closeOnce sync.Once
}

type conn struct {
	client *mqtt.Client
	device *device.Device
}

var (
	_ device.Publisher    = (*Gateway)(nil)
	_ device.Disconnector = (*Gateway)(nil)
)

// New returns a gateway for devices, registering its metrics on registry.
// Attach it to the device.Relay the devices service was built with, so
// that SendCommand reaches devices and Revoke cuts them off. Start it to
// listen or connect. Invalid for a bad configuration.
func New(cfg Config, devices *device.Service, log *slog.Logger, registry *prometheus.Registry) (*Gateway, error) {
	const op = "mqttgw.New"
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	switch {
	case cfg.MaxMessageBytes < 0:
		return nil, apperr.E(op, apperr.Invalid, "The MQTT message size limit must be positive.")
	case cfg.External == "" && cfg.Listen == "":
		return nil, apperr.E(op, apperr.Invalid, "Give the MQTT gateway a listen address or an external broker URL.")
	case cfg.External != "":
		if _, err := externalURL(cfg.External); err != nil {
			return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The external MQTT broker URL is not valid.", Err: err}
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(registry)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	g := &Gateway{
		cfg:     cfg,
		devices: devices,
		log:     log,
		metrics: m,
		writer:  newWriter(devices, log, m),
		conns:   map[device.ID]*conn{},
	}
	return g, nil
}

// Start starts the embedded broker, listening when it returns, or connects
// to the external broker and subscribes, waiting for the connection until
// ctx ends. Unavailable if it cannot listen or connect.
func (g *Gateway) Start(ctx context.Context) error {
	const op = "mqttgw.Start"
	g.writer.start()
	var err error
	if g.cfg.External != "" {
		err = g.startExternal(ctx)
	} else {
		err = g.startEmbedded()
	}
	if err != nil {
		g.writer.close()
		return &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "The MQTT gateway could not start.", Err: err}
	}
	return nil
}

// Addr returns the embedded broker's listen address with the real port,
// or the external broker's URL.
func (g *Gateway) Addr() string {
	if g.listener != nil {
		return g.listener.Address()
	}
	return g.cfg.External
}

// commandPayload is the JSON published to a device's commands topic.
type commandPayload struct {
	Name string         `json:"name"`
	Args map[string]any `json:"args,omitempty"`
}

// PublishCommand publishes cmd, QoS 1, to hearth/d/<id>/commands/<name>.
// In embedded mode, Unavailable if the device is not connected (a command
// is for now, not for whenever the device returns).
func (g *Gateway) PublishCommand(ctx context.Context, id device.ID, cmd device.Command) error {
	const op = "mqttgw.PublishCommand"
	payload, err := json.Marshal(commandPayload{Name: cmd.Name, Args: cmd.Args})
	if err != nil {
		return apperr.Wrap(op, err)
	}
	topic := CommandsTopic(id, cmd.Name)
	if g.ext != nil {
		return apperr.Wrap(op, g.publishExternal(ctx, topic, payload))
	}
	if g.server == nil {
		return apperr.E(op, apperr.Unavailable, "Devices cannot be reached right now.")
	}
	g.mu.Lock()
	_, online := g.conns[id]
	g.mu.Unlock()
	if !online {
		return apperr.E(op, apperr.Unavailable, "The device is not connected.")
	}
	if err := g.server.Publish(topic, payload, false, 1); err != nil {
		return &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "Devices cannot be reached right now.", Err: err}
	}
	return nil
}

// DisconnectDevice drops the device's connection, if it has one on the
// embedded broker. With an external broker there is nothing to drop from
// here: the broker must stop accepting the credential.
func (g *Gateway) DisconnectDevice(id device.ID) {
	if g.server == nil {
		return
	}
	if cl, ok := g.server.Clients.Get(string(id)); ok {
		_ = g.server.DisconnectClient(cl, errNotAuthorized) // the error is the code we sent
	}
}

// Close stops the broker or leaves the external one, then writes the
// events still queued. It waits for both.
func (g *Gateway) Close() error {
	var err error
	g.closeOnce.Do(func() {
		if g.server != nil {
			if g.socket != nil {
				g.socket.Close() // no connection starts while the broker stops
			}
			err = g.server.Close()
		}
		if g.ext != nil {
			err = errors.Join(err, g.closeExternal())
		}
		g.writer.close()
	})
	return apperr.Wrap("mqttgw.Close", err)
}

func externalURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "mqtt", "tcp", "mqtts", "ssl", "tls":
	default:
		return nil, fmt.Errorf("unsupported scheme %q; use mqtt://host:port", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("no host")
	}
	return u, nil
}
