package household

import (
	"context"
	"time"

	"hearth/internal/identity"
)

// Store persists households, memberships and invitations. Every method is one
// transaction. Methods return apperr codes: NotFound and Conflict where
// stated, Invalid where stated, Internal for anything else.
//
// The store keeps two invariants atomically, because a check in the Service
// followed by a separate write would race with a concurrent change: a
// household with members always has an owner, and a household without
// members does not exist.
type Store interface {
	// CreateHousehold inserts h and makes owner its first member, with
	// RoleOwner, joined at h.CreatedAt. NotFound if owner has no account;
	// Conflict if the id is taken.
	CreateHousehold(ctx context.Context, h *Household, owner identity.UserID) error
	// FindHousehold returns the household. NotFound if none.
	FindHousehold(ctx context.Context, id ID) (*Household, error)
	// ListHouseholdsForUser returns the households user is a member of,
	// oldest first (none, and no error, for an unknown user).
	ListHouseholdsForUser(ctx context.Context, user identity.UserID) ([]*Household, error)
	// UpdateHousehold saves Name, Address, Home, TimeZone and RetentionDays.
	// NotFound if there is no such household.
	UpdateHousehold(ctx context.Context, h *Household) error
	// ListHomes returns at most limit households' ids and precise homes in
	// id order, starting after the id after ("" to start at the beginning).
	ListHomes(ctx context.Context, after ID, limit int) ([]HomeEntry, error)

	// FindMember returns user's membership of the household. NotFound if
	// user is not a member, including when there is no such household.
	FindMember(ctx context.Context, id ID, user identity.UserID) (*Member, error)
	// ListMembers returns the household's members, owners first, then in
	// the order they joined, each with their account's e-mail address.
	// NotFound if there is no such household.
	ListMembers(ctx context.Context, id ID) ([]*Member, error)
	// RemoveMember ends user's membership. If nobody is left, it deletes the
	// household with its invitations and reports deleted. Conflict if user
	// is the only owner and other members remain, or if user is the last
	// member and data of other domains that is not deleted with the
	// household (recorded media) still refers to it; NotFound if user is
	// not a member.
	RemoveMember(ctx context.Context, id ID, user identity.UserID) (deleted bool, err error)
	// SetMemberRole changes user's role (a no-op if it is already role).
	// Conflict if that would leave the household without an owner; NotFound
	// if user is not a member.
	SetMemberRole(ctx context.Context, id ID, user identity.UserID, role MemberRole) error

	// CreateInvitation inserts inv. NotFound if there is no such household;
	// Conflict if the token hash is taken.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// RedeemInvitation reads the invitation with this token hash and the
	// current role of its creator ("" once the creator is not a member),
	// with the household's membership locked, and asks usable whether it
	// may be used at t: the rule is the caller's. If usable returns nil, it
	// marks the invitation used by user at t, makes user a RoleMember of its
	// household, joined at t, and returns the household's id; otherwise it
	// returns usable's error and changes nothing. NotFound for an unknown
	// token hash, or an invitation already used; Conflict if user is already
	// a member, in which case the invitation stays unused. Of concurrent
	// redemptions of one invitation exactly one succeeds. Invalid for a zero
	// t, which would read as unused.
	RedeemInvitation(ctx context.Context, hash []byte, user identity.UserID, t time.Time, usable func(inv *Invitation, creator MemberRole) error) (ID, error)
}
