package mqttgw_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/mqttgw"
	"hearth/internal/testkit"
)

func TestDeviceSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, mqttgw.Config{})
	u1, h1 := e.home(t)
	d, secret := e.pair(t, u1, h1)
	c := e.connect(t, d, secret)

	online := func() bool {
		got, err := e.svc.Get(ctx, u1, d.ID)
		return err == nil && got.Online
	}
	e.watch.await(t, "the device shows online", online)

	at := t0.Add(-time.Minute)
	payload := `{"type":"motion","at":"` + at.Format(time.RFC3339) + `","data":{"zone":"porch"}}`
	if err := c.publish(mqttgw.EventsTopic(d.ID, device.EventMotion), payload); err != nil {
		t.Fatalf("publish motion: %v", err)
	}
	// QoS 1 is acknowledged once stored: no waiting needed.
	evs := e.storedEvents(t, u1, h1)
	if len(evs) != 1 {
		t.Fatalf("%d events stored, want 1", len(evs))
	}
	want := &device.Event{ID: evs[0].ID, Device: d.ID, Household: h1, Type: device.EventMotion, At: at,
		Data: map[string]any{"zone": "porch"}}
	if diff := cmp.Diff(want, evs[0]); diff != "" {
		t.Errorf("stored event (-want +got):\n%s", diff)
	}

	e.clock.Advance(time.Minute)
	if err := c.publish(mqttgw.EventsTopic(d.ID, device.EventHeartbeat), `{"type":"heartbeat"}`); err != nil {
		t.Fatalf("publish heartbeat: %v", err)
	}
	got, err := e.svc.Get(ctx, u1, d.ID)
	if err != nil || !got.Online || !got.LastSeenAt.Equal(e.clock.Now()) {
		t.Errorf("after a heartbeat: %+v, %v; want online, seen now", got, err)
	}
	if n := len(e.storedEvents(t, u1, h1)); n != 1 {
		t.Errorf("a heartbeat was stored as an event (%d events)", n)
	}
	if n := e.accepted(); n != 2 {
		t.Errorf("hearth_mqtt_events_total = %v, want 2", n)
	}

	if err := c.Disconnect(&paho.Disconnect{}); err != nil {
		t.Fatal(err)
	}
	e.watch.await(t, "the device shows offline", func() bool { return !online() })
}

func TestConnectRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, mqttgw.Config{})
	u1, h1 := e.home(t)
	d, secret := e.pair(t, u1, h1)
	other, otherSecret := e.pair(t, u1, h1)
	revoked, revokedSecret := e.pair(t, u1, h1)
	if err := e.svc.Revoke(ctx, u1, revoked.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                   string
		clientID, user, secret string
	}{
		{"WrongPassword", string(d.ID), string(d.ID), otherSecret},
		{"UnknownDevice", "d_unknown", "d_unknown", secret},
		{"Revoked", string(revoked.ID), string(revoked.ID), revokedSecret},
		{"NoCredentials", string(d.ID), "", ""},
		// Right credentials, another device's client id: would take over its session.
		{"ClientIDNotDevice", string(other.ID), string(d.ID), secret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := dial(t, e.gw.Addr(), tc.clientID, tc.user, tc.secret); err == nil {
				t.Errorf("connected; want refused")
			}
		})
	}
	// The right credentials still work.
	e.connect(t, d, secret)
}

func TestRevokeDisconnects(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, mqttgw.Config{})
	u1, h1 := e.home(t)
	d, secret := e.pair(t, u1, h1)
	c := e.connect(t, d, secret)
	e.watch.await(t, "the device shows online", func() bool {
		got, err := e.svc.Get(ctx, u1, d.ID)
		return err == nil && got.Online
	})
	if err := e.svc.Revoke(ctx, u1, d.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-testkit.Deadline(t).Done():
		t.Fatal("the revoked device is still connected")
	}
	if _, err := dial(t, e.gw.Addr(), string(d.ID), string(d.ID), secret); err == nil {
		t.Error("a revoked device reconnected")
	}
	if got, err := e.svc.Get(ctx, u1, d.ID); err != nil || got.Online {
		t.Errorf("revoked device: %+v, %v; want offline", got, err)
	}
}

