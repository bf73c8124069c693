package translog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"hearth/internal/apperr"
)

// EntryType names what an entry records, e.g. "access.read". It is lowercase
// ASCII: dot-separated words of letters, digits, '_' and '-', each starting
// with a letter, at most 64 bytes.
type EntryType string

// maxTypeLen bounds EntryType so that a type can never dominate an entry.
const maxTypeLen = 64

// Valid reports whether t is a well-formed entry type.
func (t EntryType) Valid() bool {
	if len(t) == 0 || len(t) > maxTypeLen {
		return false
	}
	wordStart := true
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z':
		case wordStart:
			return false // a word starts with a letter
		case c >= '0' && c <= '9', c == '_', c == '-':
		case c == '.':
			wordStart = true
			continue
		default:
			return false
		}
		wordStart = false
	}
	return !wordStart // no trailing dot
}

// Entry is one log record. Body must marshal to a JSON object.
type Entry struct {
	Type EntryType
	Time time.Time
	Body any
}

// RawEntry is an entry read back from the log.
type RawEntry struct {
	Type EntryType       `json:"type"`
	Time time.Time       `json:"time"`
	Body json.RawMessage `json:"body"`
}

// Entry returns r as an Entry, e.g. to compute its canonical form again.
func (r RawEntry) Entry() Entry { return Entry{Type: r.Type, Time: r.Time, Body: r.Body} }

// timeLayout is RFC 3339 in UTC with exactly three fractional digits: a
// fixed width keeps the canonical form unique.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Canonical returns the entry's canonical JSON:
//
//	{"body":{...},"time":"2026-03-01T10:00:00.123Z","type":"..."}
//
// Object keys are sorted by their UTF-8 bytes at every depth; there is no
// insignificant whitespace; strings escape only '"', '\\' and control
// characters (\b \f \n \r \t, else \u00xx), so '<', '>' and '&' stay literal;
// numbers are kept exactly as the body spelled them; the time is truncated to
// the millisecond. It fails with Invalid if Type is malformed, Time is zero or
// outside years 0000–9999, or Body is not a JSON object.
func Canonical(e Entry) ([]byte, error) {
	const op = "translog.Canonical"
	if err := checkHeader(e.Type, e.Time); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	var raw []byte
	var err error
	switch b := e.Body.(type) {
	case map[string]any:
		if out, ok := appendPlain(header(e, len(b)*32), b); ok {
			return trailer(out, e), nil
		}
		if raw, err = json.Marshal(b); err != nil {
			return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "entry body does not marshal to JSON", Err: err}
		}
	case json.RawMessage:
		raw = b
	case nil:
		return nil, apperr.E(op, apperr.Invalid, "entry body is missing")
	default:
		if raw, err = json.Marshal(b); err != nil {
			return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "entry body does not marshal to JSON", Err: err}
		}
	}
	body, err := decodeObject(raw)
	if err != nil {
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "entry body is not a JSON object", Err: err}
	}
	return trailer(appendValue(header(e, len(raw)), body), e), nil
}

func header(e Entry, bodySize int) []byte {
	out := make([]byte, 0, bodySize+len(e.Type)+64)
	return append(out, `{"body":`...)
}

func trailer(out []byte, e Entry) []byte {
	out = append(out, `,"time":"`...)
	out = e.Time.UTC().AppendFormat(out, timeLayout)
	out = append(out, `","type":`...)
	out = appendString(out, string(e.Type))
	return append(out, '}')
}

// appendPlain encodes the common body made of maps, slices, strings,
// booleans, nulls and integers directly, as the JSON round trip would. It
// reports false for anything else (floats, invalid UTF-8, other types),
// which then takes the general path.
func appendPlain(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case bool:
		return appendValue(b, v), true
	case string:
		if !utf8.ValidString(v) {
			return b, false
		}
		return appendString(b, v), true
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case int64:
		return strconv.AppendInt(b, v, 10), true
	case uint64:
		return strconv.AppendUint(b, v, 10), true
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendPlain(b, x); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			if !utf8.ValidString(k) {
				return b, false
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendPlain(b, v[k]); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// ParseEntry parses an entry read from the log. It accepts any JSON object
// with exactly the fields type, time (RFC 3339) and body (an object), and
// fails with Invalid otherwise. It does not require canonical form; compare
// with Canonical(r.Entry()) for that.
func ParseEntry(b []byte) (RawEntry, error) {
	const op = "translog.ParseEntry"
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r RawEntry
	if err := dec.Decode(&r); err != nil {
		return RawEntry{}, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "entry is not a JSON object with type, time and body", Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return RawEntry{}, apperr.E(op, apperr.Invalid, "entry has data after its JSON object")
	}
	if err := checkHeader(r.Type, r.Time); err != nil {
		return RawEntry{}, apperr.Wrap(op, err)
	}
	if i := bytes.IndexFunc(r.Body, func(c rune) bool { return c != ' ' && c != '\t' && c != '\n' && c != '\r' }); i < 0 || r.Body[i] != '{' {
		return RawEntry{}, apperr.E(op, apperr.Invalid, "entry body is not a JSON object")
	}
	return r, nil
}

// checkHeader holds the rules Canonical and ParseEntry share, so that every
// parsed entry has a canonical form.
func checkHeader(t EntryType, at time.Time) error {
	if !t.Valid() {
		return apperr.E("", apperr.Invalid, "entry type must be lowercase dot-separated words, e.g. access.read")
	}
	if at.IsZero() {
		return apperr.E("", apperr.Invalid, "entry time is missing")
	}
	if y := at.UTC().Year(); y < 0 || y > 9999 {
		return apperr.E("", apperr.Invalid, "entry time is outside years 0000-9999")
	}
	return nil
}

// decodeObject decodes exactly one JSON object, keeping numbers as written.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	return m, nil
}

// appendValue appends the canonical encoding of a value produced by a
// json.Decoder with UseNumber.
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case json.Number:
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, x)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendValue(b, v[k])
		}
		return append(b, '}')
	}
	// json.Decoder produces no other types.
	panic("translog: unexpected JSON value type")
}

// appendString appends s as a JSON string. s is valid UTF-8 (the decoder
// replaces invalid bytes with U+FFFD), so only quotes, backslashes and
// control characters need escaping.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
