package legal

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth/internal/apperr"
	"hearth/internal/text"
)

// Limits on what staff enter.
const (
	MaxAgencyLength       = 120
	MaxJurisdictionLength = 120
	MaxScopeLength        = 1000
	MaxDelayOrderLength   = 120
	MaxNoteLength         = 2000
	// MaxNoticeDelay bounds how long after its receipt a demand's notice
	// may be delayed: a later date is almost surely a typing mistake, and
	// would silently keep the person from ever being told.
	MaxNoticeDelay = 10 * 365 * 24 * time.Hour
	// receivedSlack lets "today" in a time zone ahead of UTC count as today.
	receivedSlack = 14 * time.Hour
)

// earliestReceived is the earliest day a demand may be dated: an earlier
// year is a typing mistake.
var earliestReceived = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// NewDemand is what staff enter to record a demand.
type NewDemand struct {
	Type         Type
	Agency       string
	Jurisdiction string
	Scope        string
	// ReceivedOn is the day the demand was received; only the date counts.
	ReceivedOn time.Time
	// AccountEmail names the account concerned.
	AccountEmail string
	OwnerConsent bool
	// DelayOrder and DelayUntil record a court order delaying the notice
	// to the person: both, or neither.
	DelayOrder string
	DelayUntil time.Time
}

// Decision is how staff answer a demand.
type Decision struct {
	Outcome  Outcome
	Produced []Category
	Note     string
	// OwnerConsent records that the owner has consented since the demand
	// was recorded; false leaves what was recorded.
	OwnerConsent bool
	// DelayOrder and DelayUntil record a court order delaying the notice,
	// received since the demand was recorded: both, or neither (which
	// leaves what was recorded).
	DelayOrder string
	DelayUntil time.Time
}

func invalid(op, msg string) error { return apperr.E(op, apperr.Invalid, msg) }

// checkText checks *v by the rule of display text f and trims it.
func checkText(op string, v *string, f text.Field) error {
	s, err := f.Check(*v)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	*v = s
	return nil
}

// day returns t's date at 00:00 UTC.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// check returns n with its text trimmed and its dates reduced to days, or
// an Invalid error naming the first rule it breaks. now is the service's clock.
func (n NewDemand) check(now time.Time) (NewDemand, error) {
	const op = "legal.NewDemand"
	if !n.Type.Valid() {
		return n, invalid(op, "Choose the type of demand: subpoena, search_warrant, court_order, emergency or foreign.")
	}
	for _, f := range []struct {
		v     *string
		field text.Field
	}{
		{&n.Agency, text.Field{Name: "the requesting agency's name", Max: MaxAgencyLength, Required: true}},
		{&n.Jurisdiction, text.Field{Name: "the jurisdiction the demand comes from", Max: MaxJurisdictionLength, Required: true}},
		{&n.Scope, text.Field{Name: "the demand's scope (what it asks for)", Max: MaxScopeLength, Required: true, Multiline: true}},
	} {
		if err := checkText(op, f.v, f.field); err != nil {
			return n, err
		}
	}
	if n.ReceivedOn.IsZero() {
		return n, invalid(op, "Give the date the demand was received.")
	}
	n.ReceivedOn = day(n.ReceivedOn)
	switch {
	case n.ReceivedOn.After(now.Add(receivedSlack)):
		return n, invalid(op, "The date received cannot be in the future.")
	case n.ReceivedOn.Before(earliestReceived):
		return n, invalid(op, "The date received must be in the year 2000 or later.")
	}
	if err := text.Plain("the e-mail address", n.AccountEmail); err != nil {
		return n, apperr.Wrap(op, err)
	}
	if strings.TrimSpace(n.AccountEmail) == "" {
		return n, invalid(op, "Give the e-mail address of the account the demand concerns.")
	}
	var err error
	n.DelayOrder, n.DelayUntil, err = checkDelay(op, n.DelayOrder, n.DelayUntil, n.ReceivedOn)
	return n, err
}

