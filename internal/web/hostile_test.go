package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/sqlstore/sqltest"
)

// Identifiers no object has: bytes no database stores (NUL, invalid
// UTF-8), path tricks, very long and non-ASCII values, a bidirectional
// override, and one of the right shape that names nothing.
var hostileIDs = []string{
	"\x00", "h_\x00", "\xff", "rfa_\xfe\xff", "../../etc/passwd", strings.Repeat("a", 4000),
	"名前", "\u202eexe.txt", "h_aaaaaaaaaaaaaaaaaaaaaaaaaa",
}

// Text no field may store: NUL, invalid UTF-8, a control character, a
// bidirectional override that makes a name read backwards, and
// zero-width characters that make a required field look empty.
var hostileTexts = []string{
	"Case \x00 42", "\x00", "Elm \xff\xfe Street", "Det.\u009bLee", "Springfield PD\u202e", "\u200b\u200c", "\ufeff",
}

// routePatterns is every pattern of the route table, sorted.
func routePatterns(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range routeTable(t) {
		out = append(out, r.pattern)
	}
	sort.Strings(out)
	return out
}

var wildcardRE = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// fill puts v in every path value of pattern's path.
func fill(path, v string) string {
	return wildcardRE.ReplaceAllLiteralString(strings.TrimSuffix(path, "{$}"), url.PathEscape(v))
}

// jsonString quotes s for a JSON body, leaving its bytes as they are
// (invalid UTF-8 included) but escaping what JSON requires.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hostileJSON is, for the API's write calls, a body that is well formed
// but for the text h in every text field.
func hostileJSON(pattern, h string, window time.Time) string {
	q := jsonString(h)
	switch {
	case strings.HasSuffix(pattern, "/tokens"):
		return `{"name":` + q + `,"scopes":["account:read"]}`
	case strings.HasSuffix(pattern, "/grants"):
		return `{"email":` + q + `,"reason":` + q + `,"hours":1}`
	case strings.HasSuffix(pattern, "/devices/pair"):
		return `{"code":` + q + `}`
	case strings.HasSuffix(pattern, "/posts"):
		return `{"household_id":` + q + `,"category":"crime","text":` + q + `}`
	case strings.HasSuffix(pattern, "/submissions"):
		return `{"clips":[` + q + `],"note":` + q + `}`
	case strings.HasSuffix(pattern, "/requests-opt-out"):
		return `{"opt_out":true}`
	case strings.HasSuffix(pattern, "/me/key"):
		return `{"recipient":` + q + `,"wrapped_identity":` + q + `}`
	case strings.HasSuffix(pattern, "/wraps"):
		return `{"recipient":` + q + `,"header":` + q + `}`
	case strings.HasSuffix(pattern, "/requests"):
		start, end := window.Add(-2*time.Hour).Format(time.RFC3339), window.Add(-time.Hour).Format(time.RFC3339)
		return `{"incident_type":` + q + `,"title":` + q + `,"description":` + q + `,"case_number":` + q + `,"contact":` + q +
			`,"window_start":"` + start + `","window_end":"` + end + `","area":{"circle":{"center":{"lat":48.8566,"lng":2.3522},"radius_m":300}},"not_about_lawful_activity":true}`
	}
	return `{"name":` + q + `}`
}

// formFields are the names of every form field the pages post.
var formFields = []string{"address", "agency", "case_number", "category", "code", "confirm_password", "contact", "current_password",
	"description", "email", "incident_type", "jurisdiction", "kind", "name", "new_password", "note", "passphrase", "password",
	"reason", "recipient", "scope", "text", "time_zone", "title", "type", "delay_order", "household", "clip_id", "post_key"}

// statefulWithoutText are routes that change something while taking no
// text; sent, they would change the data this test holds still.
var statefulWithoutText = map[string]bool{
	"POST /logout": true, "POST /account/recovery-codes": true, "POST /account/authenticator": true,
}

