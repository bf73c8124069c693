package neighbors

import (
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/randid"
	"hearth/internal/text"
)

// AgencyID identifies an agency: "ag_" and 26 base32 characters.
type AgencyID string

// Valid reports whether id has the shape of the identifier of an agency ("ag_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id AgencyID) Valid() bool { return randid.Valid("ag", string(id)) }

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
	var err error
	if n.Name, err = (text.Field{Name: "the agency's name", Max: MaxAgencyNameLength, Required: true}).Check(n.Name); err != nil {
		return n, apperr.Wrap(op, err)
	}
	if n.Jurisdiction, err = (text.Field{Name: "the agency's jurisdiction (the area it serves)", Max: MaxJurisdictionLength, Required: true}).Check(n.Jurisdiction); err != nil {
		return n, apperr.Wrap(op, err)
	}
	switch {
	case !n.Kind.Valid():
		return n, apperr.E(op, apperr.Invalid, "Choose the agency's kind: police, fire, medical or emergency_management.")
	}
	return n, nil
}
