package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"hearth/client"
	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/device"
)

// Defaults for the zero values of Config.
const (
	DefaultHeartbeat  = 30 * time.Second
	DefaultEventEvery = 20 * time.Second
	DefaultClipLength = 3 * time.Second
)

// Config describes one virtual device.
type Config struct {
	Server      string       // Hearth's base URL, for clip uploads
	Credentials *Credentials // from Pair
	HTTPClient  *http.Client // nil: http.DefaultClient
	Heartbeat   time.Duration
	EventEvery  time.Duration // mean time between events; the kind decides which
	ClipLength  time.Duration // of each clip recorded for an event; at most MaxClipLength
	Name        string        // drawn on the clips; "": Credentials.Name, else the device id
	Logger      *slog.Logger  // nil: discard
	Clock       clock.Clock   // tells the time and paces heartbeats, events, recordings and retries; nil: the system clock
	Rand        *rand.Rand    // nil: seeded randomly; the Device must be its only user
	// OnReport, if set, is told of what the device did on its own: each
	// event it reported on its schedule (heartbeats aside) and each
	// recording made on command, once done. It is called from the device's
	// goroutines and must not block for long.
	OnReport func(Report)
}

// Report is what a device did on its own, as Config.OnReport hears of it.
type Report struct {
	Event device.EventType // the event reported; "" for a recording made on command
	Clip  string           // the clip uploaded; "" when none was made
	Err   error            // why the event or the clip did not get through
}

// Errors a Device returns, inside an *apperr.Error; test with errors.Is.
var (
	// ErrRefused: the broker or the API refused the device's credential,
	// most likely because a member revoked the device.
	ErrRefused = errors.New("the device's credential was refused")
	// ErrNotConnected: Trigger was called while the device is not connected.
	ErrNotConnected = errors.New("the device is not connected")
)

// Device is a virtual device. Run connects it and keeps it reporting;
// Trigger makes it report at once. Its methods are safe for concurrent use.
type Device struct {
	cfg    Config
	id     device.ID
	kind   device.Kind
	name   string
	server string // base URL, no trailing slash
	broker broker
	api    *client.Client // as the device
	log    *slog.Logger

	running atomic.Bool

	mu     sync.Mutex
	conn   *connection // nil while not connected
	behave *behaviour
}

