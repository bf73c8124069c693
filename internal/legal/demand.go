package legal

import (
	"fmt"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/randid"
)

// DemandID identifies a legal demand: "ld_" and 26 base32 characters.
type DemandID string

// Valid reports whether id has the shape of the identifier of a legal demand ("ld_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id DemandID) Valid() bool { return randid.Valid("ld", string(id)) }

// Type is the legal instrument a demand comes under.
type Type string

// Types of demand.
const (
	Subpoena      Type = "subpoena"
	SearchWarrant Type = "search_warrant"
	CourtOrder    Type = "court_order"
	Emergency     Type = "emergency"
	Foreign       Type = "foreign"
)

// Types lists every type, in the order reports show them.
var Types = []Type{Subpoena, SearchWarrant, CourtOrder, Emergency, Foreign}

// Valid reports whether t is a known type.
func (t Type) Valid() bool {
	_, ok := yields[t]
	return ok
}

// Label is the type's name for people.
func (t Type) Label() string {
	switch t {
	case Subpoena:
		return "Subpoena"
	case SearchWarrant:
		return "Search warrant"
	case CourtOrder:
		return "Court order"
	case Emergency:
		return "Emergency request"
	case Foreign:
		return "Foreign demand"
	}
	return string(t)
}

// Category is a kind of data a demand can yield. There is no category for
// media content or plaintext: Hearth stores media encrypted to its owners'
// keys and cannot decrypt it, so the most it can ever produce is ciphertext.
type Category string

// Categories of data produced.
const (
	// AccountData is what the account holds about its holder: e-mail,
	// role, creation date, households.
	AccountData Category = "account_data"
	// Metadata is data about activity: devices, events, clip times and
	// sizes, sign-ins.
	Metadata Category = "metadata"
	// Ciphertext is encrypted media, exactly as stored; only its owners'
	// keys decrypt it.
	Ciphertext Category = "ciphertext"
)

// Categories lists every category, in canonical order.
var Categories = []Category{AccountData, Metadata, Ciphertext}

// Label is the category's name for people.
func (c Category) Label() string {
	switch c {
	case AccountData:
		return "account data"
	case Metadata:
		return "metadata"
	case Ciphertext:
		return "encrypted media (ciphertext)"
	}
	return string(c)
}

// yields is what each type of demand may yield without the owner's
// consent. Ciphertext needs a search warrant or the owner's consent.
var yields = map[Type][]Category{
	Subpoena:      {AccountData},
	Foreign:       {AccountData},
	CourtOrder:    {AccountData, Metadata},
	Emergency:     {AccountData, Metadata},
	SearchWarrant: {AccountData, Metadata, Ciphertext},
}

// Yields reports whether a demand of type t may yield c; ownerConsent is
// whether the account's owner consented to the disclosure of their media.
func (t Type) Yields(c Category, ownerConsent bool) bool {
	if c == Ciphertext && ownerConsent && t.Valid() {
		return true
	}
	for _, y := range yields[t] {
		if y == c {
			return true
		}
	}
	return false
}

// Allowed lists what a demand of type t may yield, in canonical order.
func (t Type) Allowed(ownerConsent bool) []Category {
	var out []Category
	for _, c := range Categories {
		if t.Yields(c, ownerConsent) {
			out = append(out, c)
		}
	}
	return out
}

// msgNoPlaintext answers any attempt to record media content as produced.
const msgNoPlaintext = "Hearth cannot decrypt media: it holds only ciphertext, so there is no content or plaintext to produce. " +
	"Record \"ciphertext\" instead, which needs a search warrant or the owner's consent."

// ParseCategory reads a category as forms and the API name it. Invalid for
// anything else; asking for content or plaintext gets an explanation of
// why there is none.
func ParseCategory(s string) (Category, error) {
	const op = "legal.ParseCategory"
	v := strings.ToLower(strings.TrimSpace(s))
	for _, c := range Categories {
		if v == string(c) {
			return c, nil
		}
	}
	switch v {
	case "content", "contents", "plaintext", "media", "video", "audio", "clips", "decrypted", "decrypted_media":
		return "", apperr.E(op, apperr.Invalid, msgNoPlaintext)
	}
	return "", apperr.E(op, apperr.Invalid, fmt.Sprintf("Unknown kind of data %q: choose account_data, metadata or ciphertext.", trimForMessage(v)))
}

// Outcome is how a demand was decided.
type Outcome string

// Outcomes.
const (
	Pending  Outcome = "pending" // not decided yet
	Rejected Outcome = "rejected"
	Partial  Outcome = "partial" // complied with in part
	Full     Outcome = "full"    // complied with in full
)

// Outcomes lists the outcomes of a decision (not Pending).
var Outcomes = []Outcome{Rejected, Partial, Full}

// Label is the outcome's name for people.
func (o Outcome) Label() string {
	switch o {
	case Pending:
		return "pending"
	case Rejected:
		return "rejected"
	case Partial:
		return "partially complied with"
	case Full:
		return "fully complied with"
	}
	return string(o)
}

// Demand is one legal demand about one account, and how it was answered.
type Demand struct {
	ID           DemandID
	Type         Type
	Agency       string // the requesting agency, as it names itself
	Jurisdiction string
	Scope        string    // what the demand asks for; kept for staff and the person, not published
	ReceivedAt   time.Time // the day it was received, at 00:00 UTC
	// Account is the account concerned; "" once that account is deleted.
	Account identity.UserID
	// OwnerConsent records that the account's owner consented to the
	// disclosure of their (encrypted) media.
	OwnerConsent bool
	// DelayOrder is the reference of a court order delaying the notice to
	// the person until DelayUntil; both empty when there is none.
	DelayOrder    string
	DelayUntil    time.Time
	RecordedBy    identity.UserID
	RecordedAt    time.Time
	RecordedIndex uint64 // the log entry legal.recorded
	Outcome       Outcome
	Produced      []Category // in canonical order; empty unless complied with
	Note          string     // what was produced, or why not; kept for staff
	DecidedBy     identity.UserID
	DecidedAt     time.Time
	DecidedIndex  uint64
	NotifiedAt    time.Time // when the person was told; zero until then
	NotifiedIndex uint64
}

// Decided reports whether the demand has been decided.
func (d *Demand) Decided() bool { return d.Outcome != Pending && d.Outcome != "" }

// Notified reports whether the person concerned has been told.
func (d *Demand) Notified() bool { return !d.NotifiedAt.IsZero() }

// NoticeDelayed reports whether a court order still delays the notice at now.
func (d *Demand) NoticeDelayed(now time.Time) bool {
	return !d.DelayUntil.IsZero() && now.Before(d.DelayUntil)
}

// EmergencyDisclosure reports whether data was disclosed on an emergency
// request: those are counted separately in the transparency report.
func (d *Demand) EmergencyDisclosure() bool { return d.Type == Emergency && len(d.Produced) > 0 }
