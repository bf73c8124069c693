package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/client"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/vault"
)

// apiUser makes an account of the role with a household in Paris, and a
// client of the API acting for it through a token of the scopes.
func (e *env) apiUser(t *testing.T, email string, role identity.Role, scopes ...identity.Scope) (*client.Client, identity.UserID, *household.Household) {
	t.Helper()
	ctx := context.Background()
	u, _, _, err := e.ids.CreateUser(ctx, email, role, password)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := e.ids.CreateAPIToken(ctx, u.ID, "script", scopes)
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.households.Create(ctx, u.ID, household.NewHousehold{Name: "Home of " + email,
		Home: household.Location{Lat: paris.Lat, Lng: paris.Lng}, TimeZone: "Europe/Paris", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return e.client(t, client.WithToken(token)), u.ID, h
}

// client returns a client of the test server.
func (e *env) client(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(e.srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantCode fails the test unless err is the API's answer with code.
func wantCode(t *testing.T, what string, err error, code client.Code, status int) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Code != code || e.Status != status || e.Message == "" || !client.IsCode(err, code) {
		t.Fatalf("%s: %v, want %s (%d)", what, err, code, status)
	}
}

// roundTripFunc counts requests on their way.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestClient calls each family of the API through hearth/client against the
// real server: account, vault key, a device pairing and uploading, the
// household's devices and clips a page at a time, the feed by its cursor,
// agencies and requests, access grants; and the API's refusals arrive as
// *client.Error with their codes.
func TestClient(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rw := []identity.Scope{identity.ScopeAccountRead, identity.ScopeAccountWrite}
		ana, anaID, home := e.apiUser(t, "ana@example.org", identity.RoleResident, rw...)
		bob, _, _ := e.apiUser(t, "bob@example.org", identity.RoleResident, rw...)
		anon := e.client(t)

		t.Run("Account", func(t *testing.T) {
			me, err := ana.Me(ctx)
			if err != nil || me.ID != client.UserID(anaID) || me.Email != "ana@example.org" || me.Role != "resident" {
				t.Fatalf("me: %+v %v", me, err)
			}
			tokens, err := ana.Tokens(ctx)
			if err != nil || len(tokens) != 1 || tokens[0].Name != "script" || len(tokens[0].Scopes) != 2 {
				t.Fatalf("tokens: %+v %v", tokens, err)
			}
			if sessions, err := ana.Sessions(ctx); err != nil || len(sessions) != 0 {
				t.Fatalf("sessions: %+v %v", sessions, err)
			}
			if h, err := anon.Health(ctx); err != nil || h.Status != "ok" || h.Version != "test" {
				t.Fatalf("health: %+v %v", h, err)
			}
			wantCode(t, "a wrong token", e.client(t, client.WithToken("hrt_nonsense")).RevokeToken(ctx, tokens[0].ID), client.Unauthenticated, http.StatusUnauthorized)
			_, err = anon.Me(ctx)
			wantCode(t, "no token", err, client.Unauthenticated, http.StatusUnauthorized)
			wantCode(t, "another's token", bob.RevokeToken(ctx, tokens[0].ID), client.NotFound, http.StatusNotFound)
		})

		// Ana's key, made on her side.
		member, recipient, wrapped, err := vault.NewMemberKey("ana's long key passphrase", vault.WithWorkFactor(10))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ana.Key(ctx)
		wantCode(t, "no key yet", err, client.NotFound, http.StatusNotFound)
		if err := ana.SetKey(ctx, client.Key{Recipient: recipient, WrappedIdentity: wrapped}); err != nil {
			t.Fatal(err)
		}
		if k, err := ana.Key(ctx); err != nil || k.Recipient != recipient || !bytes.Equal(k.WrappedIdentity, wrapped) {
			t.Fatalf("key: %+v %v", k, err)
		}
		wantCode(t, "a key that is not one", bob.SetKey(ctx, client.Key{Recipient: recipient, WrappedIdentity: []byte("nope")}), client.Invalid, http.StatusBadRequest)

		// A camera pairs and uploads five clips, encrypted to Ana.
		code, _, err := e.devices.StartPairing(ctx, anaID, home.ID, device.KindCamera, "Porch")
		if err != nil {
			t.Fatal(err)
		}
		p, err := anon.Pair(ctx, code)
		if err != nil || p.HouseholdID != client.HouseholdID(home.ID) || p.Name != "Porch" || p.Credential == "" {
			t.Fatalf("pair: %+v %v", p, err)
		}
		_, err = anon.Pair(ctx, code)
		wantCode(t, "a used code", err, client.NotFound, http.StatusNotFound)
		cam := e.client(t, client.WithDevice(p.DeviceID, p.Credential))
		if rs, err := cam.Recipients(ctx); err != nil || len(rs) != 1 || rs[0] != recipient {
			t.Fatalf("recipients: %v %v", rs, err)
		}
		var first []byte
		upload := func(start time.Time, text string) client.ClipID {
			t.Helper()
			var ct bytes.Buffer
			w, _ := age.Encrypt(&ct, member.Recipient())
			io.WriteString(w, text)
			w.Close()
			if first == nil {
				first = ct.Bytes()
			}
			c, created, err := cam.UploadClip(ctx, client.ClipUpload{Kind: "video", Start: start, End: start.Add(10 * time.Second)}, bytes.NewReader(ct.Bytes()))
			if err != nil || !created || c.Household != client.HouseholdID(home.ID) {
				t.Fatalf("upload %q: %+v %v", text, c, err)
			}
			return c.ID
		}
		var uploaded []client.ClipID // newest first
		for i := range 5 {
			uploaded = append(uploaded, upload(e.clock.Now().Add(-time.Duration(i+1)*time.Hour), fmt.Sprintf("clip %d", i)))
		}
		again, created, err := cam.UploadClip(ctx, client.ClipUpload{Kind: "video", Start: e.clock.Now().Add(-time.Hour), End: e.clock.Now().Add(-time.Hour + 10*time.Second)}, bytes.NewReader(first))
		if err != nil || created || again.ID != uploaded[0] {
			t.Fatalf("the same bytes again: %+v created=%v %v", again, created, err)
		}
		_, _, err = cam.UploadClip(ctx, client.ClipUpload{Kind: "video", Start: e.clock.Now().Add(-time.Hour), End: e.clock.Now()}, strings.NewReader("not an age file"))
		wantCode(t, "a plaintext upload", err, client.Invalid, http.StatusBadRequest)

		t.Run("Households", func(t *testing.T) {
			devices, err := ana.Devices(ctx, client.HouseholdID(home.ID))
			if err != nil || len(devices) != 1 || devices[0].ID != p.DeviceID || devices[0].Kind != "camera" {
				t.Fatalf("devices: %+v %v", devices, err)
			}
			body, err := ana.ClipContent(ctx, uploaded[0])
			if err != nil {
				t.Fatal(err)
			}
			r, err := age.Decrypt(body, member)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(r)
			body.Close()
			if err != nil || string(plain) != "clip 0" {
				t.Fatalf("content: %q %v", plain, err)
			}
			_, err = bob.Clips(ctx, client.HouseholdID(home.ID), client.ClipQuery{})
			wantCode(t, "bob lists ana's clips", err, client.NotFound, http.StatusNotFound)
			if !errors.Is(err, &client.Error{Code: client.NotFound}) {
				t.Fatalf("errors.Is does not match the code: %v", err)
			}
			_, err = bob.ClipContent(ctx, uploaded[0])
			wantCode(t, "bob downloads ana's clip", err, client.NotFound, http.StatusNotFound)
			_, err = ana.Clips(ctx, client.HouseholdID(home.ID), client.ClipQuery{Limit: 5000})
			wantCode(t, "a limit out of range", err, client.Invalid, http.StatusBadRequest)
		})

		t.Run("ClipPages", func(t *testing.T) {
			var pages atomic.Int32
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if strings.HasSuffix(r.URL.Path, "/clips") {
					pages.Add(1)
				}
				return http.DefaultTransport.RoundTrip(r)
			})}
			token, _, err := e.ids.CreateAPIToken(ctx, anaID, "pager", []identity.Scope{identity.ScopeAccountRead})
			if err != nil {
				t.Fatal(err)
			}
			pager := e.client(t, client.WithToken(token), client.WithHTTPClient(hc))
			var got []client.ClipID
			for c, err := range pager.AllClips(ctx, client.HouseholdID(home.ID), client.ClipQuery{Limit: 2}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, c.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(uploaded) || pages.Load() != 3 {
				t.Fatalf("%d pages of clips %v, want 3 pages of %v", pages.Load(), got, uploaded)
			}
			// A window, and stopping early.
			var window []client.ClipID
			q := client.ClipQuery{From: e.clock.Now().Add(-4 * time.Hour), To: e.clock.Now().Add(-90 * time.Minute), Limit: 1}
			for c, err := range pager.AllClips(ctx, client.HouseholdID(home.ID), q) {
				if err != nil {
					t.Fatal(err)
				}
				if window = append(window, c.ID); len(window) == 2 {
					break
				}
			}
			if fmt.Sprint(window) != fmt.Sprint(uploaded[1:3]) {
				t.Fatalf("window %v, want %v", window, uploaded[1:3])
			}
			wantCode(t, "a read-only token deleting", pager.DeleteClip(ctx, uploaded[0]), client.Forbidden, http.StatusForbidden)

			// Clips that started at one instant, more of them than a page.
			tied := map[client.ClipID]bool{}
			for i := range 3 {
				tied[upload(e.clock.Now().Add(-30*time.Minute), fmt.Sprintf("tied clip %d", i))] = true
			}
			got = nil
			for c, err := range pager.AllClips(ctx, client.HouseholdID(home.ID), client.ClipQuery{Limit: 2}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, c.ID)
			}
			if len(got) != 8 || !tied[got[0]] || !tied[got[1]] || !tied[got[2]] || got[0] == got[1] || got[1] == got[2] || got[0] == got[2] ||
				fmt.Sprint(got[3:]) != fmt.Sprint(uploaded) {
				t.Fatalf("clips %v, want the three of %v then %v", got, tied, uploaded)
			}
		})

		t.Run("FeedPages", func(t *testing.T) {
			var posted []string // newest first
			for i := range 3 {
				it, err := ana.CreatePost(ctx, client.NewPost{Household: client.HouseholdID(home.ID), Category: string(feed.CategorySafety), Text: fmt.Sprintf("Streetlight %d is out.", i)})
				if err != nil || it.Type != "post" || !it.Mine {
					t.Fatalf("post: %+v %v", it, err)
				}
				posted = append([]string{it.ID}, posted...)
				e.clock.Advance(time.Minute)
			}
			page, err := bob.FeedPage(ctx, client.FeedQuery{Household: client.HouseholdID(home.ID), Limit: 1})
			wantCode(t, "bob reads from ana's home", err, client.NotFound, http.StatusNotFound)
			page, err = ana.FeedPage(ctx, client.FeedQuery{Household: client.HouseholdID(home.ID), Limit: 1})
			if err != nil || len(page.Items) != 1 || page.Items[0].ID != posted[0] || page.NextCursor == "" || page.RadiusM != 2000 {
				t.Fatalf("first page: %+v %v", page, err)
			}
			var got []string
			for it, err := range ana.Feed(ctx, client.FeedQuery{Household: client.HouseholdID(home.ID), Limit: 1}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(posted) {
				t.Fatalf("feed %v, want %v", got, posted)
			}
			if err := ana.DeletePost(ctx, client.PostID(posted[0])); err != nil {
				t.Fatal(err)
			}
			wantCode(t, "a deleted post", ana.DeletePost(ctx, client.PostID(posted[0])), client.NotFound, http.StatusNotFound)
		})

		t.Run("Requests", func(t *testing.T) {
			officer, officerID, _ := e.apiUser(t, "officer@example.org", identity.RoleAgencyOfficer, rw...)
			_, adminID, _ := e.apiUser(t, "admin@example.org", identity.RoleAdmin, rw...)
			ag, err := e.neighbors.RegisterAgency(ctx, neighbors.Actor{ID: officerID, Role: identity.RoleAgencyOfficer},
				neighbors.NewAgency{Name: "Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.neighbors.VerifyAgency(ctx, neighbors.Actor{ID: adminID, Role: identity.RoleAdmin}, ag.ID); err != nil {
				t.Fatal(err)
			}
			end := e.clock.Now().Add(-time.Hour)
			nr := client.NewRequest{IncidentType: "burglary", Title: "Break-in on rue de Rivoli", Description: "Footage of the street, please.",
				CaseNumber: "PP-1", Contact: "Det. Martin", WindowStart: end.Add(-2 * time.Hour), WindowEnd: end,
				Area: client.Area{Circle: &client.Circle{Center: client.Point{Lat: paris.Lat, Lng: paris.Lng}, RadiusM: 300}}, NotAboutLawfulActivity: true}
			_, err = ana.PostRequest(ctx, client.AgencyID(ag.ID), nr)
			wantCode(t, "a resident posting for an agency", err, client.Forbidden, http.StatusForbidden)
			req, err := officer.PostRequest(ctx, client.AgencyID(ag.ID), nr)
			if err != nil || req.Status != "open" || req.Area.Circle == nil || req.Area.Circle.RadiusM != 300 {
				t.Fatalf("post a request: %+v %v", req, err)
			}
			if got, err := anon.Request(ctx, req.ID); err != nil || got.Title != nr.Title || got.Agency != client.AgencyID(ag.ID) {
				t.Fatalf("request: %+v %v", got, err)
			}
			if list, err := anon.Agencies(ctx); err != nil || len(list) != 1 || list[0].Name != "Paris Police" || !list[0].Verified {
				t.Fatalf("agencies: %+v %v", list, err)
			}
			if a, reqs, err := anon.Agency(ctx, client.AgencyID(ag.ID)); err != nil || a.ID != client.AgencyID(ag.ID) || len(reqs) != 1 || reqs[0].ID != req.ID {
				t.Fatalf("agency: %+v %+v %v", a, reqs, err)
			}
			if _, err := ana.HouseholdRequests(ctx, client.HouseholdID(home.ID)); err != nil {
				t.Fatal(err)
			}
			if subs, err := ana.HouseholdSubmissions(ctx, client.HouseholdID(home.ID)); err != nil || len(subs) != 0 {
				t.Fatalf("submissions: %+v %v", subs, err)
			}
			if received, err := officer.ReceivedSubmissions(ctx, req.ID); err != nil || len(received) != 0 {
				t.Fatalf("received: %+v %v", received, err)
			}
			if err := ana.SetRequestsOptOut(ctx, client.HouseholdID(home.ID), true); err != nil {
				t.Fatal(err)
			}
			if got, err := officer.ResolveRequest(ctx, req.ID); err != nil || got.Status != "resolved" || got.ResolvedAt == nil {
				t.Fatalf("resolve: %+v %v", got, err)
			}
			_, err = officer.ResolveRequest(ctx, req.ID)
			wantCode(t, "resolving twice", err, client.Conflict, http.StatusConflict)
		})

		t.Run("Grants", func(t *testing.T) {
			grants := []identity.Scope{identity.ScopeGrants}
			staff, _, _ := e.apiUser(t, "staff@example.org", identity.RoleStaff, grants...)
			admin, _, _ := e.apiUser(t, "boss@example.org", identity.RoleAdmin, grants...)
			g, err := staff.RequestGrant(ctx, client.GrantRequest{Email: "ana@example.org", Reason: "ticket 42: cannot sign in", Hours: 1})
			if err != nil || g.Status != "pending" || g.Subject != client.UserID(anaID) {
				t.Fatalf("request a grant: %+v %v", g, err)
			}
			_, err = staff.GrantAccount(ctx, g.ID)
			wantCode(t, "a read before approval", err, client.Forbidden, http.StatusForbidden)
			if g, err := admin.ApproveGrant(ctx, g.ID); err != nil || g.Status != "approved" {
				t.Fatalf("approve: %+v %v", g, err)
			}
			_, err = admin.DenyGrant(ctx, g.ID)
			wantCode(t, "a second decision", err, client.Conflict, http.StatusConflict)
			if list, err := admin.Grants(ctx); err != nil || len(list) != 1 {
				t.Fatalf("grants: %+v %v", list, err)
			}
			if md, err := staff.GrantAccount(ctx, g.ID); err != nil || md.Email != "ana@example.org" {
				t.Fatalf("read under the grant: %+v %v", md, err)
			}
			if _, err := e.log.AwaitCheckpoint(ctx, 2); err != nil {
				t.Fatal(err)
			}
			h, err := ana.AccessHistory(ctx)
			if err != nil || len(h.Entries) != 1 || !h.Entries[0].NamesYou || len(h.Entries[0].Entry) == 0 || h.Commitment == "" {
				t.Fatalf("ana's access history: %+v %v", h, err)
			}
		})

		t.Run("RevokedDevice", func(t *testing.T) {
			if err := e.devices.Revoke(ctx, anaID, device.ID(p.DeviceID)); err != nil {
				t.Fatal(err)
			}
			_, err := cam.Recipients(ctx)
			wantCode(t, "a revoked device", err, client.Unauthenticated, http.StatusUnauthorized)
		})
	})
}
