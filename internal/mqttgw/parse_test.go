package mqttgw

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/device"
)

func TestParseEvent(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 500, time.UTC)
	for _, tc := range []struct {
		name, topicType, payload string
		want                     Message
		reason                   string
	}{
		{"OK", "motion", `{"type":"motion"}`, Message{Type: device.EventMotion}, ""},
		{"OKFull", "contact", ` {"type":"contact","at":"2026-03-01T11:00:00.0000005+01:00","data":{"open":true}} ` + "\n",
			Message{Type: device.EventContact, At: at, Data: map[string]any{"open": true}}, ""},
		{"NullData", "ding", `{"type":"ding","data":null}`, Message{Type: device.EventDing}, ""},
		{"Empty", "motion", ``, Message{}, reasonMalformed},
		{"NoType", "motion", `{}`, Message{}, reasonMalformed},
		{"Null", "motion", `null`, Message{}, reasonMalformed},
		{"Trailing", "motion", `{"type":"motion"}{"type":"motion"}`, Message{}, reasonMalformed},
		{"TrailingBracket", "motion", `{"type":"motion"}]`, Message{}, reasonMalformed},
		{"UnknownField", "motion", `{"type":"motion","extra":1}`, Message{}, reasonMalformed},
		{"DataNotObject", "motion", `{"type":"motion","data":[1]}`, Message{}, reasonMalformed},
		{"BadAt", "motion", `{"type":"motion","at":"1 March"}`, Message{}, reasonMalformed},
		{"TypeNotString", "motion", `{"type":1}`, Message{}, reasonMalformed},
		{"Mismatch", "motion", `{"type":"ding"}`, Message{}, reasonTypeMismatch},
		{"Unknown", "smoke", `{"type":"smoke"}`, Message{}, reasonUnknownType},
		{"Oversized", "motion", `{"type":"motion","data":{"zone":"` + strings.Repeat("x", 100) + `"}}`, Message{}, reasonOversized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := ParseEvent(tc.topicType, []byte(tc.payload), 100)
			if reason != tc.reason {
				t.Fatalf("reason %q, want %q", reason, tc.reason)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitEventsTopic(t *testing.T) {
	for topic, want := range map[string]bool{
		"hearth/d/d_abc/events/motion":   true,
		"hearth/d/d_abc/events/":         false,
		"hearth/d//events/motion":        false,
		"hearth/d/d_abc/events/motion/x": false,
		"hearth/d/+/events/motion":       false,
		"hearth/d/d_abc/events/#":        false,
		"hearth/d/a/b/events/motion":     false,
		"hearth/d/d_abc/commands/reboot": false,
		"x/hearth/d/d_abc/events/motion": false,
	} {
		if _, _, ok := splitEventsTopic(topic); ok != want {
			t.Errorf("splitEventsTopic(%q) ok = %v, want %v", topic, ok, want)
		}
	}
}

// FuzzParseEvent checks that no payload makes the parser panic, and that
// whatever it accepts is an event of the topic's type that fits the limit.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		`{"type":"motion","at":"2026-03-01T10:00:00Z","data":{"zone":"porch"}}`,
		`{"type":"battery","data":{"percent":42}}`,
		`{"type":"contact","data":{"open":false}}`,
		`{"type":"motion"} `,
		`{"type":"motion","data":{"a":{"b":[1,2,{"c":null}]}}}`,
		`{"type":"\u006dotion"}`,
		`[`, ``,
	} {
		f.Add("motion", []byte(s))
	}
	f.Fuzz(func(t *testing.T, topicType string, payload []byte) {
		m, reason := ParseEvent(topicType, payload, 512)
		if reason != "" {
			if m.Type != "" || m.Data != nil {
				t.Errorf("refused (%s) but returned %+v", reason, m)
			}
			return
		}
		if len(payload) > 512 {
			t.Errorf("accepted %d bytes over the limit", len(payload))
		}
		if string(m.Type) != topicType || !m.Type.Valid() {
			t.Errorf("accepted type %q on topic type %q", m.Type, topicType)
		}
	})
}
