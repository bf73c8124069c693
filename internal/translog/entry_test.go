package translog

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	const tail = `,"time":"2026-03-01T10:00:00.123Z","type":"access.read"}`
	type object struct {
		Zeta  string `json:"zeta"`
		Alpha int    `json:"alpha,omitempty"`
	}
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"KeysSorted", map[string]any{"b": 1, "a": 2, "B": 3}, `{"body":{"B":3,"a":2,"b":1}`},
		{"Nested", map[string]any{"z": map[string]any{"y": []any{map[string]any{"b": 1, "a": nil}}, "x": true}},
			`{"body":{"z":{"x":true,"y":[{"a":null,"b":1}]}}`},
		{"NoHTMLEscaping", map[string]any{"s": "<a href=\"x\">&</a>"}, `{"body":{"s":"<a href=\"x\">&</a>"}`},
		{"UnicodeLiteral", map[string]any{"s": "é\u2028☃"}, "{\"body\":{\"s\":\"é\u2028☃\"}"},
		{"ControlCharacters", map[string]any{"s": "a\nb\tc\x01\x7f\\"}, `{"body":{"s":"a\nb\tc\u0001` + "\x7f" + `\\"}`},
		{"NumbersKept", json.RawMessage(`{"n": 1.50, "m": 1E+3, "big": 123456789012345678901234567890, "neg": -0}`),
			`{"body":{"big":123456789012345678901234567890,"m":1E+3,"n":1.50,"neg":-0}`},
		{"Struct", object{Zeta: "z", Alpha: 1}, `{"body":{"alpha":1,"zeta":"z"}`},
		{"EmptyObject", map[string]string{}, `{"body":{}`},
		{"RawWithWhitespace", json.RawMessage("{ \"b\" : [ 1 , 2 ] ,\n \"a\" : {} }"), `{"body":{"a":{},"b":[1,2]}`},
		{"EscapesNormalised", json.RawMessage(`{"s":"\u003c\/\u00e9"}`), `{"body":{"s":"</é"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical(Entry{Type: "access.read", Time: testTime, Body: tc.body})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want+tail, string(got)); diff != "" {
				t.Errorf("Canonical (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonicalTime(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	got, err := Canonical(Entry{Type: "x", Time: time.Date(2026, 3, 1, 11, 0, 0, 123_999_999, paris), Body: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"body":{},"time":"2026-03-01T10:00:00.123Z","type":"x"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestCanonicalErrors(t *testing.T) {
	t.Parallel()
	body := map[string]any{"a": 1}
	for _, tc := range []struct {
		name string
		e    Entry
	}{
		{"ErrEmptyType", Entry{Time: testTime, Body: body}},
		{"ErrUppercaseType", Entry{Type: "Access.read", Time: testTime, Body: body}},
		{"ErrEmptyWord", Entry{Type: "access..read", Time: testTime, Body: body}},
		{"ErrTrailingDot", Entry{Type: "access.", Time: testTime, Body: body}},
		{"ErrWordStartsWithDigit", Entry{Type: "access.1read", Time: testTime, Body: body}},
		{"ErrSpaceInType", Entry{Type: "access read", Time: testTime, Body: body}},
		{"ErrZeroTime", Entry{Type: "access.read", Body: body}},
		{"ErrYearTooLarge", Entry{Type: "access.read", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Body: body}},
		{"ErrNilBody", Entry{Type: "access.read", Time: testTime}},
		{"ErrArrayBody", Entry{Type: "access.read", Time: testTime, Body: []int{1}}},
		{"ErrStringBody", Entry{Type: "access.read", Time: testTime, Body: "x"}},
		{"ErrNullBody", Entry{Type: "access.read", Time: testTime, Body: json.RawMessage("null")}},
		{"ErrInvalidRaw", Entry{Type: "access.read", Time: testTime, Body: json.RawMessage(`{"a":}`)}},
		{"ErrTrailingRaw", Entry{Type: "access.read", Time: testTime, Body: json.RawMessage(`{"a":1} {}`)}},
		{"ErrUnmarshalable", Entry{Type: "access.read", Time: testTime, Body: map[string]any{"f": func() {}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Canonical(tc.e)
			wantCode(t, err, apperr.Invalid)
		})
	}
}

func TestParseEntry(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		in := []byte(` {"type":"access.read", "time":"2026-03-01T11:00:00.123+01:00", "body":{"b":1,"a":"<"}} `)
		r, err := ParseEntry(in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Type != "access.read" || !r.Time.Equal(testTime) || string(r.Body) != `{"b":1,"a":"<"}` {
			t.Fatalf("ParseEntry = %+v", r)
		}
		got, err := Canonical(r.Entry())
		if err != nil {
			t.Fatal(err)
		}
		want := `{"body":{"a":"<","b":1},"time":"2026-03-01T10:00:00.123Z","type":"access.read"}`
		if string(got) != want {
			t.Errorf("canonical form %s, want %s", got, want)
		}
	})
	for _, tc := range []struct{ name, in string }{
		{"ErrNotJSON", `hello`},
		{"ErrArray", `[]`},
		{"ErrUnknownField", `{"type":"a","time":"2026-03-01T10:00:00Z","body":{},"extra":1}`},
		{"ErrNoBody", `{"type":"a","time":"2026-03-01T10:00:00Z"}`},
		{"ErrArrayBody", `{"type":"a","time":"2026-03-01T10:00:00Z","body":[]}`},
		{"ErrNullBody", `{"type":"a","time":"2026-03-01T10:00:00Z","body":null}`},
		{"ErrNoTime", `{"type":"a","body":{}}`},
		{"ErrZeroTime", `{"type":"a","time":"0001-01-01T00:00:00Z","body":{}}`},
		{"ErrBadTime", `{"type":"a","time":"yesterday","body":{}}`},
		{"ErrBadType", `{"type":"A B","time":"2026-03-01T10:00:00Z","body":{}}`},
		{"ErrTrailingData", `{"type":"a","time":"2026-03-01T10:00:00Z","body":{}} x`},
		{"ErrSecondObject", `{"type":"a","time":"2026-03-01T10:00:00Z","body":{}}{}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEntry([]byte(tc.in))
			wantCode(t, err, apperr.Invalid)
		})
	}
}

