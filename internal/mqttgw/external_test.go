package mqttgw_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/mqttgw"
)

// plainBroker starts a broker that admits anyone, standing in for an
// operator's external broker (whose ACLs are its own business).
// Its watcher hears when the gateway has acknowledged an event, which it
// does once the event is stored.
func plainBroker(t *testing.T) (string, *watcher) {
	t.Helper()
	s := mqtt.New(&mqtt.Options{InlineClient: true})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "plain", Address: "127.0.0.1:0"})
	if err := s.AddListener(l); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	w := newWatcher()
	if err := s.AddHook(w, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return l.Address(), w
}

func TestExternalBroker(t *testing.T) {
	ctx := context.Background()
	addr, watch := plainBroker(t)
	e := newEnv(t, mqttgw.Config{External: "mqtt://" + addr})
	u1, h1 := e.home(t)
	d, _ := e.pair(t, u1, h1)
	revoked, _ := e.pair(t, u1, h1)
	if err := e.svc.Revoke(ctx, u1, revoked.ID); err != nil {
		t.Fatal(err)
	}
	c, err := dial(t, addr, string(d.ID), "", "")
	if err != nil {
		t.Fatal(err)
	}

	if err := c.publish(mqttgw.EventsTopic(revoked.ID, device.EventMotion), `{"type":"motion"}`); err != nil {
		t.Fatal(err)
	}
	if err := c.publish(mqttgw.EventsTopic(d.ID, device.EventMotion), `{"type":"motion"`); err != nil {
		t.Fatal(err)
	}
	if err := c.publish(mqttgw.EventsTopic(d.ID, device.EventContact), `{"type":"contact","data":{"open":true}}`); err != nil {
		t.Fatal(err)
	}
	// The broker acknowledges the device, not the gateway: wait for the store.
	watch.await(t, "the contact event is stored", func() bool { return len(e.storedEvents(t, u1, h1)) == 1 })
	evs := e.storedEvents(t, u1, h1)
	if evs[0].Device != d.ID || evs[0].Type != device.EventContact || evs[0].Data["open"] != true {
		t.Errorf("stored %+v", evs[0])
	}
	if e.rejected("revoked") != 1 || e.rejected("malformed") != 1 {
		t.Errorf("rejected revoked=%v malformed=%v, want 1 and 1", e.rejected("revoked"), e.rejected("malformed"))
	}

	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{
		{Topic: "hearth/d/" + string(d.ID) + "/commands/#", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SendCommand(ctx, u1, d.ID, device.Command{Name: device.CommandSiren, Args: map[string]any{"on": true}}); err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	if p := c.receive(t, "the command"); p.Topic != mqttgw.CommandsTopic(d.ID, device.CommandSiren) || string(p.Payload) != `{"name":"siren","args":{"on":true}}` {
		t.Errorf("received %s %s", p.Topic, p.Payload)
	}
}

func TestExternalBrokerUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	gw, err := mqttgw.New(mqttgw.Config{External: "mqtt://" + addr}, device.NewService(device.Deps{}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := gw.Start(ctx); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("Start = %v, want Unavailable", err)
	}
}
