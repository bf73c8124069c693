package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"hearth/internal/geo"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
)

// officerAgency starts the story of an agency: an administrator, an officer
// (with the second factor every officer has), and the officer's agency,
// verified. It returns the officer's e-mail and TOTP secret.
func officerAgency(t *testing.T, m *Main, recipient string) (*neighbors.Agency, neighbors.Actor, string, string) {
	t.Helper()
	ctx := context.Background()
	admin, _, _, err := m.Identity.CreateUser(ctx, "admin@example.org", identity.RoleAdmin, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	const email = "officer@example.org"
	u, en, _, err := m.Identity.CreateUser(ctx, email, identity.RoleAgencyOfficer, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	officer := neighbors.Actor{ID: u.ID, Role: identity.RoleAgencyOfficer}
	a, err := m.Neighbors.RegisterAgency(ctx, officer, neighbors.NewAgency{Name: "Springfield Police", Jurisdiction: "Springfield", Kind: neighbors.AgencyPolice})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = m.Neighbors.VerifyAgency(ctx, neighbors.Actor{ID: admin.ID, Role: identity.RoleAdmin}, a.ID); err != nil {
		t.Fatal(err)
	}
	if recipient != "" {
		if err := m.Neighbors.SetAgencyRecipient(ctx, officer, a.ID, recipient); err != nil {
			t.Fatal(err)
		}
	}
	return a, officer, email, en.Secret
}

// browserLogInWithCode signs in with e-mail, password and the TOTP code.
func browserLogInWithCode(t *testing.T, base, email, secret string) chromedp.Action[chromedp.Void] {
	return browserLogInWith(t, base, email, "a long test passphrase", secret)
}

// browserLogInWith signs in with e-mail, password and the TOTP code.
func browserLogInWith(t *testing.T, base, email, password, secret string) chromedp.Action[chromedp.Void] {
	code, err := identity.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login")),
		waitVisible(chromedp.ID("verify")),
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("verify")),
		waitVisible(chromedp.ID("logout")),
	)
}

// distanceMeters is the great-circle distance on geo's sphere.
func distanceMeters(a, b geo.Point) float64 {
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	h := math.Pow(math.Sin(rad(b.Lat-a.Lat)/2), 2) + math.Cos(rad(a.Lat))*math.Cos(rad(b.Lat))*math.Pow(math.Sin(rad(b.Lng-a.Lng)/2), 2)
	return 2 * geo.EarthRadiusMeters * math.Asin(math.Min(1, math.Sqrt(h)))
}