// FuzzParseEntry checks that ParseEntry never panics, that whatever it
// accepts has a canonical form, and that canonical forms are fixed points:
// Canonical(ParseEntry(c)) == c.
func FuzzParseEntry(f *testing.F) {
	f.Add([]byte(`{"body":{"a":"<","b":1},"time":"2026-03-01T10:00:00.123Z","type":"access.read"}`))
	f.Add([]byte(`{"type":"x.y","time":"2026-03-01T10:00:00+14:00","body":{"n":1e400,"s":"\ud800","z":[{},null,true]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := ParseEntry(in)
		if err != nil {
			return
		}
		c, err := Canonical(r.Entry())
		if err != nil {
			t.Fatalf("parsed entry has no canonical form: %v", err)
		}
		r2, err := ParseEntry(c)
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", c, err)
		}
		c2, err := Canonical(r2.Entry())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c, c2) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", c, c2)
		}
	})
}

func TestEntryTypeValid(t *testing.T) {
	t.Parallel()
	for typ, want := range map[EntryType]bool{
		"access.read": true, "access.grant.requested": true, "a": true, "a_b-c.d9": true,
		"": false, ".a": false, "a.": false, "a..b": false, "A": false, "é": false, "a/b": false,
		EntryType(bytes.Repeat([]byte("a"), 65)): false,
	} {
		if got := typ.Valid(); got != want {
			t.Errorf("%q.Valid() = %v, want %v", typ, got, want)
		}
	}
}

// TestCanonicalPlainBodies checks that the direct encoding of plain map
// bodies gives the same bytes as the general JSON round trip.
func TestCanonicalPlainBodies(t *testing.T) {
	t.Parallel()
	for i, body := range []map[string]any{
		{},
		{"a": "x", "b": true, "c": false, "d": nil, "e": 1, "f": int64(-9223372036854775808), "g": uint64(18446744073709551615)},
		{"html": "<&>", "ctl": "\x00\x1f\t\n\r\b\f", "uni": "é\u2028\u2029☃\U0001F600", "q": `"\`, "del": "\x7f"},
		{"nested": map[string]any{"z": []any{1, "two", nil, []any{}, map[string]any{"k": "v"}}, "a": map[string]any{}}},
		{"é": 1, "e": 2, "E": 3, "": 4, "a b": 5},
		// These take the general path.
		{"float": 1.5, "bad": "\xff\xfe", "n": json.Number("1e3")},
		{"\xff": "bad key"},
		{"mixed": []any{1, 2.5}, "t": map[string]any{"s": []string{"x"}}},
	} {
		got, err := Canonical(Entry{Type: "t", Time: testTime, Body: body})
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Canonical(Entry{Type: "t", Time: testTime, Body: json.RawMessage(raw)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d: direct encoding\n%s\ndiffers from the round trip\n%s", i, got, want)
		}
	}
}