// TestTopicIsolation checks that a device reaches only its own topics and
// that nothing of one household's devices reaches another's through MQTT.
func TestTopicIsolation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, mqttgw.Config{})
	alice, h1 := e.home(t)
	bob, h2 := e.home(t)
	a, aSecret := e.pair(t, alice, h1)
	b, bSecret := e.pair(t, bob, h2)
	ca := e.connect(t, a, aSecret)
	cb := e.connect(t, b, bSecret)

	err := ca.publish(mqttgw.EventsTopic(b.ID, device.EventMotion), `{"type":"motion"}`)
	if err == nil {
		t.Error("A published to B's events topic")
	}
	for _, topic := range []string{
		"hearth/d/" + string(b.ID) + "/commands/record", // another device's commands
		"hearth/d/" + string(a.ID) + "/events",          // not an event topic
		"hearth/d/" + string(a.ID) + "/events/motion/x", // too deep
		"hearth/other",
	} {
		if err := ca.publish(topic, `{"type":"motion"}`); err == nil {
			t.Errorf("A published to %s", topic)
		}
	}
	if n := e.rejected("topic"); n != 5 {
		t.Errorf(`rejected{reason="topic"} = %v, want 5`, n)
	}
	if evs := e.storedEvents(t, bob, h2); len(evs) != 0 {
		t.Errorf("B's household got events from A: %v", evs)
	}

	for _, filter := range []string{
		"hearth/d/" + string(b.ID) + "/commands/#",
		"hearth/d/+/events/#",
		"hearth/d/+/commands/#",
		"hearth/d/" + string(b.ID) + "/events/motion",
		"hearth/d/" + string(a.ID) + "/events/#", // its own events: only the gateway reads them
		"hearth/#",
		"#",
		"+/+/+/+",
		"$SYS/#",
		"$share/g/hearth/d/" + string(a.ID) + "/commands/#",
	} {
		ack, err := ca.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: 1}}})
		if err == nil && (ack == nil || len(ack.Reasons) != 1 || ack.Reasons[0] < 0x80) {
			t.Errorf("A subscribed to %s: %+v", filter, ack)
		}
	}
	own := "hearth/d/" + string(a.ID) + "/commands/#"
	if ack, err := ca.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: own, QoS: 1}}}); err != nil || ack.Reasons[0] >= 0x80 {
		t.Fatalf("A could not subscribe to its own commands: %+v, %v", ack, err)
	}
	// B's events and B's commands do not reach A.
	if err := cb.publish(mqttgw.EventsTopic(b.ID, device.EventDing), `{"type":"ding"}`); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SendCommand(ctx, bob, b.ID, device.Command{Name: device.CommandReboot}); err != nil {
		t.Fatal(err)
	}
	// A command to A after B's, delivered in order on A's one connection:
	// once it arrives, anything of B's would have arrived before it.
	if err := e.svc.SendCommand(ctx, alice, a.ID, device.Command{Name: device.CommandReboot}); err != nil {
		t.Fatal(err)
	}
	if p := ca.receive(t, "A's own command"); p.Topic != mqttgw.CommandsTopic(a.ID, device.CommandReboot) {
		t.Errorf("A received %s", p.Topic)
	}
	select {
	case p := <-ca.received:
		t.Errorf("A received %s: %s", p.Topic, p.Payload)
	default:
	}
	// And through the service, a member of h1 cannot see B at all.
	_, err = e.svc.Get(ctx, alice, b.ID)
	if !apperr.Is(err, apperr.NotFound) {
		t.Errorf("alice Get(B) = %v, want NotFound", err)
	}
}

