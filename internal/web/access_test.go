package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/internal/identity"
	"hearth/internal/sqlstore/sqltest"
)

// staffFlow makes a staff member, an admin and a resident, signs the staff
// member and the admin in, and returns their browsers.
func (e *env) staffFlow(t *testing.T) (staff, admin, ana *browser) {
	t.Helper()
	ctx := context.Background()
	staff, admin, ana = e.browser(t), e.browser(t), e.browser(t)
	for _, p := range []struct {
		b     *browser
		email string
		role  identity.Role
	}{{staff, "staff@example.org", identity.RoleStaff}, {admin, "admin@example.org", identity.RoleAdmin}} {
		_, en, _, err := e.ids.CreateUser(ctx, p.email, p.role, password)
		if err != nil {
			t.Fatal(err)
		}
		e.logIn(p.b, p.email, en.Secret)
	}
	e.signUp(ana, "ana@example.org")
	return staff, admin, ana
}

var grantIDRE = regexp.MustCompile(`data-id="(g_[a-z0-9]+)" data-status="(\w+)"`)

func TestGrantFlowInPages(t *testing.T) {
	e := newEnv(t, sqltest.SQLite(t))
	staff, admin, ana := e.staffFlow(t)

	// A resident has no grants page.
	if p := ana.get("/grants"); p.status != http.StatusForbidden {
		t.Fatalf("resident on /grants: %d", p.status)
	}
	p := staff.post("/grants", url.Values{"csrf_token": {staff.form("/grants")}, "email": {"ana@example.org"}, "reason": {"ticket 42: cannot sign in"}, "hours": {"100"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "72 hours") {
		t.Fatalf("100 hours: %d\n%s", p.status, p.body)
	}
	p = staff.post("/grants", url.Values{"csrf_token": {staff.form("/grants")}, "email": {"ana@example.org"}, "reason": {"ticket 42: cannot sign in"}, "hours": {"2"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("request: %d\n%s", p.status, p.body)
	}
	m := grantIDRE.FindStringSubmatch(staff.get("/grants").body)
	if m == nil || m[2] != "pending" {
		t.Fatalf("no pending grant listed")
	}
	id := m[1]
	if p := staff.get("/grants/" + id + "/account"); p.status != http.StatusForbidden {
		t.Fatalf("read before approval: %d", p.status)
	}
	// Staff cannot approve; the admin can.
	if p := staff.post("/grants/"+id+"/decide", url.Values{"csrf_token": {staff.form("/grants")}, "decision": {"approve"}}); p.status != http.StatusForbidden {
		t.Fatalf("staff approving: %d", p.status)
	}
	if p := admin.post("/grants/"+id+"/decide", url.Values{"csrf_token": {admin.form("/grants")}, "decision": {"approve"}}); p.status != http.StatusSeeOther {
		t.Fatalf("admin approving: %d\n%s", p.status, p.body)
	}
	p = staff.get("/grants/" + id + "/account")
	if p.status != http.StatusOK || !strings.Contains(p.body, "ana@example.org") {
		t.Fatalf("read under grant: %d\n%s", p.status, p.body)
	}
	// Ana is told, and sees the read with its log entry.
	if p := ana.get("/account"); !strings.Contains(p.body, "was granted access to your account metadata") {
		t.Fatalf("no notice on the account page:\n%s", p.body)
	}
	if _, err := e.log.AwaitCheckpoint(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	p = ana.get("/access")
	if p.status != http.StatusOK || strings.Count(p.body, `class="access-entry"`) != 1 || !strings.Contains(p.body, `data-in-checkpoint="true"`) {
		t.Fatalf("access history:\n%s", p.body)
	}
	// The grant expires (the staff member stays active, so the session does not).
	for range 5 {
		e.clock.Advance(25 * time.Minute)
		if p := staff.get("/account"); p.status != http.StatusOK {
			t.Fatalf("staff session ended: %d", p.status)
		}
	}
	if p := staff.get("/grants/" + id + "/account"); p.status != http.StatusForbidden {
		t.Fatalf("read after expiry: %d", p.status)
	}
	if m := grantIDRE.FindStringSubmatch(staff.get("/grants").body); m == nil || m[2] != "expired" {
		t.Fatalf("grant listed as %v after expiry", m)
	}
}

func TestPublicLogServed(t *testing.T) {
	e := newEnv(t, sqltest.SQLite(t))
	b := e.browser(t)
	p := b.get("/log/checkpoint")
	if p.status != 200 || !strings.HasPrefix(p.body, "hearth.test\n") || p.header.Get("Cache-Control") != "no-cache" || p.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("checkpoint: %d %v\n%s", p.status, p.header, p.body)
	}
	if p := b.get("/log/key"); p.status != 200 || !strings.HasPrefix(p.body, "hearth.test+") {
		t.Fatalf("key: %d %s", p.status, p.body)
	}
	for _, bad := range []string{"/log/../secret.key", "/log/.state/treeState", "/log/tile/../../log.key", "/log/nothing"} {
		if p := b.get(bad); p.status == 200 {
			t.Errorf("%s served: %s", bad, p.body)
		}
	}
}
