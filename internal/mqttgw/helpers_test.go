package mqttgw_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/mqttgw"
	"hearth/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// t0 is the fake clock's time; payload times are written relative to it.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type env struct {
	kit      *testkit.Kit
	svc      *device.Service
	gw       *mqttgw.Gateway
	registry *prometheus.Registry
	clock    *clock.Fake
	watch    *watcher // on the embedded broker; for an external one, on the test's broker
}

// newEnv starts a gateway with an embedded broker on a free port, over
// a test kit on a fresh SQLite database. cfg.Listen and cfg.External may
// be left empty.
func newEnv(t testing.TB, cfg mqttgw.Config) *env {
	t.Helper()
	ctx := context.Background()
	k := testkit.New(t, "", testkit.Options{Now: t0})
	e := &env{kit: k, svc: k.Devices, registry: prometheus.NewRegistry(), clock: k.Clock, watch: newWatcher()}
	relay := k.Relay
	var err error
	if cfg.Listen == "" && cfg.External == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	e.gw, err = mqttgw.New(cfg, e.svc, nil, e.registry)
	if err != nil {
		t.Fatal(err)
	}
	relay.Attach(e.gw)
	if err := e.gw.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if cfg.External == "" {
		if err := e.gw.AddBrokerHook(e.watch); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := e.gw.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return e
}

// home makes a resident who owns a household of their own, through the
// services.
func (e *env) home(t testing.TB) (identity.UserID, household.ID) {
	t.Helper()
	u, hh := e.kit.Home(t, 48.85, 2.35)
	return u, hh.ID
}

// pair pairs a camera into hh on behalf of user and returns it with its secret.
func (e *env) pair(t testing.TB, user identity.UserID, hh household.ID) (*device.Device, string) {
	t.Helper()
	return e.kit.Device(t, user, hh, device.KindCamera, "Porch")
}

// client is a device's MQTT v5 connection and what it has received.
type client struct {
	*paho.Client
	received chan *paho.Publish
}

// dial connects to addr as clientID with these credentials.
func dial(t testing.TB, addr, clientID, user, password string) (*client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{received: make(chan *paho.Publish, 100)}
	c.Client = paho.NewClient(paho.ClientConfig{
		ClientID: clientID,
		Conn:     conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			c.received <- pr.Packet
			return true, nil
		}},
	})
	cp := &paho.Connect{ClientID: clientID, KeepAlive: 30, CleanStart: true}
	if user != "" {
		cp.Username, cp.UsernameFlag = user, true
	}
	if password != "" {
		cp.Password, cp.PasswordFlag = []byte(password), true
	}
	if _, err := c.Connect(ctx, cp); err != nil {
		conn.Close()
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(&paho.Disconnect{}) })
	return c, nil
}

// connect dials as device d and fails the test if it cannot.
func (e *env) connect(t testing.TB, d *device.Device, secret string) *client {
	t.Helper()
	c, err := dial(t, e.gw.Addr(), string(d.ID), string(d.ID), secret)
	if err != nil {
		t.Fatalf("connect as %s: %v", d.ID, err)
	}
	return c
}

// publish sends payload to topic with QoS 1 and returns the broker's verdict.
func (c *client) publish(topic, payload string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: []byte(payload)})
	return err
}

// watcher is a broker hook that tells the tests each time the broker has
// finished with a session, a disconnection or a packet. Added after the
// gateway's hook (or to a broker the test runs), it hears of each only once
// the gateway has handled it: its online mark, its offline mark, a QoS 0
// refusal, its acknowledgement of an event taken from an external broker.
type watcher struct {
	mqtt.HookBase
	mu      sync.Mutex
	changed chan struct{} // closed, and replaced, at each change
}

func newWatcher() *watcher { return &watcher{changed: make(chan struct{})} }

func (w *watcher) ID() string { return "test-watcher" }

func (w *watcher) Provides(b byte) bool {
	return b == mqtt.OnSessionEstablished || b == mqtt.OnDisconnect || b == mqtt.OnPacketProcessed
}

func (w *watcher) OnSessionEstablished(*mqtt.Client, packets.Packet)     { w.signal() }
func (w *watcher) OnDisconnect(*mqtt.Client, error, bool)                { w.signal() }
func (w *watcher) OnPacketProcessed(*mqtt.Client, packets.Packet, error) { w.signal() }

func (w *watcher) signal() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.changed)
	w.changed = make(chan struct{})
}

// next returns a channel closed at the next change.
func (w *watcher) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// await checks cond after each change the broker reports until it holds. It
// is only for effects the protocol does not acknowledge (a disconnect noticed
// by the broker, the CONNACK racing the online mark, a QoS 0 refusal). It
// fails the test if the test's deadline comes first.
func (w *watcher) await(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx := testkit.Deadline(t)
	for {
		changed := w.next() // before cond, so no change between the two is missed
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the test's deadline passed waiting until %s", what)
		}
	}
}

// receive returns the next message c receives, failing the test if the
// test's deadline comes first.
func (c *client) receive(t testing.TB, what string) *paho.Publish {
	t.Helper()
	select {
	case p := <-c.received:
		return p
	case <-testkit.Deadline(t).Done():
		t.Fatalf("the test's deadline passed waiting for %s", what)
		return nil
	}
}

func (e *env) rejected(reason string) float64 {
	return counterValue(e.registry, "hearth_mqtt_rejected_total", reason)
}

func (e *env) accepted() float64 {
	return counterValue(e.registry, "hearth_mqtt_events_total", "")
}

func counterValue(reg *prometheus.Registry, name, reason string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if reason == "" {
				return m.GetCounter().GetValue()
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// storedEvents returns the household's events as its owner sees them.
func (e *env) storedEvents(t testing.TB, user identity.UserID, hh household.ID) []*device.Event {
	t.Helper()
	evs, err := e.svc.Events(context.Background(), user, hh, t0.Add(-24*time.Hour), t0.Add(24*time.Hour), device.MaxEventPage)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
