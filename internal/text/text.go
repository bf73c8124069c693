package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"hearth/internal/apperr"
)

// Field describes one field of display text and the rule it follows.
type Field struct {
	// Name is how messages call the field, e.g. "the case number".
	Name string
	// Max is the most characters (runes) the field may hold, after trimming.
	Max int
	// Required fields need at least one visible character.
	Required bool
	// Multiline fields may hold line breaks and tabs; line breaks are
	// stored as "\n" whatever the browser sent.
	Multiline bool
}

// Check returns s with surrounding white space trimmed (and, in a
// multi-line field, line breaks as "\n"), or Invalid with a message naming
// the field when s is not valid UTF-8, holds a control, zero-width or
// bidirectional formatting character, is longer than f.Max characters, or
// is required and has no visible character.
func (f Field) Check(s string) (string, error) {
	const op = "text.Check"
	if !utf8.ValidString(s) {
		return s, apperr.E(op, apperr.Invalid, fmt.Sprintf("%s is not valid text (it must be UTF-8).", upper(f.Name)))
	}
	if f.Multiline && strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	s = strings.TrimSpace(s)
	visible := false
	for _, r := range s {
		if f.Multiline && (r == '\n' || r == '\t') {
			continue
		}
		if why := refused(r); why != "" {
			msg := fmt.Sprintf("%s contains %s (%U); remove it.", upper(f.Name), why, r)
			if r > 0xa0 {
				msg = fmt.Sprintf("%s contains %s (%U), which would hide or disguise what it says; remove it.", upper(f.Name), why, r)
			}
			return s, apperr.E(op, apperr.Invalid, msg)
		}
		visible = visible || isVisible(r)
	}
	switch {
	case f.Required && !visible:
		return s, apperr.E(op, apperr.Invalid, fmt.Sprintf("Give %s.", f.Name))
	case utf8.RuneCountInString(s) > f.Max:
		return s, apperr.E(op, apperr.Invalid, fmt.Sprintf("Give %s in at most %d characters.", f.Name, f.Max))
	}
	return s, nil
}

// Plain checks text that is not shown to others as typed, such as an
// e-mail address, a password or a code: it must be valid UTF-8 and hold no
// NUL character, which no database stores faithfully. Invalid, naming the
// field, otherwise.
func Plain(name, s string) error {
	const op = "text.Plain"
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return apperr.E(op, apperr.Invalid, fmt.Sprintf("%s is not valid text.", upper(name)))
	}
	return nil
}

// refused names the kind of r when display text may not hold it, and is ""
// otherwise.
func refused(r rune) string {
	switch {
	case r < 0x20 || r >= 0x7f && r < 0xa0:
		return "a control character"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff:
		return "a zero-width character"
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return "a bidirectional formatting character"
	}
	return ""
}

// isVisible reports whether r leaves a mark: a letter, mark, number,
// punctuation or symbol, save the few letters that are drawn blank.
func isVisible(r rune) bool {
	switch r {
	case 0x115f, 0x1160, 0x3164, 0xffa0, 0x2800: // Hangul fillers, blank Braille pattern
		return false
	}
	return unicode.IsGraphic(r) && !unicode.IsSpace(r)
}

// upper returns name with its first letter upper-cased, to start a sentence.
func upper(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}