// New checks cfg and returns a Device that is not yet connected. It
// returns an Invalid error for missing or malformed credentials, a kind
// Hearth does not know, a server or broker URL it cannot use, or durations
// out of range.
func New(cfg Config) (*Device, error) {
	const op = "sim.New"
	invalid := func(format string, args ...any) error {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf(format, args...))
	}
	if cfg.Credentials == nil {
		return nil, invalid("No credentials: pair the device first.")
	}
	c := *cfg.Credentials
	cfg.Credentials = &c
	if err := c.check(); err != nil {
		return nil, invalid("The credentials are incomplete: %v.", err)
	}
	kind := device.Kind(c.Kind)
	if !kind.Valid() {
		return nil, invalid("Unknown device kind %q.", c.Kind)
	}
	server, err := baseURL(cfg.Server)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	b, err := parseBroker(c.MQTTURL, server)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	switch {
	case cfg.Heartbeat < 0, cfg.EventEvery < 0, cfg.ClipLength < 0:
		return nil, invalid("Durations cannot be negative.")
	case cfg.ClipLength > MaxClipLength:
		return nil, invalid("A clip is at most %v long.", MaxClipLength)
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.EventEvery == 0 {
		cfg.EventEvery = DefaultEventEvery
	}
	if cfg.ClipLength == 0 {
		cfg.ClipLength = DefaultClipLength
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	api, err := newAPI(server, cfg.HTTPClient, client.WithDevice(client.DeviceID(c.DeviceID), c.Credential))
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	name := cfg.Name
	if name == "" {
		name = c.Name
	}
	if name == "" {
		name = c.DeviceID
	}
	return &Device{
		cfg: cfg, id: device.ID(c.DeviceID), kind: kind, name: name, server: server, broker: b,
		api: api, log: cfg.Logger.With("device", c.DeviceID, "kind", kind),
		behave: newBehaviour(kind, cfg.Rand),
	}, nil
}

// ID returns the device's id.
func (d *Device) ID() string { return string(d.id) }

// broker is where the device connects over MQTT.
type broker struct {
	addr string // host:port
	tls  bool
	host string // for the TLS server name
}

// parseBroker reads the broker URL the server handed out at pairing. A
// broker listening on every interface reports an unspecified host (0.0.0.0,
// [::]); the device then uses the host it reaches the web server at, which
// is what a device on another machine needs.
func parseBroker(mqttURL, server string) (broker, error) {
	const op = "sim.parseBroker"
	u, err := url.Parse(mqttURL)
	if err != nil || u.Host == "" {
		return broker{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("The broker address %q is not a URL such as mqtt://host:1883.", mqttURL))
	}
	var b broker
	port := u.Port()
	switch u.Scheme {
	case "mqtt", "tcp":
		if port == "" {
			port = "1883"
		}
	case "mqtts", "ssl", "tls":
		b.tls = true
		if port == "" {
			port = "8883"
		}
	default:
		return broker{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("The broker address %q has a scheme this device does not speak (mqtt, mqtts).", mqttURL))
	}
	b.host = u.Hostname()
	if ip := net.ParseIP(b.host); b.host == "" || ip != nil && ip.IsUnspecified() {
		s, _ := url.Parse(server) // checked by baseURL
		b.host = s.Hostname()
	}
	b.addr = net.JoinHostPort(b.host, port)
	return b, nil
}

// Run connects the device and keeps it working until ctx is cancelled: a
// heartbeat at once and then every Config.Heartbeat, events of its kind at
// random intervals around Config.EventEvery, a clip recorded and uploaded
// for each motion or ring of a device with a camera, and the commands it is
// sent (record, siren, reboot). A dropped connection is retried with
// exponential backoff, up to a minute apart.
//
// Run returns nil once ctx is cancelled; an error wrapping ErrRefused,
// code Unauthenticated, when the broker refuses the credential (the device
// was revoked); a Conflict error if the device is already running.
func (d *Device) Run(ctx context.Context) error {
	const op = "sim.Device.Run"
	if !d.running.CompareAndSwap(false, true) {
		return apperr.E(op, apperr.Conflict, "The device is already running.")
	}
	defer d.running.Store(false)
	var jobs sync.WaitGroup // recordings and scheduled events outlive neither Run nor ctx
	defer jobs.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	backoff := minBackoff
	for {
		connected, err := d.session(ctx, &jobs)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrRefused) {
			return apperr.Wrap(op, err)
		}
		if connected {
			backoff = minBackoff
		}
		wait := d.jitter(backoff)
		if errors.Is(err, errRebooted) {
			d.log.Info("rebooting", "in", wait.Round(time.Millisecond))
		} else {
			d.log.Warn("not connected; retrying", "in", wait.Round(time.Millisecond), "err", err)
		}
		t := d.cfg.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// Reconnection pace.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// jitter spreads a wait over ±20%, so that devices cut off together by a
// restart do not all come back in the same instant.
func (d *Device) jitter(wait time.Duration) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return wait*4/5 + time.Duration(d.cfg.Rand.Int64N(int64(wait*2/5)+1))
}

// Trigger makes the device report an event of eventType now, as if it had
// happened: "motion", "ding", "contact", "alarm", "battery" or "heartbeat",
// with data of the right shape. For motion or a ring on a device with a
// camera it then records a clip, encrypts it to the household's members and
// uploads it, and returns the clip's id; the id is "" when no clip is made,
// or when no member has a key yet (the clip is then skipped, not kept).
//
// Trigger returns once Hearth acknowledged the event (it is stored) and the
// upload finished. Errors: Invalid for an unknown event type; Unavailable
// wrapping ErrNotConnected unless Run is connected; Unauthenticated
// wrapping ErrRefused if the credential is refused; otherwise what the
// broker or the server answered.
func (d *Device) Trigger(ctx context.Context, eventType string) (clipID string, err error) {
	const op = "sim.Device.Trigger"
	t := device.EventType(eventType)
	if !t.Valid() {
		return "", apperr.E(op, apperr.Invalid, fmt.Sprintf("Unknown event type %q.", eventType))
	}
	d.mu.Lock()
	c := d.conn
	d.mu.Unlock()
	if c == nil {
		return "", &apperr.Error{Op: op, Code: apperr.Unavailable, Message: "The device is not connected to Hearth.", Err: ErrNotConnected}
	}
	id, err := d.report(ctx, c, t)
	return id, apperr.Wrap(op, err)
}

// report publishes an event of type t and, if the event calls for one,
// records and uploads a clip that ends when the event happened. Cameras
// keep a rolling buffer of the last seconds, so the clip is ready at once
// and its end is never in the future.
func (d *Device) report(ctx context.Context, c *connection, t device.EventType) (string, error) {
	at := d.cfg.Clock.Now().Truncate(time.Second)
	d.mu.Lock()
	data := d.behave.data(t)
	records := d.behave.records(t)
	d.mu.Unlock()
	if err := c.publish(ctx, t, at, data); err != nil {
		return "", err
	}
	if t != device.EventHeartbeat {
		d.log.Info("event", "type", t, "data", data)
	}
	if !records {
		return "", nil
	}
	return d.recordClip(ctx, at.Add(-d.cfg.ClipLength), at)
}

// recordFor answers a record command: it records for length from now,
// then uploads.
func (d *Device) recordFor(ctx context.Context, length time.Duration) {
	start := d.cfg.Clock.Now()
	t := d.cfg.Clock.NewTimer(length)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	id, err := d.recordClip(ctx, start, start.Add(length))
	if err != nil && ctx.Err() == nil {
		d.log.Error("recording on command failed", "err", err)
	}
	d.told(Report{Clip: id, Err: err})
}

// told passes r to Config.OnReport, if set.
func (d *Device) told(r Report) {
	if d.cfg.OnReport != nil {
		d.cfg.OnReport(r)
	}
}
