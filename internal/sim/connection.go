package sim

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"hearth/internal/apperr"
	"hearth/internal/device"
)

// MQTT timing.
const (
	connectTimeout = 15 * time.Second
	publishTimeout = 15 * time.Second // until Hearth acknowledges: it commits the event first
	keepAlive      = 60               // seconds; the broker drops a silent device after 1.5 times this
)

var (
	errLost     = errors.New("the connection to the broker was lost")
	errRebooted = errors.New("rebooting on command")
)

// connection is one MQTT session with the broker.
type connection struct {
	d  *Device
	cl *paho.Client
}

// session connects, then heartbeats, reports events and takes commands
// until ctx is cancelled or the connection ends. connected tells whether
// the broker accepted the device, so that Run can reset its backoff.
func (d *Device) session(ctx context.Context, jobs *sync.WaitGroup) (connected bool, err error) {
	const op = "sim.Device.session"
	nc, err := d.dial(ctx)
	if err != nil {
		return false, fmt.Errorf("connect to the broker at %s: %w", d.broker.addr, err)
	}
	reboot := make(chan struct{}, 1)
	cl := paho.NewClient(paho.ClientConfig{
		ClientID: string(d.id),
		// Events, heartbeats and acknowledgements are written from several
		// goroutines; a TLS connection does not allow that by itself.
		Conn: packets.NewThreadSafeConn(nc),
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(p paho.PublishReceived) (bool, error) {
			d.command(ctx, jobs, p.Packet, reboot)
			return true, nil
		}},
		OnServerDisconnect: func(x *paho.Disconnect) {
			d.log.Warn("Hearth closed the connection", "reason_code", fmt.Sprintf("0x%02x", x.ReasonCode))
		},
	})
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	ack, err := cl.Connect(cctx, &paho.Connect{
		ClientID: string(d.id), KeepAlive: keepAlive, CleanStart: true,
		Username: string(d.id), UsernameFlag: true,
		Password: []byte(d.cfg.Credentials.Credential), PasswordFlag: true,
	})
	cancel()
	if err != nil {
		if ack != nil && refusedCode(ack.ReasonCode) {
			return false, &apperr.Error{Op: op, Code: apperr.Unauthenticated,
				Message: "Hearth refused the device's credential: was the device removed from its household?",
				Err:     fmt.Errorf("%w: CONNACK reason code 0x%02x", ErrRefused, ack.ReasonCode)}
		}
		return false, fmt.Errorf("MQTT connect to %s: %w", d.broker.addr, err)
	}
	defer cl.Disconnect(&paho.Disconnect{ReasonCode: 0})

	commands := "hearth/d/" + string(d.id) + "/commands/#"
	if _, err := cl.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: commands, QoS: 1}}}); err != nil && ctx.Err() == nil {
		d.log.Warn("cannot subscribe to commands; running without them", "err", err)
	}
	c := &connection{d: d, cl: cl}
	d.mu.Lock()
	d.conn = c
	wait := d.behave.interval(d.cfg.EventEvery)
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.conn = nil
		d.mu.Unlock()
	}()
	d.log.Info("connected", "broker", d.broker.addr)

	d.heartbeat(ctx, c)
	// Timers on the device's clock, set again each time they fire: a fake
	// clock in tests moves the device along.
	hb := d.cfg.Clock.NewTimer(d.cfg.Heartbeat)
	defer func() { hb.Stop() }()
	next := d.cfg.Clock.NewTimer(wait)
	defer func() { next.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case <-cl.Done():
			return true, errLost
		case <-reboot:
			return true, errRebooted
		case <-hb.C:
			d.heartbeat(ctx, c)
			hb = d.cfg.Clock.NewTimer(d.cfg.Heartbeat)
		case <-next.C:
			d.mu.Lock()
			t := d.behave.next()
			wait := d.behave.interval(d.cfg.EventEvery)
			d.mu.Unlock()
			// Recording and uploading take a while; heartbeats go on meanwhile.
			jobs.Go(func() {
				id, err := d.report(ctx, c, t)
				if err != nil && ctx.Err() == nil {
					d.log.Warn("reporting an event failed", "type", t, "err", err)
				}
				d.told(Report{Event: t, Clip: id, Err: err})
			})
			next = d.cfg.Clock.NewTimer(wait)
		}
	}
}

