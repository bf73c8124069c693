package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/internal/identity"
	"hearth/internal/notice"
)

// accessEntries returns the person's "who accessed my data" entries, as
// the API shows them.
func accessEntries(t *testing.T, b *browser) []map[string]any {
	t.Helper()
	status, out := b.apiCall("GET", "/api/v1/access", b.apiToken(), "")
	if status != http.StatusOK {
		t.Fatalf("access history: %d %v", status, out)
	}
	var list []map[string]any
	for _, x := range out["entries"].([]any) {
		list = append(list, x.(map[string]any))
	}
	return list
}

// countEntries counts the entries of an object read by an actor role.
func countEntries(list []map[string]any, object, role string) int {
	n := 0
	for _, e := range list {
		if e["object"] == object && e["actor_role"] == role && e["names_you"] == true {
			n++
		}
	}
	return n
}

// TestLegalPageReadsAddressesThroughGate: the legal pages show staff the
// address of the account a demand concerns; each look is logged through
// the access gate before the address is shown, and listed on that
// person's "who accessed my data".
func TestLegalPageReadsAddressesThroughGate(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		staff, admin, ana := e.staffFlow(t)
		id := recordDemand(t, staff, demandForm("subpoena"))
		before := countEntries(accessEntries(t, ana), "account.email", "staff")
		if p := staff.get("/legal"); p.status != http.StatusOK || !strings.Contains(p.body, "ana@example.org") {
			t.Fatalf("legal list: %d", p.status)
		}
		if p := admin.get("/legal/" + id); p.status != http.StatusOK || !strings.Contains(p.body, "ana@example.org") {
			t.Fatalf("demand page: %d", p.status)
		}
		list := accessEntries(t, ana)
		if got := countEntries(list, "account.email", "staff") - before; got != 1 {
			t.Errorf("%d staff reads of ana's address in her history, want 1: %v", got, list)
		}
		if got := countEntries(list, "account.email", "admin"); got != 1 {
			t.Errorf("%d admin reads of ana's address in her history, want 1: %v", got, list)
		}
		if p := ana.get("/access"); p.status != http.StatusOK || !strings.Contains(p.body, "account.email") {
			t.Errorf("ana's access page does not list the reads of her address: %d", p.status)
		}
		for _, x := range list {
			if x["object"] == "account.email" && (x["purpose"] != "legal_demand" || x["legal_basis"] != "legal_obligation") {
				t.Errorf("entry %v", x)
			}
		}
	})
}

// TestEmailsAskTheActor: a person reads their own address without a log
// entry; staff read another's only through the gate; anyone else not at
// all.
func TestEmailsAskTheActor(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, _, ana := e.staffFlow(t)
		anaID, _ := e.ids.LookUp(ctx, "ana@example.org")
		staffID, _ := e.ids.LookUp(ctx, "staff@example.org")
		bob := e.browser(t)
		e.signUp(bob, "bob@example.org")
		bobID, _ := e.ids.LookUp(ctx, "bob@example.org")

		got, err := e.ids.Emails(ctx, identity.Actor{ID: anaID, Role: identity.RoleResident}, "", []identity.UserID{anaID})
		if err != nil || got[anaID] != "ana@example.org" {
			t.Fatalf("own address: %v, %v", got, err)
		}
		if _, err := e.ids.Emails(ctx, identity.Actor{ID: bobID, Role: identity.RoleResident}, identity.PurposeLegalDemand, []identity.UserID{anaID}); err == nil {
			t.Fatal("a resident read another's address")
		}
		if _, err := e.ids.Emails(ctx, identity.Actor{ID: staffID, Role: identity.RoleStaff}, "", []identity.UserID{anaID}); err == nil {
			t.Fatal("staff read an address without a purpose")
		}
		if n := len(accessEntries(t, ana)); n != 0 {
			t.Fatalf("%d entries before any staff read", n)
		}
		got, err = e.ids.Emails(ctx, identity.Actor{ID: staffID, Role: identity.RoleStaff}, identity.PurposeLegalDemand, []identity.UserID{anaID, anaID, staffID})
		if err != nil || got[anaID] != "ana@example.org" || got[staffID] != "staff@example.org" {
			t.Fatalf("staff read: %v, %v", got, err)
		}
		if n := countEntries(accessEntries(t, ana), "account.email", "staff"); n != 1 {
			t.Fatalf("%d entries for one staff read", n)
		}
	})
}

