package household

import (
	"time"

	"hearth/internal/identity"
	"hearth/internal/randid"
)

// ID identifies a household.
type ID string

// Valid reports whether id has the shape of the identifier of a household ("h_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id ID) Valid() bool { return randid.Valid("h", string(id)) }

// MemberRole is a member's standing in a household.
type MemberRole string

// Member roles. The owner invites and removes members and changes settings.
const (
	RoleOwner  MemberRole = "owner"
	RoleMember MemberRole = "member"
)

// Valid reports whether r is a known role.
func (r MemberRole) Valid() bool { return r == RoleOwner || r == RoleMember }

// RetentionDays are the media retention periods a household may choose.
var RetentionDays = []int{7, 30, 60, 180}

// Limits on what a household's settings may hold.
const (
	MaxNameLength    = 100 // characters
	MaxAddressLength = 300 // characters
	// InvitationLifetime is how long an invitation link works if unused.
	InvitationLifetime = 7 * 24 * time.Hour
)

// Location is a point on Earth in degrees (WGS 84).
type Location struct {
	Lat float64
	Lng float64
}

// Household is a home and the people who live in it.
type Household struct {
	ID            ID
	Name          string
	Address       string   // free text, as the owner typed it
	Home          Location // precise; shown outside the household only coarsened
	TimeZone      string   // IANA name, e.g. "Europe/Paris"
	RetentionDays int      // one of RetentionDays
	CreatedAt     time.Time
}

// Retention is how long the household keeps media.
func (h *Household) Retention() time.Duration {
	return time.Duration(h.RetentionDays) * 24 * time.Hour
}

// Member is a person's membership of a household.
type Member struct {
	Household ID
	UserID    identity.UserID
	Role      MemberRole
	JoinedAt  time.Time
	// Email is the member's sign-in address, which the household's members
	// see of one another; set by Service.Members only.
	Email string
}

// Invitation is a link an owner hands to someone to let them join. Only the
// SHA-256 of its token is kept, so a copy of the database cannot be used to
// join a household.
type Invitation struct {
	TokenHash []byte
	Household ID
	CreatedBy identity.UserID
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedBy    identity.UserID // empty while unused
	UsedAt    time.Time       // zero while unused
}

// Usable reports whether the invitation lets someone join at now: it is
// unused, unexpired, and its creator, whose word it is, is still an owner
// (creator is the creator's current role, "" if no longer a member). A link
// dies with its creator's ownership, so a demoted owner's links stop
// working at once.
func (inv *Invitation) Usable(creator MemberRole, now time.Time) bool {
	return inv.UsedAt.IsZero() && now.Before(inv.ExpiresAt) && creator == RoleOwner
}

// HomeEntry is a household's precise home, for the in-process geo index.
// It must never be shown or sent to anyone: see Service.HomesForIndex.
type HomeEntry struct {
	Household ID
	Home      Location
}
