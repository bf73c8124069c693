package identity

import (
	"time"

	"hearth/internal/randid"
)

// UserID identifies an account.
type UserID string

// Valid reports whether id has the shape of the identifier of an account ("u_"
// and 26 base32 characters). One that does not names nothing, and is not
// looked up.
func (id UserID) Valid() bool { return randid.Valid("u", string(id)) }

// Role is what an account is for. A household owner is a membership role
// inside a household, not an account role.
type Role string

// Roles an account can hold.
const (
	RoleResident      Role = "resident"
	RoleAgencyOfficer Role = "agency_officer"
	RoleReviewer      Role = "reviewer"
	RoleStaff         Role = "staff"
	RoleAdmin         Role = "admin"
)

// Roles lists every role, in order of increasing privilege.
var Roles = []Role{RoleResident, RoleAgencyOfficer, RoleReviewer, RoleStaff, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// RequiresSecondFactor reports whether accounts of this role may never turn
// TOTP off.
func (r Role) RequiresSecondFactor() bool { return r != RoleResident }

// UserStatus is where an account is in its life.
type UserStatus string

// Account states. A pending account has signed up but not yet confirmed its
// authenticator; it can do nothing but finish enrollment.
const (
	StatusPending UserStatus = "pending"
	StatusActive  UserStatus = "active"
)

// User is an account.
type User struct {
	ID           UserID
	Email        string // normalized: trimmed, lower case
	Role         Role
	Status       UserStatus
	PasswordHash string // argon2id in PHC string format

	// TOTPSecret is the base32 secret of the confirmed authenticator, or of the
	// one being enrolled while Status is pending.
	TOTPSecret  string
	TOTPEnabled bool
	// TOTPPendingSecret holds a replacement authenticator between "reset" and
	// its confirmation by a first valid code.
	TOTPPendingSecret string
	// TOTPLastStep is the last 30-second time step whose code was accepted;
	// a code for this step or an earlier one is refused, so each code works once.
	TOTPLastStep int64

	CreatedAt         time.Time
	PasswordChangedAt time.Time
}
