package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/geo"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/web"
)

// agencyEnv is env with the neighbours service wired, and the accounts an
// agency's story needs: an administrator and an officer, both signed in.
type agencyEnv struct {
	*env
	neighbors *neighbors.Service
	admin     neighbors.Actor
	officer   neighbors.Actor
	adminB    *browser
	officerB  *browser
}

// newAgencyServer is newEnv with the given map tiles.
func newAgencyServer(t *testing.T, dbURL, mapTiles string) (*env, *neighbors.Service) {
	t.Helper()
	e := newEnvWith(t, dbURL, mapTiles)
	return e, e.neighbors
}

func newAgencyEnv(t *testing.T, dbURL string) *agencyEnv {
	t.Helper()
	e, nb := newAgencyServer(t, dbURL, "")
	ae := &agencyEnv{env: e, neighbors: nb}
	ae.admin, ae.adminB = ae.member(t, "admin@example.org", identity.RoleAdmin)
	ae.officer, ae.officerB = ae.member(t, "officer@example.org", identity.RoleAgencyOfficer)
	return ae
}

// member creates an account with the role and signs it in with its second
// factor.
func (e *agencyEnv) member(t *testing.T, email string, role identity.Role) (neighbors.Actor, *browser) {
	t.Helper()
	u, en, _, err := e.ids.CreateUser(context.Background(), email, role, password)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	e.logIn(b, email, en.Secret)
	return neighbors.Actor{ID: u.ID, Role: role}, b
}

// verifiedAgency registers an agency for the officer and verifies it.
func (e *agencyEnv) verifiedAgency(t *testing.T, name string) *neighbors.Agency {
	t.Helper()
	ctx := context.Background()
	a, err := e.neighbors.RegisterAgency(ctx, e.officer, neighbors.NewAgency{Name: name, Jurisdiction: "Springfield", Kind: neighbors.AgencyPolice})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = e.neighbors.VerifyAgency(ctx, e.admin, a.ID); err != nil {
		t.Fatal(err)
	}
	return a
}

// goodRequest is a request that keeps every rule at the env's clock: a
// 300-m circle (0.109 sq mi), the hour that ended an hour ago.
func (e *agencyEnv) goodRequest() neighbors.NewRequest {
	now := e.clock.Now()
	return neighbors.NewRequest{
		IncidentType: "Burglary", Title: "Break-in on Elm Street", Description: "A house was broken into.\nAny footage helps.",
		CaseNumber: "2026-0042", Contact: "Det. Lee, 555-0100", WindowStart: now.Add(-2 * time.Hour), WindowEnd: now.Add(-time.Hour),
		Area:                   geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: 48.8566, Lng: 2.3522}, RadiusMeters: 300}},
		NotAboutLawfulActivity: true,
	}
}

// requestForm is goodRequest as the page posts it with its script.
func (e *agencyEnv) requestForm(csrf string) url.Values {
	n := e.goodRequest()
	return url.Values{
		"csrf_token": {csrf}, "incident_type": {n.IncidentType}, "title": {n.Title}, "description": {n.Description},
		"case_number": {n.CaseNumber}, "contact": {n.Contact},
		"window_start": {n.WindowStart.Format(time.RFC3339)}, "window_end": {n.WindowEnd.Format(time.RFC3339)},
		"window_start_local": {n.WindowStart.Format("2006-01-02T15:04")}, "window_end_local": {n.WindowEnd.Format("2006-01-02T15:04")},
		"center_lat": {"48.8566"}, "center_lng": {"2.3522"}, "radius_m": {"300"},
		"typed_center_lat": {"48.856600"}, "typed_center_lng": {"2.352200"}, "typed_radius_m": {"300.0"},
		"not_about_lawful_activity": {"yes"},
	}
}

