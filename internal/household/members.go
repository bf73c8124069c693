package household

import (
	"context"
	"crypto/sha256"
	"io"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/randid"
)

// Messages that must read the same whatever the cause.
const (
	// msgBadInvitation answers an unknown, used and expired link alike, so a
	// guesser learns nothing about which tokens exist or existed.
	msgBadInvitation = "This invitation link does not work: it may have expired or been used already. Ask the household's owner for a new one."
	msgLastOwner     = "You are the household's only owner. Make another member an owner, or remove the other members, before you leave."
	msgNeedOwner     = "A household needs an owner. Make another member an owner first."
)

// invitationPrefix starts every invitation token, so a leaked one is easy
// to recognise in logs and code.
const invitationPrefix = "hi_"

// Members returns the household's members, owners first, each with their
// e-mail address, to one of them: a household's members know one another.
// NotFound if user is not a member.
func (s *Service) Members(ctx context.Context, user identity.UserID, id ID) ([]*Member, error) {
	const op = "household.Members"
	if _, err := s.member(ctx, op, id, user, false); err != nil {
		return nil, err
	}
	list, err := s.store.ListMembers(ctx, id)
	return list, s.hide(op, err)
}

// MemberRole returns user's role in the household, for other domains to
// authorize with. NotFound if user is not a member.
func (s *Service) MemberRole(ctx context.Context, id ID, user identity.UserID) (MemberRole, error) {
	m, err := s.member(ctx, "household.MemberRole", id, user, false)
	if err != nil {
		return "", err
	}
	return m.Role, nil
}

// MemberIDs returns the ids of the household's members, for other domains
// (for example, whom to encrypt a clip to). It does no authorization: the
// caller must have authorized the request itself. NotFound if there is no
// such household.
func (s *Service) MemberIDs(ctx context.Context, id ID) ([]identity.UserID, error) {
	list, err := s.store.ListMembers(ctx, id)
	if err != nil {
		return nil, apperr.Wrap("household.MemberIDs", err)
	}
	ids := make([]identity.UserID, len(list))
	for i, m := range list {
		ids[i] = m.UserID
	}
	return ids, nil
}

// Invite makes an invitation link token for the household, usable once
// within InvitationLifetime, and returns it with its expiry. Only its hash
// is stored: show the token once. The link stops working early if its
// creator stops being an owner. Forbidden unless owner is an owner;
// NotFound if not a member.
func (s *Service) Invite(ctx context.Context, owner identity.UserID, id ID) (token string, expires time.Time, err error) {
	const op = "household.Invite"
	if _, err := s.member(ctx, op, id, owner, true); err != nil {
		return "", time.Time{}, err
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", time.Time{}, apperr.Wrap(op, err)
	}
	token = invitationPrefix + randid.Encoding.EncodeToString(b)
	now := s.clock.Now()
	inv := &Invitation{
		TokenHash: hashToken(token), Household: id, CreatedBy: owner,
		CreatedAt: now, ExpiresAt: now.Add(InvitationLifetime),
	}
	if err := s.store.CreateInvitation(ctx, inv); err != nil {
		return "", time.Time{}, s.hide(op, err)
	}
	return token, inv.ExpiresAt, nil
}

// Join makes user a member (RoleMember) of the household that token
// invites to, and uses the token up. NotFound, with one message, for a
// token that is unknown, used, expired, or whose creator is no longer an
// owner; Conflict if user is already a member (the token stays usable).
// Of concurrent joins with one token exactly one succeeds.
func (s *Service) Join(ctx context.Context, user identity.UserID, token string) (*Household, error) {
	const op = "household.Join"
	if len(token) != len(invitationPrefix)+52 {
		return nil, apperr.E(op, apperr.NotFound, msgBadInvitation)
	}
	now := s.clock.Now()
	id, err := s.store.RedeemInvitation(ctx, hashToken(token), user, now, func(inv *Invitation, creator MemberRole) error {
		if !inv.Usable(creator, now) {
			return apperr.E(op, apperr.NotFound, msgBadInvitation)
		}
		return nil
	})
	switch {
	case apperr.Is(err, apperr.NotFound):
		return nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgBadInvitation, Err: err}
	case apperr.Is(err, apperr.Conflict):
		return nil, &apperr.Error{Op: op, Code: apperr.Conflict, Message: "You are already a member of this household.", Err: err}
	case err != nil:
		return nil, apperr.Wrap(op, err)
	}
	h, err := s.store.FindHousehold(ctx, id)
	return h, s.hide(op, err)
}

// Leave ends user's membership. When the last member leaves, the household
// is deleted. Conflict if user is the only owner while others remain, or if
// user is the last member and the household still holds recorded media
// (the vault must erase it first); NotFound if user is not a member.
func (s *Service) Leave(ctx context.Context, user identity.UserID, id ID) error {
	const op = "household.Leave"
	m, err := s.member(ctx, op, id, user, false)
	if err != nil {
		return err
	}
	if m.Role == RoleOwner {
		// Checked here for a message that says what to do; the store checks
		// again, atomically, in case the members change meanwhile.
		list, err := s.store.ListMembers(ctx, id)
		if err != nil {
			return s.hide(op, err)
		}
		owners := 0
		for _, x := range list {
			if x.Role == RoleOwner {
				owners++
			}
		}
		if owners == 1 && len(list) > 1 {
			return apperr.E(op, apperr.Conflict, msgLastOwner)
		}
	}
	deleted, err := s.store.RemoveMember(ctx, id, user)
	if err == nil && deleted {
		s.homeChanged(ctx, id)
	}
	return s.hide(op, err)
}

// RemoveMember ends another member's membership. Forbidden unless owner
// is an owner; NotFound if owner is not a member or member is not one;
// Invalid for removing oneself (use Leave, which keeps the last-owner rule).
func (s *Service) RemoveMember(ctx context.Context, owner identity.UserID, id ID, member identity.UserID) error {
	const op = "household.RemoveMember"
	if _, err := s.member(ctx, op, id, owner, true); err != nil {
		return err
	}
	if member == owner {
		return apperr.E(op, apperr.Invalid, "To leave the household yourself, use Leave.")
	}
	_, err := s.store.RemoveMember(ctx, id, member)
	if apperr.Is(err, apperr.NotFound) {
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: "This person is not a member of the household.", Err: err}
	}
	return apperr.Wrap(op, err)
}

// SetRole makes member an owner or a plain member; an owner hands over the
// household by making someone else owner and then stepping down or
// leaving. Forbidden unless owner is an owner; NotFound if owner is not a
// member or member is not one; Invalid for an unknown role; Conflict if the
// change would leave the household without an owner.
func (s *Service) SetRole(ctx context.Context, owner identity.UserID, id ID, member identity.UserID, role MemberRole) error {
	const op = "household.SetRole"
	if _, err := s.member(ctx, op, id, owner, true); err != nil {
		return err
	}
	if !role.Valid() {
		return apperr.E(op, apperr.Invalid, "A member's role is owner or member.")
	}
	err := s.store.SetMemberRole(ctx, id, member, role)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: "This person is not a member of the household.", Err: err}
	case apperr.Is(err, apperr.Conflict):
		return &apperr.Error{Op: op, Code: apperr.Conflict, Message: msgNeedOwner, Err: err}
	}
	return apperr.Wrap(op, err)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
