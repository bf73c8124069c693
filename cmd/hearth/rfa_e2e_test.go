package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/client"
	"hearth/internal/device"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/notice"
	"hearth/internal/vault"
)

// rfaHousehold is a resident with a household at a chosen home, a camera and
// (when keyed) a vault key.
type rfaHousehold struct {
	api      *apiClient
	user     identity.UserID
	home     *household.Household
	identity *age.X25519Identity
	camera   *device.Device
	secret   string
}

func newRFAHousehold(t *testing.T, m *Main, email string, at household.Location, keyed bool) *rfaHousehold {
	t.Helper()
	ctx := context.Background()
	u, _, _, err := m.Identity.CreateUser(ctx, email, identity.RoleResident, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := m.Identity.CreateAPIToken(ctx, u.ID, "test", []identity.Scope{identity.ScopeAccountRead, identity.ScopeAccountWrite})
	if err != nil {
		t.Fatal(err)
	}
	n := &rfaHousehold{api: &apiClient{t: t, base: m.URL(), token: token}, user: u.ID}
	if n.home, err = m.Households.Create(ctx, u.ID, household.NewHousehold{Name: email, Home: at, TimeZone: "Europe/Paris", RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	if keyed {
		id, recipient, wrapped, err := vault.NewMemberKey(email+" long key passphrase", vault.WithWorkFactor(18))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"recipient": recipient, "wrapped_identity": base64.StdEncoding.EncodeToString(wrapped)})
		if st := n.api.do("PUT", "/api/v1/me/key", bytes.NewReader(body), nil); st != http.StatusNoContent {
			t.Fatalf("set key: %d", st)
		}
		n.identity = id
	}
	code, _, err := m.Devices.StartPairing(ctx, u.ID, n.home.ID, device.KindCamera, "Street camera")
	if err != nil {
		t.Fatal(err)
	}
	if n.camera, n.secret, err = m.Devices.Pair(ctx, code); err != nil {
		t.Fatal(err)
	}
	return n
}

// record uploads a clip as the camera does: encrypted on its side to the
// household's members.
func (n *rfaHousehold) record(t *testing.T, m *Main, start time.Time, plaintext []byte) vault.ClipID {
	t.Helper()
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, n.identity.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plaintext)
	w.Close()
	camera, err := client.New(m.URL(), client.WithDevice(client.DeviceID(n.camera.ID), n.secret))
	if err != nil {
		t.Fatal(err)
	}
	clip, created, err := camera.UploadClip(context.Background(), client.ClipUpload{Kind: "video", Start: start, End: start.Add(10 * time.Second)}, &ct)
	if err != nil || !created {
		t.Fatalf("upload: created=%v %v", created, err)
	}
	return vault.ClipID(clip.ID)
}

// download returns the clip's ciphertext, as a member gets it.
func (n *rfaHousehold) download(t *testing.T, c vault.ClipID) []byte {
	t.Helper()
	var b []byte
	if st := n.api.do("GET", "/api/v1/clips/"+string(c)+"/content", nil, &b); st != http.StatusOK {
		t.Fatalf("download %s: %d", c, st)
	}
	return b
}

