package household_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
)

func TestJoin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob := f.user(t, "ana"), f.user(t, "bob")
	h := f.create(t, ana)
	token := f.invite(t, ana, h.ID)
	f.clock.Advance(time.Hour)
	got, err := f.svc.Join(ctx, bob, token)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != h.ID || got.Name != h.Name {
		t.Errorf("Join returned %+v, want %s", got, h.ID)
	}
	members, err := f.svc.Members(ctx, bob, h.ID)
	if err != nil || len(members) != 2 {
		t.Fatalf("Members = %v, %v", members, err)
	}
	if m := members[1]; m.UserID != bob || m.Role != household.RoleMember || !m.JoinedAt.Equal(f.clock.Now()) {
		t.Errorf("bob's membership = %+v, want a member who joined now", m)
	}
}

// An unknown, a used and an expired token get one and the same answer, so
// the answer says nothing about which tokens exist or existed.
func TestJoinRefusalsLookAlike(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob, cy, dee := f.user(t, "ana"), f.user(t, "bob"), f.user(t, "cy"), f.user(t, "dee")
	h := f.create(t, ana)

	used := f.invite(t, ana, h.ID)
	if _, err := f.svc.Join(ctx, bob, used); err != nil {
		t.Fatal(err)
	}
	expired := f.invite(t, ana, h.ID)
	almost := f.invite(t, ana, h.ID)
	f.clock.Advance(household.InvitationLifetime - time.Microsecond)
	if _, err := f.svc.Join(ctx, dee, almost); err != nil {
		t.Errorf("Join just before expiry: %v", err)
	}
	f.clock.Advance(time.Microsecond)

	unknown := "hi_" + strings.Repeat("a", 52)
	var msgs []string
	for name, token := range map[string]string{"unknown": unknown, "used": used, "expired": expired,
		"malformed": "hi_short", "empty": ""} {
		_, err := f.svc.Join(ctx, cy, token)
		wantErr(t, name, err, apperr.NotFound, "")
		msgs = append(msgs, apperr.MessageOf(err))
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Errorf("refusals differ: %q", msgs)
			break
		}
	}
	if _, err := f.svc.Get(ctx, cy, h.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("cy got in: %v", err)
	}
}

func TestJoinAlreadyMember(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob := f.user(t, "ana"), f.user(t, "bob")
	h := f.create(t, ana)
	token := f.invite(t, ana, h.ID)
	_, err := f.svc.Join(ctx, ana, token)
	wantErr(t, "owner joins own household", err, apperr.Conflict, "already a member")
	// The refused attempt did not use the link up.
	if _, err := f.svc.Join(ctx, bob, token); err != nil {
		t.Errorf("Join after a refused attempt: %v", err)
	}
}

// An invitation speaks for the owner who made it: when they stop being an
// owner, it stops working.
func TestJoinAfterInviterSteppedDown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob, cy := f.user(t, "ana"), f.user(t, "bob"), f.user(t, "cy")
	h := f.create(t, ana)
	f.join(t, ana, h.ID, bob)
	token := f.invite(t, ana, h.ID)
	if err := f.svc.SetRole(ctx, ana, h.ID, bob, household.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetRole(ctx, ana, h.ID, ana, household.RoleMember); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Join(ctx, cy, token)
	wantErr(t, "Join with a former owner's invitation", err, apperr.NotFound, "")
}

func TestJoinConcurrentlyWithOneToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana := f.user(t, "ana")
	h := f.create(t, ana)
	token := f.invite(t, ana, h.ID)
	const n = 10
	users := make([]identity.UserID, n)
	for i := range users {
		users[i] = f.user(t, fmt.Sprintf("racer%d", i))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i, u := range users {
		wg.Go(func() {
			<-start
			_, errs[i] = f.svc.Join(ctx, u, token)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !apperr.Is(err, apperr.NotFound):
			t.Errorf("%s: %v, want success or NotFound", users[i], err)
		}
	}
	members, err := f.svc.MemberIDs(ctx, h.ID)
	if won != 1 || err != nil || len(members) != 2 {
		t.Errorf("%d joins won, members %v (%v); want exactly one winner", won, members, err)
	}
}

func TestLeave(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob := f.user(t, "ana"), f.user(t, "bob")
	h := f.create(t, ana)
	f.join(t, ana, h.ID, bob)

	t.Run("ErrLastOwnerWithMembers", func(t *testing.T) {
		wantErr(t, "Leave", f.svc.Leave(ctx, ana, h.ID), apperr.Conflict, "Make another member an owner, or remove the other members")
		if role, err := f.svc.MemberRole(ctx, h.ID, ana); err != nil || role != household.RoleOwner {
			t.Errorf("ana after refused Leave: %q, %v", role, err)
		}
	})
	t.Run("OKMember", func(t *testing.T) {
		if err := f.svc.Leave(ctx, bob, h.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Get(ctx, bob, h.ID)
		wantErr(t, "Get after leaving", err, apperr.NotFound, "")
		wantErr(t, "Leave twice", f.svc.Leave(ctx, bob, h.ID), apperr.NotFound, "")
	})
	t.Run("OKLastMemberDeletesHousehold", func(t *testing.T) {
		f.invite(t, ana, h.ID) // a pending invitation must go too
		if err := f.svc.Leave(ctx, ana, h.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Retention(ctx, h.ID)
		wantErr(t, "the deleted household", err, apperr.NotFound, "")
		if list, err := f.svc.ListForUser(ctx, ana); err != nil || len(list) != 0 {
			t.Errorf("ListForUser after deletion = %v, %v", list, err)
		}
		homes, err := f.svc.HomesForIndex(ctx)
		if err != nil || len(homes) != 0 {
			t.Errorf("HomesForIndex after deletion = %v, %v", homes, err)
		}
	})
}

func TestRemoveMember(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob, cy := f.user(t, "ana"), f.user(t, "bob"), f.user(t, "cy")
	h := f.create(t, ana)
	f.join(t, ana, h.ID, bob)

	wantErr(t, "remove oneself", f.svc.RemoveMember(ctx, ana, h.ID, ana), apperr.Invalid, "Leave")
	wantErr(t, "remove a non-member", f.svc.RemoveMember(ctx, ana, h.ID, cy), apperr.NotFound, "not a member")
	if err := f.svc.RemoveMember(ctx, ana, h.ID, bob); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Members(ctx, bob, h.ID)
	wantErr(t, "Members after removal", err, apperr.NotFound, "")
	if ids, _ := f.svc.MemberIDs(ctx, h.ID); len(ids) != 1 || ids[0] != ana {
		t.Errorf("MemberIDs after removal = %v", ids)
	}
}

func TestSetRole(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob, cy := f.user(t, "ana"), f.user(t, "bob"), f.user(t, "cy")
	h := f.create(t, ana)
	f.join(t, ana, h.ID, bob)

	tests := []struct {
		name   string
		by     identity.UserID
		member identity.UserID
		role   household.MemberRole
		code   apperr.Code
		msg    string
	}{
		{"ErrUnknownRole", ana, bob, "admin", apperr.Invalid, "owner or member"},
		{"ErrNotAMember", ana, cy, household.RoleOwner, apperr.NotFound, "not a member"},
		{"ErrZeroOwners", ana, ana, household.RoleMember, apperr.Conflict, "needs an owner"},
		{"OKSameRole", ana, bob, household.RoleMember, "", ""},
		{"OKHandOver", ana, bob, household.RoleOwner, "", ""},
		{"OKStepDown", ana, ana, household.RoleMember, "", ""},
		{"ErrFormerOwner", ana, ana, household.RoleOwner, apperr.Forbidden, "owners"},
		{"ErrNewOwnerZeroOwners", bob, bob, household.RoleMember, apperr.Conflict, "needs an owner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := f.svc.SetRole(ctx, tc.by, h.ID, tc.member, tc.role)
			wantErr(t, "SetRole", err, tc.code, tc.msg)
		})
	}
	// After the hand-over bob runs the household, and ana may leave.
	if _, _, err := f.svc.Invite(ctx, bob, h.ID); err != nil {
		t.Errorf("Invite by the new owner: %v", err)
	}
	if err := f.svc.Leave(ctx, ana, h.ID); err != nil {
		t.Errorf("the former owner leaves: %v", err)
	}
	if role, err := f.svc.MemberRole(ctx, h.ID, bob); err != nil || role != household.RoleOwner {
		t.Errorf("bob = %q, %v; want owner", role, err)
	}
}