// refusedCode reports whether a CONNACK reason code means the broker will
// not take this device's credential however often it is tried.
func refusedCode(code byte) bool {
	switch code {
	case packets.ConnackInvalidClientID, packets.ConnackBadUsernameOrPassword,
		packets.ConnackNotAuthorized, packets.ConnackBanned, packets.ConnackBadAuthenticationMethod:
		return true
	}
	return false
}

func (d *Device) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if d.broker.tls {
		td := &tls.Dialer{Config: &tls.Config{ServerName: d.broker.host, MinVersion: tls.VersionTLS12}}
		return td.DialContext(ctx, "tcp", d.broker.addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", d.broker.addr)
}

func (d *Device) heartbeat(ctx context.Context, c *connection) {
	if err := c.publish(ctx, device.EventHeartbeat, d.cfg.Clock.Now().Truncate(time.Second), nil); err != nil && ctx.Err() == nil {
		d.log.Warn("heartbeat failed", "err", err)
	}
}

// wireEvent is an event payload as docs/devices.md describes it.
type wireEvent struct {
	Type string         `json:"type"`
	At   string         `json:"at"`
	Data map[string]any `json:"data,omitempty"`
}

// publish sends one event with QoS 1 and waits for Hearth's
// acknowledgement, which it gives only once the event is stored.
func (c *connection) publish(ctx context.Context, t device.EventType, at time.Time, data map[string]any) error {
	const op = "sim.connection.publish"
	payload, err := json.Marshal(wireEvent{Type: string(t), At: at.UTC().Format(time.RFC3339), Data: data})
	if err != nil {
		return apperr.Wrap(op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	resp, err := c.cl.Publish(ctx, &paho.Publish{QoS: 1, Topic: "hearth/d/" + string(c.d.id) + "/events/" + string(t), Payload: payload})
	if err != nil {
		if resp != nil && resp.ReasonCode >= 0x80 {
			code := apperr.Invalid
			switch resp.ReasonCode {
			case 0x80, 0x89, 0x97: // unspecified (the store failed), busy, quota: worth sending again
				code = apperr.Unavailable
			case 0x87:
				code = apperr.Forbidden
			}
			return &apperr.Error{Op: op, Code: code,
				Message: fmt.Sprintf("Hearth did not accept the %s event (reason code 0x%02x).", t, resp.ReasonCode), Err: err}
		}
		return &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "The event could not be delivered.", Err: err}
	}
	return nil
}

// command carries out a command Hearth sent. Commands that make no sense
// for the device, or that are malformed, are logged and ignored, as a real
// device would.
func (d *Device) command(ctx context.Context, jobs *sync.WaitGroup, p *paho.Publish, reboot chan<- struct{}) {
	var w struct {
		Name string         `json:"name"`
		Args map[string]any `json:"args"`
	}
	if err := json.Unmarshal(p.Payload, &w); err != nil {
		d.log.Warn("ignoring a malformed command", "topic", p.Topic, "err", err)
		return
	}
	cmd := device.Command{Name: w.Name, Args: w.Args}
	if msg := cmd.Valid(); msg != "" {
		d.log.Warn("ignoring a command", "name", cmd.Name, "reason", msg)
		return
	}
	d.log.Info("command", "name", cmd.Name, "args", cmd.Args)
	switch cmd.Name {
	case device.CommandRecord:
		if !d.kind.Records() {
			d.log.Warn("this kind of device has no camera; not recording")
			return
		}
		length := time.Duration(cmd.Args["seconds"].(float64)) * time.Second // Valid checked the type
		jobs.Go(func() { d.recordFor(ctx, length) })
	case device.CommandReboot:
		select {
		case reboot <- struct{}{}:
		default: // a reboot is already on its way
		}
	case device.CommandSiren:
		// There is no siren to sound: the log line above is all there is.
	}
}
