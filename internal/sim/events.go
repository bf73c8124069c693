package sim

import (
	"math/rand/v2"
	"time"

	"hearth/internal/device"
)

// behaviour is the state a device reports from: its battery drains, a door
// stays open until it closes, an alarm is cleared only after it triggered.
// It is not safe for concurrent use; Device guards it.
type behaviour struct {
	kind    device.Kind
	rnd     *rand.Rand
	battery int
	open    bool
	alarm   string
}

func newBehaviour(kind device.Kind, rnd *rand.Rand) *behaviour {
	return &behaviour{kind: kind, rnd: rnd, battery: 60 + rnd.IntN(41), alarm: "cleared"}
}

// zones are where a motion is seen; the name is only for people reading
// the timeline.
var zones = []string{"porch", "driveway", "garden", "hallway", "living room"}

// next picks the type of the next scheduled event: what a device of this
// kind reports, with now and then its battery level.
func (b *behaviour) next() device.EventType {
	if b.rnd.IntN(8) == 0 {
		return device.EventBattery
	}
	switch b.kind {
	case device.KindDoorbell:
		if b.rnd.IntN(3) == 0 {
			return device.EventDing
		}
		return device.EventMotion
	case device.KindCamera, device.KindFloodlight, device.KindIndoorDrone, device.KindHomeRobot, device.KindMotionSensor:
		return device.EventMotion
	case device.KindContactSensor:
		return device.EventContact
	case device.KindAlarmBase:
		return device.EventAlarm
	}
	return device.EventBattery // a speaker has nothing else to tell
}

// interval returns a wait spread evenly over [mean/2, 3·mean/2), so that
// several simulated devices do not report in lockstep.
func (b *behaviour) interval(mean time.Duration) time.Duration {
	return mean/2 + time.Duration(b.rnd.Int64N(int64(mean)+1))
}

// data returns the payload of an event of type t and moves the state on.
// The shapes are those of docs/devices.md.
func (b *behaviour) data(t device.EventType) map[string]any {
	switch t {
	case device.EventMotion:
		return map[string]any{"zone": zones[b.rnd.IntN(len(zones))]}
	case device.EventContact:
		b.open = !b.open
		return map[string]any{"open": b.open}
	case device.EventAlarm:
		switch {
		case b.alarm != "cleared":
			b.alarm = "cleared"
		case b.rnd.IntN(10) == 0:
			b.alarm = "tamper"
		default:
			b.alarm = "triggered"
		}
		return map[string]any{"state": b.alarm}
	case device.EventBattery:
		b.battery -= 1 + b.rnd.IntN(3)
		if b.battery < 10 {
			b.battery = 100 // someone changed the batteries
		}
		return map[string]any{"percent": b.battery}
	}
	return nil // ding and heartbeat carry no data
}

// records reports whether an event of type t makes this device record a
// clip: motion or a ring, on a device that has a camera.
func (b *behaviour) records(t device.EventType) bool {
	return b.kind.Records() && (t == device.EventMotion || t == device.EventDing)
}
