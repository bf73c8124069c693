package sim

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"hearth/internal/device"
)

// Every kind reports what suits it, with data Hearth accepts once it has
// been through JSON, as it will on the wire.
func TestSimBehaviourEvents(t *testing.T) {
	want := map[device.Kind][]device.EventType{
		device.KindDoorbell:      {device.EventMotion, device.EventDing},
		device.KindCamera:        {device.EventMotion},
		device.KindFloodlight:    {device.EventMotion},
		device.KindContactSensor: {device.EventContact},
		device.KindMotionSensor:  {device.EventMotion},
		device.KindAlarmBase:     {device.EventAlarm},
		device.KindIndoorDrone:   {device.EventMotion},
		device.KindHomeRobot:     {device.EventMotion},
		device.KindSmartSpeaker:  {},
	}
	for _, kind := range device.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			b := newBehaviour(kind, rand.New(rand.NewPCG(1, 2)))
			seen := map[device.EventType]int{}
			for range 500 {
				typ := b.next()
				seen[typ]++
				raw, err := json.Marshal(wireEvent{Type: string(typ), At: clipStart.Format(time.RFC3339), Data: b.data(typ)})
				if err != nil {
					t.Fatal(err)
				}
				var back struct {
					Data map[string]any `json:"data"`
				}
				if err := json.Unmarshal(raw, &back); err != nil {
					t.Fatal(err)
				}
				if msg := device.ValidateData(typ, back.Data); msg != "" {
					t.Fatalf("%s: %s", raw, msg)
				}
			}
			for _, typ := range append(want[kind], device.EventBattery) {
				if seen[typ] == 0 {
					t.Errorf("never reports %s", typ)
				}
			}
			for typ := range seen {
				if typ != device.EventBattery && !slices.Contains(want[kind], typ) {
					t.Errorf("reports %s", typ)
				}
			}
		})
	}
}

func TestSimBehaviourState(t *testing.T) {
	b := newBehaviour(device.KindContactSensor, rand.New(rand.NewPCG(1, 2)))
	first := b.data(device.EventContact)["open"]
	if second := b.data(device.EventContact)["open"]; first == second {
		t.Fatal("the door does not change state")
	}
	b = newBehaviour(device.KindAlarmBase, rand.New(rand.NewPCG(1, 2)))
	for range 50 { // starting cleared: an alarm, then cleared again
		if s, next := b.data(device.EventAlarm)["state"], b.data(device.EventAlarm)["state"]; s == "cleared" || next != "cleared" {
			t.Fatalf("%v followed by %v", s, next)
		}
	}
	for range 200 {
		if p := b.data(device.EventBattery)["percent"].(int); p < 0 || p > 100 {
			t.Fatalf("battery at %d%%", p)
		}
	}
	for range 100 {
		if d := b.interval(20 * time.Second); d < 10*time.Second || d > 30*time.Second {
			t.Fatalf("interval %v", d)
		}
	}
}

func TestSimBehaviourRecords(t *testing.T) {
	for _, tc := range []struct {
		kind device.Kind
		typ  device.EventType
		want bool
	}{
		{device.KindCamera, device.EventMotion, true},
		{device.KindDoorbell, device.EventDing, true},
		{device.KindCamera, device.EventBattery, false},
		{device.KindMotionSensor, device.EventMotion, false},
		{device.KindAlarmBase, device.EventAlarm, false},
	} {
		if got := newBehaviour(tc.kind, rand.New(rand.NewPCG(1, 2))).records(tc.typ); got != tc.want {
			t.Errorf("%s %s records: %v", tc.kind, tc.typ, got)
		}
	}
}
