package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/internal/household"
	"hearth/internal/sqlstore/sqltest"
)

var householdLinkRE = regexp.MustCompile(`href="/households/(h_[a-z0-9]+)"`)

func TestHouseholdPages(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		ana, bob, eve := e.browser(t), e.browser(t), e.browser(t)
		e.signUp(ana, "ana@example.org")
		e.signUp(bob, "bob@example.org")
		e.signUp(eve, "eve@example.org")
		form := url.Values{"csrf_token": {ana.form("/households")}, "name": {"Rue des Lilas"}, "address": {"12 rue des Lilas, Paris"},
			"lat": {"48.85661"}, "lng": {"2.35222"}, "time_zone": {"Europe/Paris"}, "retention_days": {"30"}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("retention_days", "45")
		if p := ana.post("/households", bad); p.status != http.StatusBadRequest {
			t.Fatalf("45-day retention: %d", p.status)
		}
		p := ana.post("/households", form)
		if p.status != http.StatusSeeOther {
			t.Fatalf("create: %d\n%s", p.status, p.body)
		}
		id := strings.TrimPrefix(p.location, "/households/")
		p = ana.get(p.location)
		if p.status != 200 || !strings.Contains(p.body, "48.85661, 2.35222") || !strings.Contains(p.body, "ana@example.org") {
			t.Fatalf("household page:\n%s", p.body)
		}
		// Eve, not a member, learns nothing: the same answer as for no household at all.
		if a, b := eve.get("/households/"+id), eve.get("/households/h_doesnotexist"); a.status != http.StatusNotFound || a.status != b.status {
			t.Fatalf("outsider: %d vs %d", a.status, b.status)
		}
		// The devices page shows the household's devices and events; outsiders get 404.
		if p := ana.get("/households/" + id + "/devices"); p.status != 200 || !strings.Contains(p.body, `id="pair"`) {
			t.Fatalf("devices page: %d", p.status)
		}
		if p := eve.get("/households/" + id + "/devices"); p.status != http.StatusNotFound {
			t.Fatalf("outsider on the devices page: %d", p.status)
		}
		// Ana invites Bob by link; the link works once.
		p = ana.post("/households/"+id+"/invite", url.Values{"csrf_token": {ana.form("/households/" + id)}})
		m := regexp.MustCompile(`/join/(hi_[a-z0-9]+)`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no invitation link:\n%s", p.body)
		}
		join := "/join/" + m[1]
		if p := bob.post(join, url.Values{"csrf_token": {bob.form(join)}}); p.status != http.StatusSeeOther {
			t.Fatalf("join: %d\n%s", p.status, p.body)
		}
		if p := eve.post(join, url.Values{"csrf_token": {eve.form(join)}}); p.status != http.StatusNotFound {
			t.Fatalf("second use of the link: %d", p.status)
		}
		if p := bob.get("/households"); !householdLinkRE.MatchString(p.body) {
			t.Fatalf("bob's households:\n%s", p.body)
		}
		// Bob is a plain member: no settings, no removing Ana.
		if p := bob.post("/households/"+id+"/settings", form); p.status != http.StatusForbidden {
			t.Fatalf("member changing settings: %d", p.status)
		}
		// Ana cannot leave while she is the only owner and Bob remains.
		if p := ana.post("/households/"+id+"/leave", url.Values{"csrf_token": {ana.form("/households/" + id)}}); p.status != http.StatusConflict {
			t.Fatalf("last owner leaving: %d", p.status)
		}
		if p := bob.post("/households/"+id+"/leave", url.Values{"csrf_token": {bob.form("/households/" + id)}}); p.status != http.StatusSeeOther {
			t.Fatalf("bob leaving: %d", p.status)
		}
		if p := bob.get("/households/" + id); p.status != http.StatusNotFound {
			t.Fatalf("bob after leaving: %d", p.status)
		}
	})
}

func TestHouseholdNeedsSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	if p := e.browser(t).get("/households"); p.status != http.StatusSeeOther || p.location != "/login" {
		t.Fatalf("anonymous: %d %s", p.status, p.location)
	}
}

// TestHouseholdInvitationDiesWithOwnership: a link made by an owner stops
// letting anyone in once its creator is no longer an owner, and works again
// if they are made owner again before it expires.
func TestHouseholdInvitationDiesWithOwnership(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ana, bob, cy := e.browser(t), e.browser(t), e.browser(t)
		e.signUp(ana, "ana@example.org")
		e.signUp(bob, "bob@example.org")
		e.signUp(cy, "cy@example.org")
		anaID, _ := e.ids.LookUp(ctx, "ana@example.org")
		bobID, _ := e.ids.LookUp(ctx, "bob@example.org")
		h, err := e.households.Create(ctx, anaID, household.NewHousehold{Name: "Rue des Lilas",
			Home: household.Location{Lat: 48.85661, Lng: 2.35222}, TimeZone: "Europe/Paris", RetentionDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		invite := func(b *browser) string {
			t.Helper()
			p := b.post("/households/"+string(h.ID)+"/invite", url.Values{"csrf_token": {b.form("/households/" + string(h.ID))}})
			m := regexp.MustCompile(`/join/(hi_[a-z0-9]+)`).FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("no invitation link: %d\n%s", p.status, p.body)
			}
			return "/join/" + m[1]
		}
		if p := bob.post(invite(ana), url.Values{"csrf_token": {bob.form("/join/x")}}); p.status != http.StatusSeeOther {
			t.Fatalf("bob joins: %d", p.status)
		}
		if err := e.households.SetRole(ctx, anaID, h.ID, bobID, household.RoleOwner); err != nil {
			t.Fatal(err)
		}
		link := invite(bob)
		if err := e.households.SetRole(ctx, anaID, h.ID, bobID, household.RoleMember); err != nil {
			t.Fatal(err)
		}
		if p := cy.post(link, url.Values{"csrf_token": {cy.form(link)}}); p.status != http.StatusNotFound || !strings.Contains(p.body, "does not work") {
			t.Fatalf("a former owner's link let cy in: %d", p.status)
		}
		if p := cy.get("/households/" + string(h.ID)); p.status != http.StatusNotFound {
			t.Fatalf("cy sees the household: %d", p.status)
		}
		if err := e.households.SetRole(ctx, anaID, h.ID, bobID, household.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if p := cy.post(link, url.Values{"csrf_token": {cy.form(link)}}); p.status != http.StatusSeeOther {
			t.Fatalf("the link of an owner again: %d\n%s", p.status, p.body)
		}
	})
}