// TestBrowserOfficerDrawsRequest: an officer draws the area of a request by
// clicking the map twice, sees its size, fills in the form in a browser whose
// time zone is not UTC, and posts it. What is stored is what the page showed.
func TestBrowserOfficerDrawsRequest(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m := startMain(t, "")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	agency, officer, email, secret := officerAgency(t, m, id.Recipient().String())

	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		// The window's times are the browser's local ones; the page sends them as RFC 3339.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"})
			return err
		}),
		browserLogInWithCode(t, m.URL(), email, secret),
		chromedp.Navigate(m.URL()+"/agencies/"+string(agency.ID)),
		chromedp.Click(chromedp.ID("new-request")),
		chromedp.WaitReady(chromedp.CSS(`#rfa-form[data-ready="true"]`)),
		fitsWidth(t, "new request"),
	)
	if err != nil {
		t.Fatalf("open the form: %v", err)
	}

	// Two clicks on the map, 80 px apart: the centre, then the edge.
	box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const el = document.getElementById("area-map");
		el.scrollIntoView({ block: "center" });
		const r = el.getBoundingClientRect();
		return [r.left, r.top, r.width, r.height];
	})()`))
	if err != nil || len(box) != 4 || box[2] < 200 || box[3] < 200 {
		t.Fatalf("map box %v, %v", box, err)
	}
	cx, cy := box[0]+box[2]/2, box[1]+box[3]/2
	err = chromedp.Do(ctx,
		chromedp.MouseClickXY(cx, cy),
		chromedp.WaitReady(chromedp.CSS("#area-map path.hearth-centre")),
		chromedp.MouseClickXY(cx+80, cy),
		waitVisible(chromedp.CSS("#area-size.in-bounds")),
		chromedp.WaitReady(chromedp.CSS("#area-map path.hearth-area")),
	)
	if err != nil {
		t.Fatalf("draw: %v", err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
		const v = (id) => document.getElementById(id).value;
		return { lat: v("typed-lat"), lng: v("typed-lng"), radius: v("typed-radius"),
			size: document.getElementById("area-size").textContent };
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	lat, errLat := strconv.ParseFloat(shown["lat"], 64)
	lng, errLng := strconv.ParseFloat(shown["lng"], 64)
	radius, errR := strconv.ParseFloat(shown["radius"], 64)
	if errLat != nil || errLng != nil || errR != nil || !strings.Contains(shown["size"], "sq mi: within the allowed") {
		t.Fatalf("the page shows %v", shown)
	}

	// The window: the hour that ended an hour ago, in the browser's local time.
	end, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const pad = (n) => String(n).padStart(2, "0");
		const local = (d) => d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
		const end = new Date(Date.now() - 3600e3);
		end.setSeconds(0, 0);
		const start = new Date(end.getTime() - 3600e3);
		for (const [id, d] of [["window-start-local", start], ["window-end-local", end]]) {
			const el = document.getElementById(id);
			el.value = local(d);
			el.dispatchEvent(new Event("change", { bubbles: true }));
		}
		return end.toISOString();
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	wantEnd, err := time.Parse(time.RFC3339, end)
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("incident-type"), "Burglary"),
		chromedp.SendKeys(chromedp.ID("title"), "Break-in on Elm Street"),
		chromedp.SendKeys(chromedp.ID("description"), "A house was broken into between the times given."),
		chromedp.SendKeys(chromedp.ID("case-number"), "2026-0042"),
		chromedp.SendKeys(chromedp.ID("contact"), "Det. Lee, 555-0100"),
		chromedp.Click(chromedp.ID("attest")),
		chromedp.Click(chromedp.ID("post-request")),
		// The request's page replaces the form's; a query waits across the load.
		chromedp.WaitReady(chromedp.CSS(`#request-map[data-ready="true"]`)),
		waitVisible(chromedp.CSS("#request-map path.hearth-area")),
		fitsWidth(t, "request"),
	)
	if err != nil {
		t.Fatalf("post: %v", err)
	}

	reqs, err := m.Neighbors.AgencyRequests(context.Background(), agency.ID)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("%d requests stored, %v", len(reqs), err)
	}
	r := reqs[0]
	c := r.Area.Circle
	if c == nil {
		t.Fatalf("stored area %+v, want a circle", r.Area)
	}
	if d := distanceMeters(c.Center, geo.Point{Lat: lat, Lng: lng}); d > 1 {
		t.Errorf("stored centre %v is %.2f m from the shown %v, %v", c.Center, d, lat, lng)
	}
	if d := math.Abs(c.RadiusMeters - radius); d > 1 {
		t.Errorf("stored radius %.2f m, the page showed %.1f m", c.RadiusMeters, radius)
	}
	if r.SquareMiles < neighbors.MinAreaSquareMiles || r.SquareMiles > neighbors.MaxAreaSquareMiles {
		t.Errorf("stored size %.4f sq mi is out of bounds", r.SquareMiles)
	}
	if want := fmt.Sprintf("%.4f sq mi", r.SquareMiles); !strings.HasPrefix(shown["size"], want) {
		t.Errorf("the page said %q; the server measured %s", shown["size"], want)
	}
	if !r.WindowEnd.Equal(wantEnd) || r.WindowEnd.Sub(r.WindowStart) != time.Hour {
		t.Errorf("stored window %v to %v, want the hour to %v", r.WindowStart, r.WindowEnd, wantEnd)
	}
	path, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil || path != "/requests/"+string(r.ID) {
		t.Fatalf("landed on %q, %v", path, err)
	}

	// A polygon across the antimeridian is shown where it is, a small
	// block, not as a band round the world.
	across := neighbors.NewRequest{IncidentType: "Theft", Title: "Stolen boat", Description: "From the marina.",
		CaseNumber: "2026-0043", Contact: "Det. Lee", WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, NotAboutLawfulActivity: true,
		Area: geo.Area{Polygon: []geo.Point{{Lat: 0, Lng: 179.997}, {Lat: 0, Lng: -179.997}, {Lat: 0.004, Lng: -179.997}, {Lat: 0.004, Lng: 179.997}}}}
	pr, err := m.Neighbors.PostRequest(context.Background(), officer, agency.ID, across)
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(m.URL()+"/requests/"+string(pr.ID)),
		chromedp.WaitReady(chromedp.CSS(`#request-map[data-ready="true"]`)),
		waitVisible(chromedp.CSS("#request-map path.hearth-area")),
	)
	if err != nil {
		t.Fatalf("polygon's page: %v", err)
	}
	share, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => {
		const map = document.getElementById("request-map").getBoundingClientRect();
		const area = document.querySelector("#request-map path.hearth-area").getBoundingClientRect();
		return area.width / map.width;
	})()`))
	if err != nil || share <= 0.05 || share >= 0.95 {
		t.Fatalf("the polygon spans %.2f of the map's width, %v", share, err)
	}
}

// TestBrowserOfficerMakesAgencyKey: the agency's key is made in the browser;
// publishing waits until the identity file was saved; only the public key
// reaches the server, and it matches the saved identity.
func TestBrowserOfficerMakesAgencyKey(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m := startMain(t, "")
	agency, _, email, secret := officerAgency(t, m, "")

	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		browserLogInWithCode(t, m.URL(), email, secret),
		chromedp.Navigate(m.URL()+"/agencies/"+string(agency.ID)),
		chromedp.Click(chromedp.ID("agency-key-link")),
		waitVisible(chromedp.ID("make-key")),
		fitsWidth(t, "agency key"),
		chromedp.Click(chromedp.ID("make-key")),
		waitVisible(chromedp.ID("key-made")),
	)
	if err != nil {
		t.Fatalf("make the key: %v", err)
	}
	// Not published before the file is saved and kept.
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`[document.getElementById("publish-key").disabled, document.getElementById("saved-check").disabled]`))
	if err != nil || len(disabled) != 2 || !disabled[0] || !disabled[1] {
		t.Fatalf("publish and saved-check disabled: %v, %v", disabled, err)
	}
	// The identity file, saved as a download, opens with age.
	dir := t.TempDir()
	name := "hearth-agency-" + string(agency.ID) + "-identity.txt"
	downloaded := listenDownloaded(t, ctx)
	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: new(true)})
			return err
		}),
		chromedp.Click(chromedp.ID("save-identity")),
		waitFor(downloaded),
	)
	if err != nil {
		t.Fatalf("save the identity file: %v", err)
	}
	file, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(file))
	if err != nil || len(ids) != 1 {
		t.Fatalf("identity file %q: %v", file, err)
	}
	saved := ids[0].(*age.X25519Identity)
	if !strings.HasPrefix(string(file), "# public key: "+saved.Recipient().String()+"\n") {
		t.Fatalf("identity file layout:\n%s", file)
	}
	err = chromedp.Do(ctx,
		// Saving enables the promise to keep it, which enables publishing.
		chromedp.Click(chromedp.ID("saved-check")),
		chromedp.Click(chromedp.ID("publish-key")),
		waitVisible(chromedp.ID("agency-recipient")),
	)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	a, err := m.Neighbors.Agency(context.Background(), neighbors.Actor{}, agency.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Recipient != saved.Recipient().String() {
		t.Fatalf("published %q, the saved identity's is %s", a.Recipient, saved.Recipient())
	}
}

// listenDownloaded returns a channel closed when the browser has finished
// writing a download, as it tells once download events are enabled.
func listenDownloaded(t *testing.T, ctx context.Context) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	var once sync.Once
	completed := func(ev any) {
		if p, ok := ev.(*browser.EventDownloadProgress); ok && p.State == browser.DownloadProgressStateCompleted {
			once.Do(func() { close(done) })
		}
	}
	// The browser tells the session that asked for the events, or the
	// browser's own: listen on both.
	if err := chromedp.Listen(ctx, completed); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.ListenBrowser(ctx, completed); err != nil {
		t.Fatal(err)
	}
	return done
}

// waitFor waits until done is closed.
func waitFor(done <-chan struct{}) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}
