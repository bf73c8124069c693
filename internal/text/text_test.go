package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"hearth/internal/apperr"
)

func TestCheck(t *testing.T) {
	line := Field{Name: "the case number", Max: 10, Required: true}
	optional := Field{Name: "the note", Max: 10}
	block := Field{Name: "the description", Max: 20, Required: true, Multiline: true}
	for _, tc := range []struct {
		name  string
		field Field
		in    string
		want  string // the checked text, or the start of the error message
		ok    bool
	}{
		{"OK", line, "  2026-0042 ", "2026-0042", true},
		{"OKAccents", line, "Café № 7", "Café № 7", true},
		{"OKEmoji", line, "🚒", "🚒", true},
		{"OKOptionalEmpty", optional, "   ", "", true},
		{"OKLineBreaks", block, "one\r\ntwo\rthree\tfour", "one\ntwo\nthree\tfour", true},
		{"OKAtMax", line, strings.Repeat("é", 10), strings.Repeat("é", 10), true},
		{"ErrEmpty", line, "", "Give the case number.", false},
		{"ErrSpaces", line, " \u00a0\u3000 ", "Give the case number.", false},
		{"ErrHangulFiller", line, "\u3164", "Give the case number.", false},
		{"ErrTooLong", line, strings.Repeat("é", 11), "Give the case number in at most 10 characters.", false},
		{"ErrNUL", line, "12\x0034", "The case number contains a control character (U+0000)", false},
		{"ErrNULOptional", optional, "\x00", "The note contains a control character (U+0000)", false},
		{"ErrC1", line, "12\u008534", "The case number contains a control character (U+0085)", false},
		{"ErrNewlineInLine", line, "12\n34", "The case number contains a control character (U+000A)", false},
		{"ErrEscape", block, "red\x1b[31m", "The description contains a control character (U+001B)", false},
		{"ErrLineSeparator", line, "a\u2028b", "The case number contains a line or paragraph separator", false},
		{"ErrZeroWidthOnly", line, "\u200b", "The case number contains a zero-width character (U+200B)", false},
		{"ErrZeroWidthJoiner", line, "a\u200db", "The case number contains a zero-width character (U+200D)", false},
		{"ErrWordJoiner", line, "a\u2060b", "The case number contains a zero-width character (U+2060)", false},
		{"ErrByteOrderMark", line, "\ufeffab", "The case number contains a zero-width character (U+FEFF)", false},
		{"ErrRightToLeftOverride", line, "abc\u202etxt.exe", "The case number contains a bidirectional formatting character (U+202E)", false},
		{"ErrIsolate", block, "x\u2067y", "The description contains a bidirectional formatting character (U+2067)", false},
		{"ErrMark", line, "\u200fab", "The case number contains a bidirectional formatting character (U+200F)", false},
		{"ErrArabicMark", line, "a\u061cb", "The case number contains a bidirectional formatting character (U+061C)", false},
		{"ErrInvalidUTF8", line, "ab\xffcd", "The case number is not valid text (it must be UTF-8).", false},
		{"ErrSurrogate", optional, "\xed\xa0\x80", "The note is not valid text", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.field.Check(tc.in)
			if tc.ok {
				if err != nil || got != tc.want {
					t.Fatalf("Check(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid) || !strings.HasPrefix(apperr.MessageOf(err), tc.want) {
				t.Fatalf("Check(%q) = %q, %v; want Invalid %q…", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestPlain(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"OK", "ana@example.org", true},
		{"OKSpacesAndMarks", " pass\u200bword\n", true},
		{"ErrNUL", "ana\x00@example.org", false},
		{"ErrInvalidUTF8", "\xff", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Plain("the e-mail address", tc.in)
			if tc.ok != (err == nil) || err != nil && (!apperr.Is(err, apperr.Invalid) || apperr.MessageOf(err) != "The e-mail address is not valid text.") {
				t.Fatalf("Plain(%q) = %v", tc.in, err)
			}
		})
	}
}

// FuzzCheck holds Check to what it promises for any input: no panic, and
// text it accepts is trimmed valid UTF-8 within the limit, free of refused
// characters, visible when required, and accepted again unchanged.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", " a ", "a\u202eb", "\x00", "\xff", "a\r\nb", "\u200b", "\u3164", "\t\n", "é"} {
		f.Add(s, true, false)
		f.Add(s, false, true)
	}
	f.Fuzz(func(t *testing.T, s string, required, multiline bool) {
		fd := Field{Name: "the field", Max: 16, Required: required, Multiline: multiline}
		got, err := fd.Check(s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(strings.ToLower(apperr.MessageOf(err)), "the field") {
				t.Fatalf("Check(%q) error %v does not name the field as Invalid", s, err)
			}
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > fd.Max || got != strings.TrimSpace(got) {
			t.Fatalf("Check(%q) accepted %q", s, got)
		}
		visible := false
		for _, r := range got {
			if multiline && (r == '\n' || r == '\t') {
				continue
			}
			if refused(r) != "" || r == '\r' {
				t.Fatalf("Check(%q) let %U through", s, r)
			}
			visible = visible || isVisible(r)
		}
		if required && !visible {
			t.Fatalf("Check(%q) accepted %q with nothing visible", s, got)
		}
		if again, err := fd.Check(got); err != nil || again != got {
			t.Fatalf("Check(%q) = %q, but Check(%q) = %q, %v", s, got, got, again, err)
		}
	})
}