func TestAgencyPublicPagesSignedOut(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newAgencyEnv(t, dbURL)
		ctx := context.Background()
		a := e.verifiedAgency(t, "Springfield Police")
		pending, err := e.neighbors.RegisterAgency(ctx, e.officer, neighbors.NewAgency{Name: "Shelbyville Fire", Jurisdiction: "Shelbyville", Kind: neighbors.AgencyFire})
		if err != nil {
			t.Fatal(err)
		}
		first, err := e.neighbors.PostRequest(ctx, e.officer, a.ID, e.goodRequest())
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		second := e.goodRequest()
		second.Title = "Stolen bicycle"
		r2, err := e.neighbors.PostRequest(ctx, e.officer, a.ID, second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.neighbors.ResolveRequest(ctx, e.officer, first.ID); err != nil {
			t.Fatal(err)
		}

		anon := e.browser(t)
		p := anon.get("/agencies")
		if p.status != http.StatusOK || !strings.Contains(p.body, "Springfield Police") || strings.Contains(p.body, "Shelbyville Fire") {
			t.Fatalf("public list: %d\n%s", p.status, p.body)
		}
		if p := e.adminB.get("/agencies"); !strings.Contains(p.body, "Shelbyville Fire") || !strings.Contains(p.body, `action="/agencies/`+string(pending.ID)+`/verify"`) {
			t.Fatalf("the administrator does not see the pending agency:\n%s", p.body)
		}
		p = anon.get("/agencies/" + string(a.ID))
		if p.status != http.StatusOK || !strings.Contains(p.body, "Springfield") || !strings.Contains(p.body, "Police") || !strings.Contains(p.body, "2026-03-01") {
			t.Fatalf("agency page: %d\n%s", p.status, p.body)
		}
		// Every request, newest first, with its status; no button for strangers.
		i2, i1 := strings.Index(p.body, "Stolen bicycle"), strings.Index(p.body, "Break-in on Elm Street")
		if i2 < 0 || i1 < 0 || i2 > i1 {
			t.Fatalf("requests missing or not newest first:\n%s", p.body)
		}
		if got := regexp.MustCompile(`class="status">(\w+)<`).FindAllStringSubmatch(p.body, -1); len(got) != 2 || got[0][1] != "open" || got[1][1] != "resolved" {
			t.Fatalf("statuses %v", got)
		}
		if strings.Contains(p.body, "/verify") || strings.Contains(p.body, "/requests/new") {
			t.Fatalf("a stranger is offered an officer's or administrator's button:\n%s", p.body)
		}
		p = anon.get("/requests/" + string(r2.ID))
		for _, want := range []string{"Stolen bicycle", "Burglary", "2026-0042", "Det. Lee", "0.1092 square miles", "open", `data-area="{&#34;circle&#34;`, "/static/agency.js", "/static/leaflet.css"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("request page lacks %q", want)
			}
		}
		if p.status != http.StatusOK || strings.Contains(p.body, "resolve") {
			t.Fatalf("request page: %d\n%s", p.status, p.body)
		}
		if p := e.officerB.get("/requests/" + string(r2.ID)); !strings.Contains(p.body, `action="/requests/`+string(r2.ID)+`/resolve"`) {
			t.Fatalf("the officer has no Resolve button:\n%s", p.body)
		}
		if p := anon.get("/requests/rfa_nothing"); p.status != http.StatusNotFound {
			t.Fatalf("unknown request: %d", p.status)
		}

		status, out := anon.apiCall("GET", "/api/v1/agencies", "", "")
		if list, _ := out["agencies"].([]any); status != http.StatusOK || len(list) != 1 {
			t.Fatalf("API list: %d %v", status, out)
		}
		if _, out := anon.apiCall("GET", "/api/v1/agencies", e.adminB.token(identity.ScopeAccountRead), ""); len(out["agencies"].([]any)) != 2 {
			t.Fatalf("API list for the administrator: %v", out)
		}
		status, out = anon.apiCall("GET", "/api/v1/agencies/"+string(a.ID), "", "")
		reqs, _ := out["requests"].([]any)
		if status != http.StatusOK || out["name"] != "Springfield Police" || out["verified"] != true || len(reqs) != 2 ||
			reqs[0].(map[string]any)["id"] != string(r2.ID) || reqs[1].(map[string]any)["status"] != "resolved" {
			t.Fatalf("API agency: %d %v", status, out)
		}
		if _, hasOfficer := reqs[0].(map[string]any)["posted_by"]; hasOfficer {
			t.Fatal("the API names the officer who posted")
		}
	})
}

