package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/feed"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/translog"
)

// neighbour makes a resident with a household whose home is at p, and an
// API token.
func neighbour(t *testing.T, m *Main, email string, p geo.Point) (*apiClient, *household.Household) {
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
	h, err := m.Households.Create(ctx, u.ID, household.NewHousehold{Name: email, Home: household.Location{Lat: p.Lat, Lng: p.Lng},
		TimeZone: "Europe/Paris", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: m.URL(), token: token}, h
}

// metresNorth returns the point d metres north of p.
func metresNorth(p geo.Point, d float64) geo.Point {
	return geo.Point{Lat: p.Lat + d/geo.EarthRadiusMeters*180/math.Pi, Lng: p.Lng}
}

type feedItems struct {
	Items []struct {
		Type  string `json:"type"`
		ID    string `json:"id"`
		Text  string `json:"text"`
		Title string `json:"title"`
		URL   string `json:"url"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// readFeed reads a household's feed through the API.
func readFeed(t *testing.T, c *apiClient, hh household.ID, radius string) feedItems {
	t.Helper()
	var out feedItems
	q := url.Values{"household": {string(hh)}}
	if radius != "" {
		q.Set("radius_m", radius)
	}
	if st := c.do("GET", "/api/v1/feed?"+q.Encode(), nil, &out); st != http.StatusOK {
		t.Fatalf("feed of %s: %d", hh, st)
	}
	return out
}

// TestFeedEndToEnd runs the real service: three households 1 km and 5 km
// apart post; each reads what is within 2 km of its home; an agency's
// request shows in the feed of the household inside its area and of no
// other.
func TestFeedEndToEnd(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	paris := geo.Point{Lat: 48.8566, Lng: 2.3522}
	ana, anaHome := neighbour(t, m, "ana@example.org", paris)
	bob, bobHome := neighbour(t, m, "bob@example.org", metresNorth(paris, 1000))
	cy, cyHome := neighbour(t, m, "cy@example.org", metresNorth(paris, 6000)) // 5 km beyond Bob

	post := func(c *apiClient, hh household.ID, text string) string {
		body := fmt.Sprintf(`{"household_id":%q,"category":"safety","text":%q}`, hh, text)
		var out struct{ ID string }
		if st := c.do("POST", "/api/v1/posts", strings.NewReader(body), &out); st != http.StatusCreated {
			t.Fatalf("post %q: %d", text, st)
		}
		return out.ID
	}
	bobPost := post(bob, bobHome.ID, "A fallen tree blocks rue de Rivoli.")
	cyPost := post(cy, cyHome.ID, "Power cut in the whole street.")
	if st := ana.do("POST", "/api/v1/posts", strings.NewReader(`{"household_id":"`+string(bobHome.ID)+`","category":"safety","text":"x"}`), nil); st != http.StatusNotFound {
		t.Fatalf("posting for another household: %d", st)
	}

	got := readFeed(t, ana, anaHome.ID, "")
	if len(got.Items) != 1 || got.Items[0].ID != bobPost {
		t.Fatalf("Ana's feed at 2 km: %+v", got)
	}
	if got := readFeed(t, ana, anaHome.ID, "10000"); len(got.Items) != 2 || got.Items[0].ID != cyPost || got.Items[1].ID != bobPost {
		t.Fatalf("Ana's feed at 10 km, newest first: %+v", got)
	}
	if got := readFeed(t, cy, cyHome.ID, ""); len(got.Items) != 1 || got.Items[0].ID != cyPost {
		t.Fatalf("Cy's feed at 2 km: %+v", got)
	}

	// An agency asks about a ~300 m circle around Cy's street.
	officer, _, _, err := m.Identity.CreateUser(ctx, "officer@police.example.org", identity.RoleAgencyOfficer, "a long officer passphrase")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, _, err := m.Identity.CreateUser(ctx, "admin@example.org", identity.RoleAdmin, "a long admin passphrase")
	if err != nil {
		t.Fatal(err)
	}
	asOfficer := neighbors.Actor{ID: officer.ID, Role: officer.Role}
	agency, err := m.Neighbors.RegisterAgency(ctx, asOfficer, neighbors.NewAgency{Name: "Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Neighbors.VerifyAgency(ctx, neighbors.Actor{ID: admin.ID, Role: admin.Role}, agency.ID); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(-time.Hour)
	req, err := m.Neighbors.PostRequest(ctx, asOfficer, agency.ID, neighbors.NewRequest{
		IncidentType: "burglary", Title: "Break-in, footage of the street", Description: "A flat was broken into last night.",
		CaseNumber: "PP-2026-0042", Contact: "Det. Martin", WindowStart: end.Add(-2 * time.Hour), WindowEnd: end,
		Area:                   geo.Area{Circle: &geo.Circle{Center: metresNorth(paris, 6100), RadiusMeters: 300}},
		NotAboutLawfulActivity: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	got = readFeed(t, cy, cyHome.ID, "")
	if len(got.Items) != 2 || got.Items[0].ID != string(req.ID) || got.Items[0].Type != "request" ||
		got.Items[0].URL != "/requests/"+string(req.ID) || got.Items[1].ID != cyPost {
		t.Fatalf("Cy's feed after the request: %+v", got)
	}
	for who, c := range map[string]*apiClient{"Ana": ana, "Bob": bob} {
		hh := anaHome.ID
		if who == "Bob" {
			hh = bobHome.ID
		}
		for _, it := range readFeed(t, c, hh, "").Items {
			if it.ID == string(req.ID) {
				t.Errorf("%s, 5 km or more from the area, sees the request at 2 km", who)
			}
		}
	}
}

// TestBrowserSharesClipInPost signs in as a demo member, posts an alert
// that shares one of the household's clips (the browser unlocks the
// member's key, rewraps the clip's key for a fresh post key and posts), and
// plays the clip from the feed with the post's key. The sharing is in the
// log.
func TestBrowserSharesClipInPost(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m, st, _ := startTestDemo(t)
	ana, _ := m.Identity.LookUp(context.Background(), st.Members[0].Email)
	listClips(t, m, ana, st, 1)

	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		browserLogIn(m.URL(), st.Members[0].Email, st.Members[0].Password),
		chromedp.Navigate(m.URL()+"/feed"),
		chromedp.WaitVisible(chromedp.ID("clip-warning")),
		chromedp.SetValue(chromedp.ID("post-category"), "suspicious"),
		chromedp.SendKeys(chromedp.ID("post-text"), "Someone rang every doorbell in the street at 3 am."),
		// Choose the newest clip: the passphrase field appears.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(() => { const s = document.getElementById("post-clip"); s.selectedIndex = 1; s.dispatchEvent(new Event("change")); return true; })()`)(ctx, tg)
			return err
		}),
		chromedp.WaitVisible(chromedp.ID("clip-pass")),
		chromedp.SendKeys(chromedp.ID("clip-pass"), st.Members[0].Passphrase),
		fitsWidth(t, "feed"),
		chromedp.Click(chromedp.ID("post-submit")),
		// The script shares the clip, then posts the form: the page is
		// replaced, and its script marks the shared clip once it can show it.
		chromedp.WaitVisible(chromedp.CSS(`.shared-clip[data-ready="true"] button.show-clip`)),
		chromedp.Click(chromedp.CSS(".shared-clip button.show-clip")),
		chromedp.WaitVisible(chromedp.CSS(`.shared-clip[data-shown="true"] img.clip-media`)),
		fitsWidth(t, "feed with a shared clip"),
	)
	if err != nil {
		t.Fatal(err)
	}

	// The post, its clip and the log entry that came first.
	page, err := m.Feed.Feed(context.Background(), ana, st.Household, 0, "", 0)
	if err != nil || len(page.Items) == 0 || page.Items[0].Post == nil || !page.Items[0].Post.HasClip() {
		t.Fatalf("the feed after posting: %+v, %v", page, err)
	}
	p := page.Items[0].Post
	raw, err := m.Log.ReadEntry(context.Background(), p.ClipLogIndex)
	if err != nil {
		if _, err := m.Log.AwaitCheckpoint(context.Background(), p.ClipLogIndex); err != nil {
			t.Fatal(err)
		}
		raw, err = m.Log.ReadEntry(context.Background(), p.ClipLogIndex)
	}
	var entry struct {
		Type translog.EntryType
		Body map[string]string
	}
	if err != nil || json.Unmarshal(raw, &entry) != nil || entry.Type != feed.EntryClipShared || entry.Body["post"] != string(p.ID) || entry.Body["clip"] != string(p.Clip) {
		t.Fatalf("log entry %d: %s, %v", p.ClipLogIndex, raw, err)
	}
}
