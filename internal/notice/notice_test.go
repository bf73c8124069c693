package notice_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/notice"
	"hearth/internal/sqlstore"
	"hearth/internal/sqlstore/sqltest"
)

func TestNotify(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqltest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := sqlstore.NewIdentityStore(db)
	if err := ids.CreateUser(ctx, &identity.User{ID: "u_ana", Email: "ana@example.org", Role: identity.RoleResident, Status: identity.StatusActive, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	svc := notice.NewService(notice.Deps{Store: sqlstore.NewNoticeStore(db), Clock: clk})
	for _, bad := range []string{"", "   ", strings.Repeat("x", notice.MaxTextLength+1)} {
		if err := svc.Notify(ctx, "u_ana", notice.KindAccessGrant, bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("text of %d characters: %v", len(bad), err)
		}
	}
	if err := svc.Notify(ctx, "u_nobody", notice.KindAccessGrant, "hello"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown user: %v", err)
	}
	for _, text := range []string{"first", "second"} {
		if err := svc.Notify(ctx, "u_ana", notice.KindAccessGrant, "  "+text+"\n"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	list, err := svc.List(ctx, "u_ana")
	if err != nil || len(list) != 2 || list[0].Text != "second" || !list[0].ReadAt.IsZero() {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := svc.MarkRead(ctx, "u_ana"); err != nil {
		t.Fatal(err)
	}
	list, _ = svc.List(ctx, "u_ana")
	if list[1].ReadAt.IsZero() {
		t.Fatal("MarkRead left a notice unread")
	}
}
