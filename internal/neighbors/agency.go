package neighbors

import (
	"strings"
	"time"
	"unicode/utf8"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// AgencyID identifies an agency: "ag_" and 26 base32 characters.
type AgencyID string

// AgencyKind is the public-safety service an agency provides.
type AgencyKind string

// Agency kinds.
const (
	AgencyPolice    AgencyKind = "police"
	AgencyFire      AgencyKind = "fire"
	AgencyMedical   AgencyKind = "medical"
	AgencyEmergency AgencyKind = "emergency_management"
)

// AgencyKinds lists every agency kind.
var AgencyKinds = []AgencyKind{AgencyPolice, AgencyFire, AgencyMedical, AgencyEmergency}

// Valid reports whether k is a known kind.
func (k AgencyKind) Valid() bool {
	for _, x := range AgencyKinds {
		if k == x {
			return true
		}
	}
	return false
}

// Agency is a public-safety agency. It may post requests only once an
// administrator has verified it.
type Agency struct {
	ID           AgencyID
	Name         string
	Jurisdiction string
	Kind         AgencyKind
	// Recipient is the agency's age recipient: residents' browsers wrap
	// the clips they submit for it. "" until an officer sets it.
	Recipient    string
	RegisteredBy identity.UserID
	RegisteredAt time.Time
	VerifiedBy   identity.UserID // "" while pending
	VerifiedAt   time.Time
}

// Verified reports whether an administrator has verified the agency.
func (a *Agency) Verified() bool { return !a.VerifiedAt.IsZero() }

// NewAgency is what an officer enters to register an agency.
type NewAgency struct {
	Name         string
	Jurisdiction string
	Kind         AgencyKind
}

// Limits on what an agency or a request may say.
const (
	MaxAgencyNameLength   = 120
	MaxJurisdictionLength = 120
)

func (n NewAgency) validate() (NewAgency, error) {
	const op = "neighbors.NewAgency"
	n.Name, n.Jurisdiction = strings.TrimSpace(n.Name), strings.TrimSpace(n.Jurisdiction)
	switch {
	case !utf8.ValidString(n.Name) || !utf8.ValidString(n.Jurisdiction):
		return n, apperr.E(op, apperr.Invalid, "The name and jurisdiction must be valid text.")
	case n.Name == "" || utf8.RuneCountInString(n.Name) > MaxAgencyNameLength:
		return n, apperr.E(op, apperr.Invalid, "Give the agency's name, at most 120 characters.")
	case n.Jurisdiction == "" || utf8.RuneCountInString(n.Jurisdiction) > MaxJurisdictionLength:
		return n, apperr.E(op, apperr.Invalid, "Give the agency's jurisdiction (the area it serves), at most 120 characters.")
	case !n.Kind.Valid():
		return n, apperr.E(op, apperr.Invalid, "Choose the agency's kind: police, fire, medical or emergency_management.")
	}
	return n, nil
}
