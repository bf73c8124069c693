package device

import (
	"fmt"
	"math"
	"time"

	"hearth/internal/household"
)

// EventType is what a device reports.
type EventType string

// Event types. Each carries its own small Data object; see ValidateData.
const (
	EventMotion    EventType = "motion"    // something moved; data {"zone": string} optional
	EventDing      EventType = "ding"      // the doorbell was pressed; no data
	EventContact   EventType = "contact"   // a door or window changed; data {"open": bool}
	EventAlarm     EventType = "alarm"     // the base station changed state; data {"state": AlarmState}
	EventBattery   EventType = "battery"   // battery level; data {"percent": 0..100}
	EventHeartbeat EventType = "heartbeat" // still alive; no data, not stored as an event
)

// EventTypes lists every event type.
var EventTypes = []EventType{EventMotion, EventDing, EventContact, EventAlarm, EventBattery, EventHeartbeat}

// Valid reports whether t is a known event type.
func (t EventType) Valid() bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Alarm states a base station reports in an alarm event.
var AlarmStates = []string{"triggered", "cleared", "tamper"}

// Limits on what a device may send.
const (
	MaxZoneLen = 64              // characters in a motion event's zone
	MaxSkew    = 5 * time.Minute // how far ahead of the service's clock an event may be dated
)

// Event is something a device reported. Household is taken from the device,
// never from what the device sent.
type Event struct {
	ID        string
	Device    ID
	Household household.ID
	Type      EventType
	At        time.Time
	Data      map[string]any // as decoded from JSON: numbers are float64
}

// ValidateData checks that data is what an event of type t carries: only
// the keys listed for the type, each with the right JSON type and range.
// It returns a message safe to show to the device's owner, or "".
func ValidateData(t EventType, data map[string]any) string {
	allowed := map[EventType]map[string]bool{
		EventMotion:    {"zone": true},
		EventDing:      {},
		EventContact:   {"open": true},
		EventAlarm:     {"state": true},
		EventBattery:   {"percent": true},
		EventHeartbeat: {},
	}[t]
	if allowed == nil {
		return fmt.Sprintf("Unknown event type %q.", t)
	}
	for k := range data {
		if !allowed[k] {
			return fmt.Sprintf("A %s event has no field %q.", t, k)
		}
	}
	switch t {
	case EventMotion:
		if v, ok := data["zone"]; ok {
			s, isStr := v.(string)
			if !isStr || len(s) > MaxZoneLen {
				return fmt.Sprintf("A motion event's zone is a text of at most %d bytes.", MaxZoneLen)
			}
		}
	case EventContact:
		if _, ok := data["open"].(bool); !ok {
			return `A contact event needs "open": true or false.`
		}
	case EventAlarm:
		s, _ := data["state"].(string)
		if !oneOf(s, AlarmStates) {
			return fmt.Sprintf(`An alarm event needs "state": one of %q.`, AlarmStates)
		}
	case EventBattery:
		p, ok := data["percent"].(float64)
		if !ok || p < 0 || p > 100 || p != math.Trunc(p) {
			return `A battery event needs "percent": a whole number from 0 to 100.`
		}
	}
	return ""
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}
