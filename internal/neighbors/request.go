package neighbors

import (
	"fmt"
	"math"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/identity"
	"hearth/internal/randid"
	"hearth/internal/text"
)

// RequestID identifies a Request for Assistance: "rfa_" and 26 base32 characters.
type RequestID string

// Valid reports whether id has the shape of the identifier of a request ("rfa_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id RequestID) Valid() bool { return randid.Valid("rfa", string(id)) }

// The bounds SPEC §8 sets on every request.
const (
	MinWindow = 15 * time.Minute
	MaxWindow = 12 * time.Hour
	// Areas are in square miles, measured geodesically, and compared at a
	// precision of AreaPrecision so that an area drawn to exactly a bound
	// is not refused for a rounding error in the last bit.
	MinAreaSquareMiles = 0.025
	MaxAreaSquareMiles = 0.5
	AreaPrecision      = 1e-6
)

// Limits on a request's text.
const (
	MaxIncidentTypeLength = 60
	MaxTitleLength        = 120
	MaxDescriptionLength  = 4000
	MaxCaseNumberLength   = 60
	MaxContactLength      = 200
)

// Request is a Request for Assistance: an agency asks residents of an area
// for footage of a time window. Once posted it never changes, except that
// the agency may mark it resolved.
type Request struct {
	ID            RequestID
	Agency        AgencyID
	PostedBy      identity.UserID // the officer; never shown to residents beyond the agency
	IncidentType  string
	Title         string
	Description   string
	CaseNumber    string
	Contact       string // the investigator's contact
	WindowStart   time.Time
	WindowEnd     time.Time
	Area          geo.Area
	SquareMiles   float64 // the area's geodesic size, as measured when posted
	PostedAt      time.Time
	PostedIndex   uint64 // the log entry that made it public
	ResolvedAt    time.Time
	ResolvedIndex uint64
}

// Resolved reports whether the agency has marked the request resolved.
func (r *Request) Resolved() bool { return !r.ResolvedAt.IsZero() }

// NewRequest is what an officer submits.
type NewRequest struct {
	IncidentType string
	Title        string
	Description  string
	CaseNumber   string
	Contact      string
	WindowStart  time.Time
	WindowEnd    time.Time
	Area         geo.Area
	// NotAboutLawfulActivity is the officer's attestation that the request
	// does not concern lawful activity such as a protest. Required.
	NotAboutLawfulActivity bool
}

// check returns n with its text trimmed and the area's size, or an Invalid
// error naming the first rule n breaks. now is the service's clock.
func (n NewRequest) check(now time.Time) (NewRequest, float64, error) {
	const op = "neighbors.NewRequest"
	invalid := func(msg string) (NewRequest, float64, error) {
		return n, 0, apperr.E(op, apperr.Invalid, msg)
	}
	for _, f := range []struct {
		value *string
		field text.Field
	}{
		{&n.IncidentType, text.Field{Name: "the incident type", Max: MaxIncidentTypeLength, Required: true}},
		{&n.Title, text.Field{Name: "a title", Max: MaxTitleLength, Required: true}},
		{&n.Description, text.Field{Name: "a description", Max: MaxDescriptionLength, Required: true, Multiline: true}},
		{&n.CaseNumber, text.Field{Name: "the case number of the active investigation", Max: MaxCaseNumberLength, Required: true}},
		{&n.Contact, text.Field{Name: "the investigator's contact", Max: MaxContactLength, Required: true}},
	} {
		v, err := f.field.Check(*f.value)
		if err != nil {
			return n, 0, apperr.Wrap(op, err)
		}
		*f.value = v
	}
	if !n.NotAboutLawfulActivity {
		return invalid("Attest that the request is not about lawful activity, such as a protest.")
	}
	switch window := n.WindowEnd.Sub(n.WindowStart); {
	case n.WindowStart.IsZero() || n.WindowEnd.IsZero():
		return invalid("Give the start and end of the time window.")
	case n.WindowEnd.After(now):
		return invalid("The time window cannot end in the future: ask for footage that exists.")
	case window < MinWindow:
		return invalid("The time window must be at least 15 minutes long.")
	case window > MaxWindow:
		return invalid("The time window must be at most 12 hours long.")
	}
	if err := n.Area.Validate(); err != nil {
		return n, 0, err
	}
	size := n.Area.SquareMiles()
	// Compared as whole multiples of AreaPrecision: floating-point
	// multiples of 1e-6 do not land exactly on the bounds.
	units := func(v float64) int64 { return int64(math.Round(v / AreaPrecision)) }
	switch {
	case units(size) < units(MinAreaSquareMiles):
		return invalid(fmt.Sprintf("The area is %.4f square miles; it must be at least %.3f.", size, MinAreaSquareMiles))
	case units(size) > units(MaxAreaSquareMiles):
		return invalid(fmt.Sprintf("The area is %.4f square miles; it must be at most %.1f.", size, MaxAreaSquareMiles))
	}
	return n, size, nil
}