func TestRejectedMessages(t *testing.T) {
	e := newEnv(t, mqttgw.Config{MaxMessageBytes: 256})
	u1, h1 := e.home(t)
	d, secret := e.pair(t, u1, h1)
	c := e.connect(t, d, secret)
	motion := mqttgw.EventsTopic(d.ID, device.EventMotion)

	for _, tc := range []struct {
		name, topic, payload, reason string
	}{
		{"Malformed", motion, `{"type":"motion"`, "malformed"},
		{"NotAnObject", motion, `[1,2]`, "malformed"},
		{"UnknownField", motion, `{"type":"motion","who":"me"}`, "malformed"},
		{"BadTime", motion, `{"type":"motion","at":"yesterday"}`, "malformed"},
		{"Oversized", motion, `{"type":"motion","data":{"zone":"` + strings.Repeat("x", 300) + `"}}`, "oversized"},
		{"TypeMismatch", motion, `{"type":"ding"}`, "type_mismatch"},
		{"UnknownType", "hearth/d/" + string(d.ID) + "/events/smoke", `{"type":"smoke"}`, "unknown_type"},
		{"InvalidData", mqttgw.EventsTopic(d.ID, device.EventBattery), `{"type":"battery","data":{"percent":101}}`, "invalid_data"},
		{"FromTheFuture", motion, `{"type":"motion","at":"` + t0.Add(time.Hour).Format(time.RFC3339) + `"}`, "invalid_data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.rejected(tc.reason)
			if err := c.publish(tc.topic, tc.payload); err == nil {
				t.Error("accepted")
			}
			if got := e.rejected(tc.reason) - before; got != 1 {
				t.Errorf(`rejected{reason=%q} grew by %v, want 1`, tc.reason, got)
			}
		})
	}
	if evs := e.storedEvents(t, u1, h1); len(evs) != 0 {
		t.Errorf("%d refused events were stored", len(evs))
	}
	// The gateway, and the same connection, keep working.
	if err := c.publish(motion, `{"type":"motion"}`); err != nil {
		t.Fatalf("a good event after the bad ones: %v", err)
	}
	if evs := e.storedEvents(t, u1, h1); len(evs) != 1 {
		t.Errorf("%d events stored, want 1", len(evs))
	}
	// QoS 0 refusals are counted too (there is no acknowledgement to wait for).
	before := e.rejected("malformed")
	if _, err := c.Publish(context.Background(), &paho.Publish{Topic: motion, QoS: 0, Payload: []byte("{")}); err != nil {
		t.Fatal(err)
	}
	e.watch.await(t, "the QoS 0 refusal is counted", func() bool { return e.rejected("malformed") == before+1 })
}

func TestPublishCommand(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, mqttgw.Config{})
	u1, h1 := e.home(t)
	d, secret := e.pair(t, u1, h1)
	cmd := device.Command{Name: device.CommandRecord, Args: map[string]any{"seconds": 30.0}}

	err := e.svc.SendCommand(ctx, u1, d.ID, cmd)
	if !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("SendCommand to an offline device = %v, want Unavailable", err)
	}

	c := e.connect(t, d, secret)
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{
		{Topic: "hearth/d/" + string(d.ID) + "/commands/#", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	e.watch.await(t, "the device is connected", func() bool {
		got, err := e.svc.Get(ctx, u1, d.ID)
		return err == nil && got.Online
	})
	if err := e.svc.SendCommand(ctx, u1, d.ID, cmd); err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	p := c.receive(t, "the command")
	if p.Topic != mqttgw.CommandsTopic(d.ID, device.CommandRecord) {
		t.Errorf("topic %s", p.Topic)
	}
	var got map[string]any
	if err := json.Unmarshal(p.Payload, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "record", "args": map[string]any{"seconds": 30.0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("command payload (-want +got):\n%s", diff)
	}
}

func TestNewInvalid(t *testing.T) {
	for name, cfg := range map[string]mqttgw.Config{
		"NoAddress":   {},
		"BadExternal": {External: "http://broker:1883"},
		"NegativeMax": {Listen: "127.0.0.1:0", MaxMessageBytes: -1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := mqttgw.New(cfg, device.NewService(device.Deps{}), nil, nil)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("New = %v, want Invalid", err)
			}
		})
	}
}

func TestCloseUnstarted(t *testing.T) {
	gw, err := mqttgw.New(mqttgw.Config{Listen: "127.0.0.1:0"}, device.NewService(device.Deps{}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- gw.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-testkit.Deadline(t).Done():
		t.Fatal("Close of a gateway never started hangs")
	}
}