// TestOutboxReadsAreLogged: the outbox is the administrators', and shows
// people's addresses and notices: each person whose mail is shown gets one
// entry in their "who accessed my data" per look, written before the page
// is returned.
func TestOutboxReadsAreLogged(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		staff, admin, ana := e.staffFlow(t)
		bob := e.browser(t)
		e.signUp(bob, "bob@example.org")
		anaID, _ := e.ids.LookUp(ctx, "ana@example.org")
		bobID, _ := e.ids.LookUp(ctx, "bob@example.org")
		for _, u := range []identity.UserID{anaID, anaID, bobID} {
			if err := e.notices.Notify(ctx, u, notice.KindLegalDemand, "A legal demand concerned your data."); err != nil {
				t.Fatal(err)
			}
		}
		for name, b := range map[string]*browser{"staff": staff, "resident": ana} {
			if p := b.get("/admin/outbox"); p.status != http.StatusForbidden {
				t.Errorf("%s on the outbox: %d", name, p.status)
			}
		}
		if n := countEntries(accessEntries(t, ana), "notice.mail", "admin"); n != 0 {
			t.Fatalf("%d entries before the outbox was read", n)
		}
		p := admin.get("/admin/outbox")
		if p.status != http.StatusOK || !strings.Contains(p.body, "ana@example.org") || !strings.Contains(p.body, "bob@example.org") {
			t.Fatalf("outbox: %d\n%s", p.status, p.body)
		}
		for name, b := range map[string]*browser{"ana": ana, "bob": bob} {
			list := accessEntries(t, b)
			if n := countEntries(list, "notice.mail", "admin"); n != 1 {
				t.Errorf("%s: %d outbox reads in the history, want 1: %v", name, n, list)
			}
			for _, x := range list {
				if x["object"] == "notice.mail" && (x["purpose"] != "mail_delivery" || x["legal_basis"] != "service_operation") {
					t.Errorf("%s: entry %v", name, x)
				}
			}
		}
		if p := ana.get("/access"); p.status != http.StatusOK || !strings.Contains(p.body, "notice.mail") {
			t.Errorf("ana's access page does not list the outbox read: %d", p.status)
		}
		// Each look is a read.
		admin.get("/admin/outbox")
		if n := countEntries(accessEntries(t, ana), "notice.mail", "admin"); n != 2 {
			t.Errorf("after a second look: %d entries, want 2", n)
		}
	})
}

// TestLegalPageHidesAddressWhileNoticeDelayed: while a court order delays
// telling the person of a demand, staff's pages do not read their address,
// since the read would show in their history and tell them; once the delay
// lapses, the address is read through the gate like any other.
func TestLegalPageHidesAddressWhileNoticeDelayed(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		staff, _, ana := e.staffFlow(t)
		form := demandForm("subpoena")
		form.Set("delay_order", "Order 2026-114")
		form.Set("delay_until", "2026-06-01")
		id := recordDemand(t, staff, form)
		for _, path := range []string{"/legal", "/legal/" + id} {
			p := staff.get(path)
			if p.status != http.StatusOK || strings.Contains(p.body, "ana@example.org") || !strings.Contains(p.body, "hidden while") {
				t.Fatalf("%s while the notice is delayed: %d, address shown or not said hidden", path, p.status)
			}
		}
		if got := countEntries(accessEntries(t, ana), "account.email", "staff"); got != 0 {
			t.Fatalf("%d staff reads of ana's address in her history while the notice is delayed", got)
		}
		// Months later (signed in anew: the first session has long expired).
		e.clock.Set(time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC))
		_, en, _, err := e.ids.CreateUser(t.Context(), "staff2@example.org", identity.RoleStaff, password)
		if err != nil {
			t.Fatal(err)
		}
		staff = e.browser(t)
		e.logIn(staff, "staff2@example.org", en.Secret)
		if p := staff.get("/legal/" + id); p.status != http.StatusOK || !strings.Contains(p.body, "ana@example.org") {
			t.Fatalf("demand page once the delay lapsed: %d", p.status)
		}
		if got := countEntries(accessEntries(t, ana), "account.email", "staff"); got != 1 {
			t.Errorf("%d staff reads of ana's address once the delay lapsed, want 1", got)
		}
	})
}