// TestHostileInput sends every route hostile identifiers and every form and
// API write hostile text, on every store: nothing answers with a server
// error, a store's refusal never shows as one, both stores answer alike,
// and the data is as it was.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	patterns := routePatterns(t)
	answers := map[string]map[string]int{} // store → request → status
	sqltest.ForEach(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		e := newAgencyEnv(t, dbURL)
		ana, anaID, hh := (&feedEnv{e.env}).resident(t, "ana@example.org", paris)
		token := (&feedEnv{e.env}).token(t, anaID)
		staffUser, en, _, err := e.ids.CreateUser(ctx, "staff@example.org", identity.RoleStaff, password)
		if err != nil {
			t.Fatal(err)
		}
		staff := e.browser(t)
		e.logIn(staff, "staff@example.org", en.Secret)
		ag := e.verifiedAgency(t, "Springfield PD")
		rfa, err := e.neighbors.PostRequest(ctx, e.officer, ag.ID, e.goodRequest())
		if err != nil {
			t.Fatal(err)
		}
		code, _, err := e.devices.StartPairing(ctx, anaID, hh.ID, device.KindCamera, "Porch")
		if err != nil {
			t.Fatal(err)
		}
		dev, _, err := e.devices.Pair(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		post, err := e.feed.Post(ctx, anaID, hh.ID, feed.NewPost{Category: feed.CategorySafety, Text: "Streetlight out on Elm"})
		if err != nil {
			t.Fatal(err)
		}
		demand, err := e.legal.Record(ctx, legal.Actor{ID: staffUser.ID, Role: identity.RoleStaff}, legal.NewDemand{Type: legal.Subpoena,
			Agency: "Paris prosecutor's office", Jurisdiction: "France", Scope: "Subscriber information",
			ReceivedOn: e.clock.Now(), AccountEmail: "ana@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		real := map[string]string{"/households/": string(hh.ID), "/devices/": string(dev.ID), "/agencies/": string(ag.ID),
			"/requests/": string(rfa.ID), "/posts/": string(post.ID), "/legal/": string(demand.ID)}

		// What the data looks like, read by its owners.
		snapshotPaths := map[*browser][]string{
			ana: {"/api/v1/me", "/api/v1/tokens", "/api/v1/households/" + string(hh.ID) + "/devices", "/api/v1/households/" + string(hh.ID) + "/clips",
				"/api/v1/households/" + string(hh.ID) + "/requests", "/api/v1/households/" + string(hh.ID) + "/submissions",
				"/api/v1/feed?household=" + string(hh.ID), "/api/v1/agencies", "/api/v1/requests/" + string(rfa.ID), "/households", "/api/v1/grants"},
			staff:      {"/legal", "/legal/" + string(demand.ID), "/api/v1/grants"},
			e.officerB: {"/agencies/mine", "/api/v1/agencies/" + string(ag.ID)},
		}
		snapshot := func() map[string]string {
			out := map[string]string{}
			for b, paths := range snapshotPaths {
				for _, p := range paths {
					got := b.get(p)
					out[fmt.Sprintf("%p %s", b, p)] = fmt.Sprintf("%d %s", got.status, got.body)
				}
			}
			return out
		}
		anon := e.browser(t)
		// The token's last use is recorded; make it now, before the snapshot.
		if status, _ := anon.apiCall("GET", "/api/v1/me", token, ""); status != http.StatusOK {
			t.Fatalf("token: %d", status)
		}
		before := snapshot()

		csrf := map[*browser]string{}
		for _, b := range []*browser{ana, staff, e.officerB, e.adminB} {
			csrf[b] = b.form("/account")
		}
		seen := map[string]int{}
		actor := map[*browser]string{}
		send := func(key string, b *browser, bearer, method, path, contentType, body string) int {
			t.Helper()
			req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
			if err != nil {
				t.Fatalf("%s %q: %v", method, path, err)
			}
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			} else if b != nil {
				req.Header.Set("X-CSRF-Token", csrf[b])
			}
			resp, err := b.c.Do(req)
			if err != nil {
				t.Fatalf("%s %q: %v", method, path, err)
			}
			got := read(t, resp)
			if got.status >= 500 {
				t.Errorf("%s %q %q: %d\n%.300s", method, path, body, got.status, got.body)
			}
			seen[fmt.Sprintf("%s as %s (token %v): %s", key, actor[b], bearer != "", method)] = got.status
			return got.status
		}

		csrf[anon] = anon.form("/login")
		actor[ana], actor[staff], actor[e.officerB], actor[e.adminB], actor[anon] = "resident", "staff", "officer", "admin", "anonymous"
		for _, pattern := range patterns {
			if statefulWithoutText[pattern] {
				continue
			}
			method, path, _ := strings.Cut(pattern, " ")
			isAPI := strings.HasPrefix(path, "/api/")
			ids := hostileIDs
			if !wildcardRE.MatchString(path) {
				ids = []string{""}
			}
			for i, id := range ids {
				h := hostileTexts[i%len(hostileTexts)]
				p := fill(path, id)
				key := fmt.Sprintf("%s with id %q and text %q", pattern, id, h)
				if method == http.MethodGet {
					send(key, ana, "", method, p, "", "")
					send(key, e.officerB, "", method, p, "", "")
					send(key, staff, "", method, p, "", "")
					if isAPI {
						send(key, anon, token, method, p, "", "")
					}
					continue
				}
				if isAPI {
					send(key, ana, "", method, p, "application/json", hostileJSON(pattern, h, e.clock.Now()))
					send(key, e.officerB, "", method, p, "application/json", hostileJSON(pattern, h, e.clock.Now()))
					send(key, anon, token, method, p, "application/json", hostileJSON(pattern, h, e.clock.Now()))
					continue
				}
				for _, b := range []*browser{ana, e.officerB, staff, anon} {
					form := url.Values{"csrf_token": {csrf[b]}}
					for _, f := range formFields {
						form.Set(f, h)
					}
					send(key, b, "", method, p, "application/x-www-form-urlencoded", form.Encode())
				}
			}
		}

		// Well-formed writes to real objects, but for one hostile text
		// field at a time: each is refused.
		n := e.goodRequest()
		writes := []struct {
			b      *browser
			label  string
			path   string
			form   url.Values
			fields []string
		}{
			{ana, "/households", "/households", url.Values{"name": {"Home"}, "address": {"1 Elm St"}, "lat": {"48.85"}, "lng": {"2.35"}, "time_zone": {"Europe/Paris"}, "retention_days": {"30"}}, []string{"name", "address", "time_zone"}},
			{ana, "/households/{id}/settings", "/households/" + real["/households/"] + "/settings", url.Values{"name": {"Home"}, "address": {"1 Elm St"}, "lat": {"48.85"}, "lng": {"2.35"}, "time_zone": {"Europe/Paris"}, "retention_days": {"30"}}, []string{"name", "address"}},
			{ana, "/households/{id}/devices/pair", "/households/" + real["/households/"] + "/devices/pair", url.Values{"kind": {"camera"}, "name": {"Garage"}}, []string{"name"}},
			{ana, "/devices/{id}/rename", "/devices/" + real["/devices/"] + "/rename", url.Values{"name": {"Garage"}}, []string{"name"}},
			{ana, "/account/tokens", "/account/tokens", url.Values{"name": {"script"}, "scope": {"account:read"}}, []string{"name"}},
			{ana, "/feed/posts", "/feed/posts", url.Values{"household": {real["/households/"]}, "category": {"safety"}, "text": {"Hello"}, "radius_m": {"500"}}, []string{"text"}},
			{e.officerB, "/agencies", "/agencies", url.Values{"name": {"Fire Dept"}, "jurisdiction": {"Springfield"}, "kind": {"fire"}}, []string{"name", "jurisdiction"}},
			{e.officerB, "/agencies/{id}/requests", "/agencies/" + real["/agencies/"] + "/requests", e.requestForm(""), []string{"incident_type", "title", "description", "case_number", "contact"}},
			{staff, "/legal", "/legal", demandForm("subpoena"), []string{"agency", "jurisdiction", "scope", "email"}},
			{staff, "/legal/{id}/decide", "/legal/" + real["/legal/"] + "/decide", url.Values{"outcome": {"rejected"}, "note": {"No basis"}}, []string{"note", "delay_order"}},
			{staff, "/grants", "/grants", url.Values{"email": {"ana@example.org"}, "reason": {"Support ticket 42 asks for help"}, "hours": {"1"}}, []string{"email", "reason"}},
		}
		for _, w := range writes {
			for _, f := range w.fields {
				for _, h := range hostileTexts {
					form := url.Values{}
					for k, v := range w.form {
						form[k] = v
					}
					form.Set("csrf_token", csrf[w.b])
					form.Set(f, h)
					key := fmt.Sprintf("POST %s with %s=%q", w.label, f, h)
					if got := send(key, w.b, "", http.MethodPost, w.path, "application/x-www-form-urlencoded", form.Encode()); got != http.StatusBadRequest {
						t.Errorf("POST %s with %s=%q: %d, want 400", w.path, f, h, got)
					}
				}
			}
		}
		officerToken := e.officerB.apiToken()
		for _, h := range hostileTexts {
			body := apiRequestBody(n)
			for _, f := range []string{"incident_type", "title", "description", "case_number", "contact"} {
				b := regexp.MustCompile(`"`+f+`":"[^"]*"`).ReplaceAllLiteralString(body, `"`+f+`":`+jsonString(h))
				if got := send(fmt.Sprintf("POST request API with %s=%q", f, h), e.officerB, officerToken, http.MethodPost, "/api/v1/agencies/"+real["/agencies/"]+"/requests", "application/json", b); got != http.StatusBadRequest {
					t.Errorf("POST request API with %s=%q: %d, want 400", f, h, got)
				}
			}
		}

		if len(seen) < 300 {
			t.Errorf("sent only %d distinct requests", len(seen))
		}
		after := snapshot()
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s changed:\nbefore %.400s\nafter  %.400s", k, v, after[k])
			}
		}
		answers[dbURL] = seen
	})
	// Both stores answer every request the same way.
	var stores []map[string]int
	for _, a := range answers {
		stores = append(stores, a)
	}
	if len(stores) == 2 {
		differ := 0
		for k, s := range stores[0] {
			if o := stores[1][k]; o != s && differ < 20 {
				differ++
				t.Errorf("stores answer %s with %d and %d", k, s, o)
			}
		}
	}
}