// checkDelay checks a notice delay for a demand received on received:
// a court order's reference and a date after the day received, both or
// neither. It returns them trimmed, the date reduced to a day.
func checkDelay(op, order string, until, received time.Time) (string, time.Time, error) {
	if err := checkText(op, &order, text.Field{Name: "the reference of the court order delaying notice", Max: MaxDelayOrderLength}); err != nil {
		return "", time.Time{}, err
	}
	switch {
	case order == "" && until.IsZero():
		return "", time.Time{}, nil
	case order == "":
		return "", time.Time{}, invalid(op, "Notice may be delayed only by a court order: give the order's reference with the date.")
	case until.IsZero():
		return "", time.Time{}, invalid(op, "Give the date until which the court order delays notice.")
	}
	until = day(until)
	switch {
	case !until.After(received):
		return "", time.Time{}, invalid(op, "The date notice is delayed to must be after the date the demand was received.")
	case until.Sub(received) > MaxNoticeDelay:
		return "", time.Time{}, invalid(op, "A notice delay of more than ten years after receipt is not accepted; check the date.")
	}
	return order, until, nil
}

// apply checks dec against d and returns d as decided by it (without who
// and when), or an Invalid error naming the first rule it breaks.
func (dec Decision) apply(d Demand) (Demand, error) {
	const op = "legal.Decision"
	switch dec.Outcome {
	case Rejected, Partial, Full:
	default:
		return d, invalid(op, "Choose the outcome: rejected, partial or full.")
	}
	if err := checkText(op, &dec.Note, text.Field{Name: "the note", Max: MaxNoteLength, Multiline: true}); err != nil {
		return d, err
	}
	if dec.OwnerConsent {
		d.OwnerConsent = true
	}
	if dec.DelayOrder != "" || !dec.DelayUntil.IsZero() {
		order, until, err := checkDelay(op, dec.DelayOrder, dec.DelayUntil, d.ReceivedAt)
		if err != nil {
			return d, err
		}
		d.DelayOrder, d.DelayUntil = order, until
	}
	seen := map[Category]bool{}
	for _, c := range dec.Produced {
		c, err := ParseCategory(string(c))
		if err != nil {
			return d, err
		}
		if !d.Type.Yields(c, d.OwnerConsent) {
			return d, invalid(op, refusal(d.Type, c))
		}
		seen[c] = true
	}
	produced := make([]Category, 0, len(seen))
	for _, c := range Categories {
		if seen[c] {
			produced = append(produced, c)
		}
	}
	switch {
	case dec.Outcome == Rejected && len(produced) > 0:
		return d, invalid(op, "A rejected demand produces nothing: clear what was produced, or choose partial or full.")
	case dec.Outcome != Rejected && len(produced) == 0:
		return d, invalid(op, "Say what was produced: complying with a demand, even in part, produces at least one kind of data.")
	}
	d.Outcome, d.Produced, d.Note = dec.Outcome, produced, dec.Note
	return d, nil
}

// refusal says why a demand of type t may not yield c.
func refusal(t Type, c Category) string {
	if c == Ciphertext {
		return fmt.Sprintf("%s cannot yield encrypted media: that needs a search warrant or the owner's recorded consent (and even then Hearth produces ciphertext only).", withArticle(t))
	}
	allowed := t.Allowed(false)
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = a.Label()
	}
	return fmt.Sprintf("%s can yield %s only, not %s.", withArticle(t), strings.Join(names, " and "), c.Label())
}

// withArticle is "A subpoena", "An emergency request", ….
func withArticle(t Type) string {
	l := strings.ToLower(t.Label())
	if l != "" && strings.ContainsRune("aeiou", rune(l[0])) {
		return "An " + l
	}
	return "A " + l
}

// trimForMessage shortens what someone typed before it is quoted back.
func trimForMessage(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
