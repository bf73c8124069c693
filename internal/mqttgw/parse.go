package mqttgw

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"hearth/internal/device"
)

// Topic layout. A device's id never contains '/', '+' or '#' (ids are
// lower-case base32), so it is always a single topic level.
const (
	topicRoot     = "hearth/d/"
	eventsLevel   = "/events/"
	commandsLevel = "/commands/"
)

// EventsTopic is the topic a device publishes events of type t to.
func EventsTopic(id device.ID, t device.EventType) string {
	return topicRoot + string(id) + eventsLevel + string(t)
}

// CommandsTopic is the topic a command is published to.
func CommandsTopic(id device.ID, name string) string {
	return topicRoot + string(id) + commandsLevel + name
}

// splitEventsTopic returns the device id and the type level of an events
// topic, and false for any other topic.
func splitEventsTopic(topic string) (device.ID, string, bool) {
	rest, ok := strings.CutPrefix(topic, topicRoot)
	if !ok {
		return "", "", false
	}
	id, typ, ok := strings.Cut(rest, eventsLevel)
	if !ok || id == "" || typ == "" || strings.ContainsAny(id, "/+#") || strings.ContainsAny(typ, "/+#") {
		return "", "", false
	}
	return device.ID(id), typ, true
}

// Reasons a message is refused, the label values of hearth_mqtt_rejected_total.
const (
	reasonOversized    = "oversized"     // payload over MaxMessageBytes
	reasonMalformed    = "malformed"     // not a JSON object of the documented shape
	reasonTypeMismatch = "type_mismatch" // the payload's type is not the topic's
	reasonUnknownType  = "unknown_type"  // not an event type Hearth knows
	reasonInvalidData  = "invalid_data"  // data or time refused by device.Service
	reasonTopic        = "topic"         // a topic the device may not publish to
	reasonRevoked      = "revoked"       // the device was revoked meanwhile
	reasonStore        = "store"         // the store failed; the device should retry
	reasonOverloaded   = "overloaded"    // the gateway is closing or its queue is full
)

// Message is a parsed event payload: what a device says happened.
type Message struct {
	Type device.EventType
	At   time.Time // zero if the device sent none
	Data map[string]any
}

// wireMessage is the JSON a device publishes:
//
//	{"type":"contact","at":"2026-03-01T10:00:00Z","data":{"open":true}}
type wireMessage struct {
	Type string          `json:"type"`
	At   string          `json:"at,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// ParseEvent parses the payload of a message published to the events topic
// of type topicType. It returns the message, or the reason it is refused
// (one of the reason* label values). It checks shape only; whether the data
// fits the type is device.ValidateData's job. It never panics, whatever
// the input (FuzzParseEvent).
func ParseEvent(topicType string, payload []byte, maxBytes int) (Message, string) {
	if len(payload) > maxBytes {
		return Message{}, reasonOversized
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var w wireMessage
	if err := dec.Decode(&w); err != nil {
		return Message{}, reasonMalformed
	}
	if len(bytes.TrimSpace(payload[dec.InputOffset():])) != 0 {
		return Message{}, reasonMalformed // something after the object
	}
	if w.Type != topicType {
		if w.Type == "" {
			return Message{}, reasonMalformed
		}
		return Message{}, reasonTypeMismatch
	}
	t := device.EventType(w.Type)
	if !t.Valid() {
		return Message{}, reasonUnknownType
	}
	m := Message{Type: t}
	if w.At != "" {
		at, err := time.Parse(time.RFC3339Nano, w.At)
		if err != nil {
			return Message{}, reasonMalformed
		}
		m.At = at.UTC()
	}
	if len(w.Data) > 0 && !bytes.Equal(w.Data, []byte("null")) {
		if err := json.Unmarshal(w.Data, &m.Data); err != nil {
			return Message{}, reasonMalformed // not an object
		}
	}
	return m, ""
}
