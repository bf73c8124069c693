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
	t.Parallel()
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
	t.Parallel()
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

func TestGrantAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	ctx := context.Background()
	staffB, adminB, ana := e.staffFlow(t)
	staff, staffRead := staffB.token(identity.ScopeGrants), staffB.token(identity.ScopeAccountRead)
	admin := adminB.token(identity.ScopeGrants)
	anaToken := ana.token(identity.ScopeAccountRead)
	anon := e.browser(t)

	if status, _ := anon.apiCall("POST", "/api/v1/grants", staffRead, `{"email":"ana@example.org","reason":"ticket 42: cannot sign in","hours":1}`); status != http.StatusForbidden {
		t.Fatalf("token without the grants scope: %d", status)
	}
	if status, out := anon.apiCall("POST", "/api/v1/grants", staff, `{"email":"nobody@example.org","reason":"ticket 42: cannot sign in","hours":1}`); status != http.StatusNotFound {
		t.Fatalf("unknown e-mail: %d %v", status, out)
	}
	status, out := anon.apiCall("POST", "/api/v1/grants", staff, `{"email":"ana@example.org","reason":"ticket 42: cannot sign in","hours":1}`)
	if status != http.StatusCreated || out["status"] != "pending" || !strings.HasPrefix(out["staff"].(string), "S-") {
		t.Fatalf("request: %d %v", status, out)
	}
	id := out["id"].(string)
	if status, _ := anon.apiCall("GET", "/api/v1/grants/"+id+"/account", staff, ""); status != http.StatusForbidden {
		t.Fatalf("read before approval: %d", status)
	}
	if status, _ := anon.apiCall("POST", "/api/v1/grants/"+id+"/approve", staff, ""); status != http.StatusForbidden {
		t.Fatalf("staff approving: %d", status)
	}
	if status, out := anon.apiCall("POST", "/api/v1/grants/"+id+"/approve", admin, ""); status != 200 || out["status"] != "approved" {
		t.Fatalf("approve: %d %v", status, out)
	}
	if status, _ := anon.apiCall("POST", "/api/v1/grants/"+id+"/deny", admin, ""); status != http.StatusConflict {
		t.Fatalf("second decision: %d", status)
	}
	status, out = anon.apiCall("GET", "/api/v1/grants/"+id+"/account", staff, "")
	if status != 200 || out["email"] != "ana@example.org" {
		t.Fatalf("read under grant: %d %v", status, out)
	}
	if _, err := e.log.AwaitCheckpoint(ctx, 2); err != nil {
		t.Fatal(err)
	}
	status, out = anon.apiCall("GET", "/api/v1/access", anaToken, "")
	entries, _ := out["entries"].([]any)
	if status != 200 || len(entries) != 1 || entries[0].(map[string]any)["names_you"] != true {
		t.Fatalf("ana's access history: %d %v", status, out)
	}
	// The staff member's own history is empty: nobody read their data.
	_, out = anon.apiCall("GET", "/api/v1/access", staffB.token(identity.ScopeAccountRead), "")
	if entries, _ := out["entries"].([]any); len(entries) != 0 {
		t.Fatalf("staff history: %v", out)
	}
}