// verifiedAgency registers "Paris Police" by its officer and has an
// administrator verify it.
func verifiedAgency(t *testing.T, m *Main) (neighbors.Actor, *identity.User, *neighbors.Agency) {
	t.Helper()
	ctx := context.Background()
	officerUser, _, _, err := m.Identity.CreateUser(ctx, "officer@police.example", identity.RoleAgencyOfficer, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	adminUser, _, _, err := m.Identity.CreateUser(ctx, "admin@hearth.example", identity.RoleAdmin, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	officer := neighbors.Actor{ID: officerUser.ID, Role: officerUser.Role}
	agency, err := m.Neighbors.RegisterAgency(ctx, officer, neighbors.NewAgency{Name: "Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Neighbors.VerifyAgency(ctx, neighbors.Actor{ID: adminUser.ID, Role: adminUser.Role}, agency.ID); err != nil {
		t.Fatal(err)
	}
	return officer, officerUser, agency
}

func noticesOf(t *testing.T, m *Main, u identity.UserID, kind notice.Kind) int {
	t.Helper()
	list, err := m.Notices.List(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range list {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// TestRequestForAssistanceEndToEnd: an agency posts a request; of three
// households with cameras, two inside the area (one opted out) and one
// outside, exactly one is told; it submits a clip, wrapped for the agency
// on its side; the agency decrypts it; `hearth log verify` confirms every
// step is in the log.
func TestRequestForAssistanceEndToEnd(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)

	// The agency: registered by its officer, verified by an admin, with a
	// key of its own that Hearth never holds.
	officer, officerUser, agency := verifiedAgency(t, m)
	agencyKey, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Neighbors.SetAgencyRecipient(ctx, officer, agency.ID, agencyKey.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	officerToken, _, err := m.Identity.CreateAPIToken(ctx, officerUser.ID, "cad", []identity.Scope{identity.ScopeAccountRead, identity.ScopeAccountWrite})
	if err != nil {
		t.Fatal(err)
	}
	police := &apiClient{t: t, base: m.URL(), token: officerToken}

	// Three households with cameras: two inside the area, one of which
	// opted out, and one 1.7 km away.
	centre := geo.Point{Lat: 48.8566, Lng: 2.3522}
	inside := newRFAHousehold(t, m, "ines@example.org", household.Location{Lat: 48.8570, Lng: 2.3525}, true)
	optedOut := newRFAHousehold(t, m, "olga@example.org", household.Location{Lat: 48.8562, Lng: 2.3518}, false)
	outside := newRFAHousehold(t, m, "oscar@example.org", household.Location{Lat: 48.8720, Lng: 2.3522}, false)
	if st := optedOut.api.do("PUT", "/api/v1/households/"+string(optedOut.home.ID)+"/requests-opt-out", strings.NewReader(`{"opt_out":true}`), nil); st != http.StatusOK {
		t.Fatalf("opt out: %d", st)
	}
	if st := optedOut.api.do("PUT", "/api/v1/households/"+string(optedOut.home.ID)+"/requests-opt-out", strings.NewReader(`{}`), nil); st != http.StatusBadRequest {
		t.Fatalf("opt-out without a value: %d", st)
	}

	plaintext := []byte(strings.Repeat(plaintextMarker+" a van outside\n", 500))
	clip := inside.record(t, m, now.Add(-90*time.Minute), plaintext)
	other := inside.record(t, m, now.Add(-5*time.Minute), []byte("after the window"))

	req, err := m.Neighbors.PostRequest(ctx, officer, agency.ID, neighbors.NewRequest{
		IncidentType: "burglary", Title: "Break-in on rue de Rivoli", Description: "A white van seen between 10 and 11.",
		CaseNumber: "PP-2026-1142", Contact: "Det. Martin, +33 1 23 45 67 89", WindowStart: now.Add(-2 * time.Hour),
		WindowEnd: now.Add(-time.Hour), Area: geo.Area{Circle: &geo.Circle{Center: centre, RadiusMeters: 300}},
		NotAboutLawfulActivity: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	// Exactly one household is told: in the app, and by e-mail (kept in
	// the outbox, as no SMTP server is configured).
	for _, c := range []struct {
		name string
		n    *rfaHousehold
		want int
	}{{"inside", inside, 1}, {"opted out", optedOut, 0}, {"outside", outside, 0}} {
		if got := noticesOf(t, m, c.n.user, notice.KindAgencyRequest); got != c.want {
			t.Errorf("%s household: %d notices, want %d", c.name, got, c.want)
		}
		var list struct{ Requests []struct{ ID string } }
		if st := c.n.api.do("GET", "/api/v1/households/"+string(c.n.home.ID)+"/requests", nil, &list); st != 200 || len(list.Requests) != c.want {
			t.Errorf("%s household lists %d requests (%d), want %d", c.name, len(list.Requests), st, c.want)
		}
	}
	adminID, err := m.Identity.LookUp(ctx, "admin@hearth.example")
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := m.Notices.Outbox(ctx, identity.Actor{ID: adminID, Role: identity.RoleAdmin})
	if err != nil || len(outbox) != 1 || outbox[0].To != "ines@example.org" || !strings.Contains(outbox[0].Body, string(req.ID)) {
		t.Fatalf("outbox: %+v, %v", outbox, err)
	}

	// The household wraps the clip for the agency on its side, then submits.
	var downloaded []byte
	if st := inside.api.do("GET", "/api/v1/clips/"+string(clip)+"/content", nil, &downloaded); st != 200 {
		t.Fatalf("download: %d", st)
	}
	submit := func(n *rfaHousehold, clips ...vault.ClipID) (int, map[string]any) {
		body, _ := json.Marshal(map[string]any{"household_id": n.home.ID, "clips": clips, "note": "The van is at 10:32."})
		var out map[string]any
		return n.api.do("POST", "/api/v1/requests/"+string(req.ID)+"/submissions", bytes.NewReader(body), &out), out
	}
	if st, out := submit(inside, clip); st != http.StatusBadRequest {
		t.Fatalf("submit before wrapping for the agency: %d %v", st, out)
	}
	header, err := vault.Rewrap(downloaded, inside.identity, agencyKey.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	wrapBody, _ := json.Marshal(map[string]string{"recipient": agencyKey.Recipient().String(), "header": base64.StdEncoding.EncodeToString(header)})
	if st := inside.api.do("PUT", "/api/v1/clips/"+string(clip)+"/wraps", bytes.NewReader(wrapBody), nil); st != http.StatusNoContent {
		t.Fatalf("wrap for the agency: %d", st)
	}
	if st, _ := submit(inside, other); st != http.StatusBadRequest {
		t.Fatalf("submit a clip outside the window: %d", st)
	}
	if st, _ := submit(outside, clip); st != http.StatusNotFound {
		t.Fatalf("a household the request did not reach submits: %d", st)
	}
	st, sub := submit(inside, clip)
	if st != http.StatusCreated {
		t.Fatalf("submit: %d %v", st, sub)
	}
	subID := sub["id"].(string)

	// The agency lists what it received: no household, no device.
	var received []byte
	if st := police.do("GET", "/api/v1/requests/"+string(req.ID)+"/submissions", nil, &received); st != 200 {
		t.Fatalf("agency lists submissions: %d", st)
	}
	if bytes.Contains(received, []byte(inside.home.ID)) || bytes.Contains(received, []byte(inside.camera.ID)) || bytes.Contains(received, []byte(inside.user)) {
		t.Errorf("the agency's list names the household: %s", received)
	}
	if st := inside.api.do("GET", "/api/v1/requests/"+string(req.ID)+"/submissions", nil, nil); st != http.StatusForbidden {
		t.Errorf("a resident lists the agency's submissions: %d", st)
	}
	// Public count: withheld below five households.
	if n, shown, err := m.Neighbors.PublicResponses(ctx, req.ID); err != nil || shown || n != 0 {
		t.Errorf("public responses with one household: %d %v %v", n, shown, err)
	}

	// The agency decrypts with its own key.
	var ciphertext []byte
	if st := police.do("GET", "/api/v1/submissions/"+subID+"/clips/"+string(clip)+"/content", nil, &ciphertext); st != 200 {
		t.Fatalf("agency downloads: %d", st)
	}
	dr, err := age.Decrypt(bytes.NewReader(ciphertext), agencyKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(dr); !bytes.Equal(got, plaintext) {
		t.Fatal("the agency's decryption differs from what the camera recorded")
	}
	// Opened: the household can no longer withdraw, and sees the read in its access history.
	if st := inside.api.do("POST", "/api/v1/submissions/"+subID+"/withdraw", nil, nil); st != http.StatusConflict {
		t.Errorf("withdraw after opening: %d", st)
	}
	var history struct {
		Entries []struct {
			Object   string `json:"object"`
			LogIndex uint64 `json:"log_index"`
		}
	}
	// The administrator's look at the outbox, which held the household's
	// notice, is there too, older.
	if st := inside.api.do("GET", "/api/v1/access", nil, &history); st != 200 || len(history.Entries) != 2 ||
		history.Entries[0].Object != "media.clip" || history.Entries[1].Object != "notice.mail" {
		t.Fatalf("access history: %d %+v", st, history)
	}

	// Every step is in the log, and `hearth log verify` proves it.
	want := map[string]int{"agency.registered": 1, "agency.verified": 1, "rfa.posted": 1, "rfa.submitted": 1, "access.read": 2}
	cp, err := m.Log.AwaitCheckpoint(ctx, history.Entries[0].LogIndex)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for i := uint64(0); i < cp.Size; i++ {
		raw, err := m.Log.ReadEntry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Type string         `json:"type"`
			Body map[string]any `json:"body"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		got[e.Type]++
		if e.Type == "rfa.submitted" && e.Body["commitment"] != sub["commitment"] {
			t.Errorf("the log's commitment %v differs from the submission's %v", e.Body["commitment"], sub["commitment"])
		}
		if bytes.Contains(raw, []byte(inside.home.ID)) || bytes.Contains(raw, []byte(inside.user)) || bytes.Contains(raw, []byte("ines@")) {
			t.Errorf("entry %d names the household: %s", i, raw)
		}
		code, out, errs := runCLI(t, "", "log", "verify", "--url", m.URL()+"/log/", "--entry", fmt.Sprint(i))
		if code != 0 || !strings.Contains(out, "is included") {
			t.Errorf("log verify --entry %d: exit %d\n%s%s", i, code, out, errs)
		}
	}
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%d %s entries in the log, want %d (all: %v)", got[typ], typ, n, got)
		}
	}
	if code, out, errs := runCLI(t, "", "log", "verify", "--url", m.URL()+"/log/", "--full"); code != 0 {
		t.Errorf("log verify --full: exit %d\n%s%s", code, out, errs)
	}
}

// TestFanOutFollowsChanges: the index a request is delivered from follows
// a home that moves, a camera revoked and paired again, and an opt-out
// taken back, without a restart.
func TestFanOutFollowsChanges(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	officer, _, agency := verifiedAgency(t, m)
	centre := geo.Point{Lat: 48.8566, Lng: 2.3522}
	far := household.Location{Lat: 48.8720, Lng: 2.3522}
	near := household.Location{Lat: 48.8568, Lng: 2.3524}
	h := newRFAHousehold(t, m, "hugo@example.org", far, false)
	post := func(step string, wantReached bool) {
		t.Helper()
		now := m.Clock.Now()
		r, err := m.Neighbors.PostRequest(ctx, officer, agency.ID, neighbors.NewRequest{
			IncidentType: "theft", Title: step, Description: "d", CaseNumber: "C-1", Contact: "desk",
			WindowStart: now.Add(-2 * time.Hour), WindowEnd: now.Add(-time.Hour),
			Area: geo.Area{Circle: &geo.Circle{Center: centre, RadiusMeters: 300}}, NotAboutLawfulActivity: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Neighbors.Reached(ctx, h.user, r.ID, h.home.ID)
		if err != nil || got != wantReached {
			t.Errorf("%s: reached %v (%v), want %v", step, got, err, wantReached)
		}
	}
	post("home outside the area", false)
	moved := household.NewHousehold{Name: h.home.Name, Home: near, TimeZone: "Europe/Paris", RetentionDays: 30}
	if _, err := m.Households.Update(ctx, h.user, h.home.ID, moved); err != nil {
		t.Fatal(err)
	}
	post("home moved inside", true)
	if err := m.Devices.Revoke(ctx, h.user, h.camera.ID); err != nil {
		t.Fatal(err)
	}
	post("camera revoked", false)
	code, _, err := m.Devices.StartPairing(ctx, h.user, h.home.ID, device.KindDoorbell, "Door")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Devices.Pair(ctx, code); err != nil {
		t.Fatal(err)
	}
	post("doorbell paired", true)
	if err := m.Neighbors.SetOptOut(ctx, h.user, h.home.ID, true); err != nil {
		t.Fatal(err)
	}
	post("opted out", false)
	if err := m.Neighbors.SetOptOut(ctx, h.user, h.home.ID, false); err != nil {
		t.Fatal(err)
	}
	post("opted in again", true)
}