func TestAgencyOfficersOnly(t *testing.T) {
	t.Parallel()
	e := newAgencyEnv(t, sqltest.SQLite(t))
	a := e.verifiedAgency(t, "Springfield Police")
	resident := e.browser(t)
	e.signUp(resident, "ana@example.org")
	_, otherB := e.member(t, "other@example.org", identity.RoleAgencyOfficer)

	p := resident.post("/agencies", url.Values{"csrf_token": {resident.form("/agencies/mine")}, "name": {"Fake Police"}, "jurisdiction": {"Nowhere"}, "kind": {"police"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("a resident registered an agency: %d", p.status)
	}
	if p := resident.get("/agencies/mine"); strings.Contains(p.body, `id="register-agency"`) {
		t.Fatal("a resident is offered the registration form")
	}
	for name, b := range map[string]*browser{"resident": resident, "another agency's officer": otherB} {
		if p := b.get("/agencies/" + string(a.ID) + "/requests/new"); p.status != http.StatusForbidden {
			t.Errorf("%s opened the new-request form: %d", name, p.status)
		}
		if p := b.get("/agencies/" + string(a.ID) + "/key"); p.status != http.StatusForbidden {
			t.Errorf("%s opened the key page: %d", name, p.status)
		}
		if p := b.post("/agencies/"+string(a.ID)+"/requests", e.requestForm(b.form("/agencies"))); p.status != http.StatusForbidden {
			t.Errorf("%s posted a request: %d", name, p.status)
		}
		if status, _ := b.apiCall("POST", "/api/v1/agencies/"+string(a.ID)+"/requests", b.token(identity.ScopeAccountRead, identity.ScopeAccountWrite), apiRequestBody(e.goodRequest())); status != http.StatusForbidden {
			t.Errorf("%s posted a request through the API: %d", name, status)
		}
		if p := b.post("/agencies/"+string(a.ID)+"/verify", url.Values{"csrf_token": {b.form("/agencies")}}); p.status != http.StatusForbidden {
			t.Errorf("%s verified an agency: %d", name, p.status)
		}
	}
	if reqs, _ := e.neighbors.AgencyRequests(context.Background(), a.ID); len(reqs) != 0 {
		t.Fatalf("%d requests stored", len(reqs))
	}
	if list, _ := e.neighbors.Agencies(context.Background(), e.admin); len(list) != 1 {
		t.Fatalf("%d agencies stored", len(list))
	}
	// Signed out, the officers' pages ask to sign in.
	anon := e.browser(t)
	if p := anon.get("/agencies/" + string(a.ID) + "/requests/new"); p.status != http.StatusSeeOther || p.location != "/login" {
		t.Fatalf("signed out: %d %s", p.status, p.location)
	}
}

func TestAgencyRegisterVerifyAndPost(t *testing.T) {
	t.Parallel()
	e := newAgencyEnv(t, sqltest.SQLite(t))
	b := e.officerB
	// A refused registration keeps what was entered.
	p := b.post("/agencies", url.Values{"csrf_token": {b.form("/agencies/mine")}, "name": {"Springfield Police"}, "jurisdiction": {"  "}, "kind": {"police"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "jurisdiction") || !strings.Contains(p.body, `value="Springfield Police"`) {
		t.Fatalf("bad registration: %d\n%s", p.status, p.body)
	}
	p = b.post("/agencies", url.Values{"csrf_token": {b.form("/agencies/mine")}, "name": {"Springfield Police"}, "jurisdiction": {"Springfield"}, "kind": {"police"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/agencies/ag_") {
		t.Fatalf("register: %d %s\n%s", p.status, p.location, p.body)
	}
	id := strings.TrimPrefix(p.location, "/agencies/")
	if p := b.get("/agencies/mine"); !strings.Contains(p.body, "Springfield Police") || !strings.Contains(p.body, "waiting for verification") {
		t.Fatalf("my agencies:\n%s", p.body)
	}

	// Unverified: no form, no posting, by page or API.
	if p := b.get("/agencies/" + id + "/requests/new"); p.status != http.StatusForbidden || !strings.Contains(p.body, "verified") {
		t.Fatalf("new-request form of an unverified agency: %d\n%s", p.status, p.body)
	}
	if p := b.post("/agencies/"+id+"/requests", e.requestForm(b.form("/agencies/mine"))); p.status != http.StatusForbidden {
		t.Fatalf("an unverified agency posted: %d\n%s", p.status, p.body)
	}
	if status, out := b.apiCall("POST", "/api/v1/agencies/"+id+"/requests", b.token(identity.ScopeAccountRead, identity.ScopeAccountWrite), apiRequestBody(e.goodRequest())); status != http.StatusForbidden {
		t.Fatalf("an unverified agency posted through the API: %d %v", status, out)
	}

	// The administrator verifies it from its page.
	p = e.adminB.get("/agencies/" + id)
	if !strings.Contains(p.body, `id="verify-agency"`) {
		t.Fatalf("no Verify button for the administrator:\n%s", p.body)
	}
	if p := e.adminB.post("/agencies/"+id+"/verify", url.Values{"csrf_token": {e.adminB.form("/agencies/" + id)}}); p.status != http.StatusSeeOther {
		t.Fatalf("verify: %d\n%s", p.status, p.body)
	}
	if p := b.get("/agencies/" + id); !strings.Contains(p.body, `id="new-request"`) {
		t.Fatalf("the verified agency's officer has no New request link:\n%s", p.body)
	}

	// The key: a bad one is refused with the message; an age recipient is published.
	p = b.post("/agencies/"+id+"/recipient", url.Values{"csrf_token": {b.form("/agencies/" + id + "/key")}, "recipient": {"not a key"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "age public key") {
		t.Fatalf("bad key: %d\n%s", p.status, p.body)
	}
	k, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	p = b.post("/agencies/"+id+"/recipient", url.Values{"csrf_token": {b.form("/agencies/" + id + "/key")}, "recipient": {k.Recipient().String()}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("publish key: %d\n%s", p.status, p.body)
	}
	if p := b.get(p.location); !strings.Contains(p.body, k.Recipient().String()) || !strings.Contains(p.body, "never holds the agency") {
		t.Fatalf("key page:\n%s", p.body)
	}

	// The form posts and lands on the request's page.
	p = b.post("/agencies/"+id+"/requests", e.requestForm(b.form("/agencies/"+id+"/requests/new")))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/requests/rfa_") {
		t.Fatalf("post: %d %s\n%s", p.status, p.location, p.body)
	}
	req, err := e.neighbors.Request(context.Background(), neighbors.RequestID(strings.TrimPrefix(p.location, "/requests/")))
	if err != nil {
		t.Fatal(err)
	}
	want := e.goodRequest()
	if req.Title != want.Title || !req.WindowEnd.Equal(want.WindowEnd) || req.Area.Circle == nil || req.Area.Circle.RadiusMeters != 300 || req.Description != want.Description {
		t.Fatalf("stored %+v", req)
	}
	p = b.post("/requests/"+string(req.ID)+"/resolve", url.Values{"csrf_token": {b.form(p.location)}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("resolve: %d\n%s", p.status, p.body)
	}
	if p := b.get(p.location); !strings.Contains(p.body, "resolved 2026-03-01") || strings.Contains(p.body, `id="resolve-request"`) {
		t.Fatalf("resolved request page:\n%s", p.body)
	}
}

func TestRequestFormRefusals(t *testing.T) {
	t.Parallel()
	e := newAgencyEnv(t, sqltest.SQLite(t))
	a := e.verifiedAgency(t, "Springfield Police")
	b := e.officerB
	path := "/agencies/" + string(a.ID) + "/requests"
	now := e.clock.Now()
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		want   string
	}{
		{"ErrWindowTooLong", func(f url.Values) { f.Set("window_start", now.Add(-14*time.Hour).Format(time.RFC3339)) }, "at most 12 hours"},
		{"ErrWindowTooShort", func(f url.Values) { f.Set("window_start", now.Add(-70*time.Minute).Format(time.RFC3339)) }, "at least 15 minutes"},
		{"ErrWindowInFuture", func(f url.Values) { f.Set("window_end", now.Add(time.Hour).Format(time.RFC3339)) }, "cannot end in the future"},
		{"ErrWindowUnreadable", func(f url.Values) { f.Set("window_end", "yesterday") }, "date and time"},
		{"ErrAreaTooSmall", func(f url.Values) { f.Set("radius_m", "100") }, "at least 0.025"},
		{"ErrAreaTooLarge", func(f url.Values) { f.Set("radius_m", "700") }, "at most 0.5"},
		{"ErrAreaUnreadable", func(f url.Values) { f.Set("center_lat", "north") }, "latitude and longitude"},
		{"ErrNoArea", func(f url.Values) {
			for _, k := range []string{"center_lat", "center_lng", "radius_m", "typed_center_lat", "typed_center_lng", "typed_radius_m"} {
				f.Del(k)
			}
		}, "Draw the area"},
		{"ErrNotOnEarth", func(f url.Values) { f.Set("center_lat", "91") }, "position on Earth"},
		{"ErrNoAttestation", func(f url.Values) { f.Del("not_about_lawful_activity") }, "not about lawful activity"},
		{"ErrNoCaseNumber", func(f url.Values) { f.Set("case_number", " ") }, "case number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := e.requestForm(b.form(path + "/new"))
			tc.change(f)
			p := b.post(path, f)
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.want) {
				t.Fatalf("status %d, want 400 with %q:\n%s", p.status, tc.want, p.body)
			}
			// What was entered is kept.
			for _, kept := range []string{`value="Break-in on Elm Street"`, "A house was broken into.\nAny footage helps.", `value="Det. Lee, 555-0100"`} {
				if !strings.Contains(p.body, kept) {
					t.Errorf("the form lost %q", kept)
				}
			}
		})
	}
	if reqs, _ := e.neighbors.AgencyRequests(context.Background(), a.ID); len(reqs) != 0 {
		t.Fatalf("%d requests stored from refused forms", len(reqs))
	}

	// Without the page's script: the window's local times read as UTC and
	// the typed centre and radius.
	f := e.requestForm(b.form(path + "/new"))
	for _, k := range []string{"window_start", "window_end", "center_lat", "center_lng", "radius_m"} {
		f.Del(k)
	}
	f.Set("typed_radius_m", "250")
	p := b.post(path, f)
	if p.status != http.StatusSeeOther {
		t.Fatalf("without script: %d\n%s", p.status, p.body)
	}
	req, err := e.neighbors.Request(context.Background(), neighbors.RequestID(strings.TrimPrefix(p.location, "/requests/")))
	if err != nil {
		t.Fatal(err)
	}
	if !req.WindowStart.Equal(now.Add(-2*time.Hour)) || !req.WindowEnd.Equal(now.Add(-time.Hour)) || req.Area.Circle.RadiusMeters != 250 {
		t.Fatalf("stored window %v–%v, radius %v", req.WindowStart, req.WindowEnd, req.Area.Circle.RadiusMeters)
	}
}

// apiRequestBody is n as the API takes it.
func apiRequestBody(n neighbors.NewRequest) string {
	b, _ := json.Marshal(map[string]any{
		"incident_type": n.IncidentType, "title": n.Title, "description": n.Description, "case_number": n.CaseNumber,
		"contact": n.Contact, "window_start": n.WindowStart, "window_end": n.WindowEnd, "area": n.Area,
		"not_about_lawful_activity": n.NotAboutLawfulActivity,
	})
	return string(b)
}

func TestRequestAPIRoundTripAndNoEdits(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newAgencyEnv(t, dbURL)
		a := e.verifiedAgency(t, "Springfield Police")
		ctx := context.Background()
		token, _, err := e.ids.CreateAPIToken(ctx, e.officer.ID, "dispatch", []identity.Scope{identity.ScopeAccountRead, identity.ScopeAccountWrite})
		if err != nil {
			t.Fatal(err)
		}
		anon := e.browser(t)
		polygon := e.goodRequest()
		polygon.Area = geo.Area{Polygon: []geo.Point{{Lat: 48.85, Lng: 2.35}, {Lat: 48.85, Lng: 2.36}, {Lat: 48.855, Lng: 2.36}, {Lat: 48.855, Lng: 2.35}}}
		status, out := anon.apiCall("POST", "/api/v1/agencies/"+string(a.ID)+"/requests", token, apiRequestBody(polygon))
		if status != http.StatusCreated {
			t.Fatalf("post: %d %v", status, out)
		}
		id, _ := out["id"].(string)
		if out["status"] != "open" || out["square_miles"].(float64) < 0.025 || out["window_end"] != polygon.WindowEnd.UTC().Format(time.RFC3339) {
			t.Fatalf("posted: %v", out)
		}
		// Refused rules come back as the service's message.
		bad := e.goodRequest()
		bad.NotAboutLawfulActivity = false
		if status, out := anon.apiCall("POST", "/api/v1/agencies/"+string(a.ID)+"/requests", token, apiRequestBody(bad)); status != http.StatusBadRequest ||
			!strings.Contains(out["error"].(map[string]any)["message"].(string), "lawful activity") {
			t.Fatalf("no attestation: %d %v", status, out)
		}
		if status, _ := anon.apiCall("POST", "/api/v1/agencies/"+string(a.ID)+"/requests", token, `{"window_start":"yesterday"}`); status != http.StatusBadRequest {
			t.Fatalf("bad time: %d", status)
		}

		readBack := func() map[string]any {
			t.Helper()
			status, got := anon.apiCall("GET", "/api/v1/requests/"+id, "", "")
			if status != http.StatusOK {
				t.Fatalf("get: %d %v", status, got)
			}
			return got
		}
		before := readBack()
		if len(before["area"].(map[string]any)["polygon"].([]any)) != 4 {
			t.Fatalf("area read back: %v", before["area"])
		}
		// No edit, no delete: not through the API, not through the page, not even by the officer.
		for _, method := range []string{"PUT", "PATCH", "DELETE"} {
			if status, out := anon.apiCall(method, "/api/v1/requests/"+id, token, apiRequestBody(e.goodRequest())); status != http.StatusMethodNotAllowed {
				t.Errorf("%s /api/v1/requests/{id}: %d %v", method, status, out)
			}
			req, _ := http.NewRequest(method, e.srv.URL+"/requests/"+id, strings.NewReader("title=changed"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := e.officerB.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s /requests/{id}: %d", method, resp.StatusCode)
			}
		}
		if after := readBack(); !jsonEqual(before, after) {
			t.Fatalf("the request changed:\n%v\n%v", before, after)
		}

		status, out = anon.apiCall("POST", "/api/v1/requests/"+id+"/resolve", token, "")
		if status != http.StatusOK || out["status"] != "resolved" || out["resolved_at"] == nil {
			t.Fatalf("resolve: %d %v", status, out)
		}
		if status, _ := anon.apiCall("POST", "/api/v1/requests/"+id+"/resolve", token, ""); status != http.StatusConflict {
			t.Fatalf("resolve twice: %d", status)
		}
		// A read-only token resolves nothing.
		reader, _, err := e.ids.CreateAPIToken(ctx, e.officer.ID, "reader", []identity.Scope{identity.ScopeAccountRead})
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := anon.apiCall("POST", "/api/v1/agencies/"+string(a.ID)+"/requests", reader, apiRequestBody(e.goodRequest())); status != http.StatusForbidden {
			t.Fatalf("read-only token posted: %d", status)
		}
		status, out = anon.apiCall("GET", "/api/v1/agencies/"+string(a.ID), "", "")
		if reqs := out["requests"].([]any); status != http.StatusOK || len(reqs) != 1 || reqs[0].(map[string]any)["status"] != "resolved" {
			t.Fatalf("agency: %d %v", status, out)
		}
		if status, _ := anon.apiCall("GET", "/api/v1/requests/rfa_nothing", "", ""); status != http.StatusNotFound {
			t.Fatalf("unknown request: %d", status)
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestMapTilesInPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, template, origin string
	}{
		{"OKNone", "", ""},
		{"OKOpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"},
		{"OKPort", "http://tiles.local:8081/osm/{z}/{x}/{y}{r}.png?key=1", "http://tiles.local:8081"},
		{"ErrSubdomains", "https://{s}.tile.example.org/{z}/{x}/{y}.png", ""},
		{"ErrNoPlaceholders", "https://tile.example.org/map.png", ""},
		{"ErrScheme", "ftp://tile.example.org/{z}/{x}/{y}.png", ""},
		{"ErrRelative", "/tiles/{z}/{x}/{y}.png", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := web.TileOrigin(tc.template)
			if strings.HasPrefix(tc.name, "Err") {
				if err == nil {
					t.Fatalf("accepted, origin %q", got)
				}
				return
			}
			if err != nil || got != tc.origin {
				t.Fatalf("origin %q, %v; want %q", got, err, tc.origin)
			}
		})
	}

	const tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
	e, _ := newAgencyServer(t, sqltest.SQLite(t), tiles)
	p := e.browser(t).get("/agencies")
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: blob: https://tile.openstreetmap.org;") || strings.Count(csp, "openstreetmap") != 1 {
		t.Fatalf("CSP with tiles: %q", csp)
	}
	// Without tiles, nothing but the site itself.
	plain, _ := newAgencyServer(t, sqltest.SQLite(t), "")
	if csp := plain.browser(t).get("/agencies").header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: blob:;") {
		t.Fatalf("CSP without tiles: %q", csp)
	}
}

// The request page shows its map with the data the script needs, and the
// tile template only when the operator set one.
func TestRequestPageMapData(t *testing.T) {
	t.Parallel()
	e := newAgencyEnv(t, sqltest.SQLite(t))
	a := e.verifiedAgency(t, "Springfield Police")
	r, err := e.neighbors.PostRequest(context.Background(), e.officer, a.ID, e.goodRequest())
	if err != nil {
		t.Fatal(err)
	}
	p := e.browser(t).get("/requests/" + string(r.ID))
	m := regexp.MustCompile(`<div id="request-map" class="hearth-map" data-area="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil || strings.Contains(p.body, "data-tiles") {
		t.Fatalf("request map:\n%s", p.body)
	}
	var area geo.Area
	if err := json.Unmarshal([]byte(strings.ReplaceAll(m[1], "&#34;", `"`)), &area); err != nil || area.Circle == nil || area.Circle.RadiusMeters != 300 {
		t.Fatalf("area %q: %v", m[1], err)
	}
	if !strings.Contains(p.body, strconv.FormatUint(r.PostedIndex, 10)+" of the") {
		t.Fatalf("no log index:\n%s", p.body)
	}
}

// TestAgencyVisibility: a pending agency is seen by administrators and its
// own officers only, in the list and by id, on pages and in the API; to
// anyone else it does not exist. Once verified, it is public.
func TestAgencyVisibility(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newAgencyEnv(t, dbURL)
		ctx := context.Background()
		pending, err := e.neighbors.RegisterAgency(ctx, e.officer, neighbors.NewAgency{Name: "Shelbyville Fire", Jurisdiction: "Shelbyville", Kind: neighbors.AgencyFire})
		if err != nil {
			t.Fatal(err)
		}
		anon := e.browser(t)
		resident := e.browser(t)
		e.signUp(resident, "ana@example.org")
		_, otherB := e.member(t, "other@example.org", identity.RoleAgencyOfficer)
		byID := "/api/v1/agencies/" + string(pending.ID)
		listed := func(b *browser) bool {
			t.Helper()
			status, out := b.apiCall("GET", "/api/v1/agencies", b.apiToken(), "")
			if status != http.StatusOK {
				t.Fatalf("API list: %d %v", status, out)
			}
			for _, a := range out["agencies"].([]any) {
				if a.(map[string]any)["id"] == string(pending.ID) {
					return true
				}
			}
			return false
		}
		for name, b := range map[string]*browser{"signed out": anon, "resident": resident, "another agency's officer": otherB} {
			if status, out := b.apiCall("GET", byID, b.apiToken(), ""); status != http.StatusNotFound {
				t.Errorf("%s: GET %s = %d %v, want 404", name, byID, status, out)
			}
			if p := b.get("/agencies/" + string(pending.ID)); p.status != http.StatusNotFound || strings.Contains(p.body, "Shelbyville Fire") {
				t.Errorf("%s: agency page = %d", name, p.status)
			}
			if listed(b) {
				t.Errorf("%s: the pending agency is listed", name)
			}
		}
		for name, b := range map[string]*browser{"administrator": e.adminB, "its officer": e.officerB} {
			if status, out := b.apiCall("GET", byID, b.apiToken(), ""); status != http.StatusOK || out["verified"] != false {
				t.Errorf("%s: GET %s = %d %v", name, byID, status, out)
			}
			if p := b.get("/agencies/" + string(pending.ID)); p.status != http.StatusOK || !strings.Contains(p.body, "Shelbyville Fire") {
				t.Errorf("%s: agency page = %d", name, p.status)
			}
			if !listed(b) {
				t.Errorf("%s: the pending agency is not listed", name)
			}
		}
		// Its officer cannot post for it yet, by page or API.
		if p := e.officerB.get("/agencies/" + string(pending.ID) + "/requests/new"); p.status != http.StatusForbidden {
			t.Errorf("new-request form of a pending agency: %d", p.status)
		}
		body, _ := json.Marshal(map[string]any{"incident_type": "Fire", "title": "Barn fire", "description": "x", "case_number": "F-1",
			"contact": "Chief", "window_start": e.clock.Now().Add(-2 * time.Hour), "window_end": e.clock.Now().Add(-time.Hour),
			"area": e.goodRequest().Area, "not_about_lawful_activity": true})
		if status, out := e.officerB.apiCall("POST", byID+"/requests", e.officerB.apiToken(), string(body)); status != http.StatusForbidden {
			t.Errorf("a pending agency posted through the API: %d %v", status, out)
		}

		if _, err := e.neighbors.VerifyAgency(ctx, e.admin, pending.ID); err != nil {
			t.Fatal(err)
		}
		if status, out := anon.apiCall("GET", byID, "", ""); status != http.StatusOK || out["verified"] != true {
			t.Errorf("verified agency by id, signed out: %d %v", status, out)
		}
		if !listed(anon) {
			t.Error("the verified agency is not listed for anyone")
		}
	})
}
