package sqlstore

import (
	"context"
	"testing"

	"hearth/internal/notice"
)

// Mail keeps the person it is for, which the outbox records its reads for.
func TestStore_MailKeepsItsPerson(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mustCreateUser(t, NewIdentityStore(db), "u_ana", "ana@example.org")
		s := NewNoticeStore(db)
		if err := s.EnqueueMail(ctx, &notice.Mail{ID: "m_1", UserID: "u_ana", To: "ana@example.org", Subject: "s", Body: "b", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListMail(ctx, 10)
		if err != nil || len(list) != 1 || list[0].UserID != "u_ana" || list[0].To != "ana@example.org" || !list[0].CreatedAt.Equal(t0) {
			t.Fatalf("ListMail = %+v, %v", list, err)
		}
	})
}
