package feed_test

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/testkit"
	"hearth/internal/vault"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { testkit.Main(m) }

// fixture is the feed over real services on a fresh SQLite database.
type fixture struct {
	*testkit.Kit
	svc        *feed.Service
	households *household.Service
	vault      *vault.Service
	neighbors  *neighbors.Service
	clock      *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k := testkit.New(t, "", testkit.Options{Now: now})
	return &fixture{Kit: k, svc: k.Feed, households: k.Households, vault: k.Vault, neighbors: k.Neighbors, clock: k.Clock}
}

// user makes an account with the role.
func (f *fixture) user(t *testing.T, role identity.Role) identity.UserID {
	t.Helper()
	return f.User(t, "", role)
}

// home makes a resident with a household whose home is at p.
func (f *fixture) home(t *testing.T, p geo.Point) (identity.UserID, *household.Household) {
	t.Helper()
	return f.Home(t, p.Lat, p.Lng)
}

// post publishes a text post and fails the test if it is refused.
func (f *fixture) post(t *testing.T, u identity.UserID, hh household.ID, text string) *feed.Post {
	t.Helper()
	p, err := f.svc.Post(context.Background(), u, hh, feed.NewPost{Category: feed.CategorySafety, Text: text})
	if err != nil {
		t.Fatalf("Post(%q): %v", text, err)
	}
	return p
}

// agency registers and verifies an agency and returns one of its officers.
func (f *fixture) agency(t *testing.T) (neighbors.Actor, *neighbors.Agency) {
	t.Helper()
	ctx := context.Background()
	officer := neighbors.Actor{ID: f.user(t, identity.RoleAgencyOfficer), Role: identity.RoleAgencyOfficer}
	admin := neighbors.Actor{ID: f.user(t, identity.RoleAdmin), Role: identity.RoleAdmin}
	a, err := f.neighbors.RegisterAgency(ctx, officer, neighbors.NewAgency{Name: "Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = f.neighbors.VerifyAgency(ctx, admin, a.ID); err != nil {
		t.Fatal(err)
	}
	return officer, a
}

// request posts a request for a circle of radius metres around c, now.
func (f *fixture) request(t *testing.T, officer neighbors.Actor, a *neighbors.Agency, c geo.Point, radius float64) *neighbors.Request {
	t.Helper()
	end := f.clock.Now().Add(-time.Hour)
	r, err := f.neighbors.PostRequest(context.Background(), officer, a.ID, neighbors.NewRequest{IncidentType: "burglary",
		Title: "Break-in", Description: "A flat was broken into.", CaseNumber: "PP-1", Contact: "Det. Martin",
		WindowStart: end.Add(-2 * time.Hour), WindowEnd: end, NotAboutLawfulActivity: true,
		Area: geo.Area{Circle: &geo.Circle{Center: c, RadiusMeters: radius}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// clip stores a clip of the household, encrypted to the member's new key,
// and returns it with the member's identity.
func (f *fixture) clip(t *testing.T, u identity.UserID, hh household.ID, plaintext string) (*vault.Clip, *age.X25519Identity) {
	t.Helper()
	ctx := context.Background()
	d, _ := f.Device(t, u, hh, device.KindCamera, "Front door")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var ct bytes.Buffer
	w, err := age.Encrypt(&ct, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(plaintext))
	w.Close()
	at := f.clock.Now().Add(-time.Minute)
	c, _, err := f.vault.Put(ctx, vault.Upload{Household: hh, Device: d.ID, Kind: vault.KindVideo, Start: at, End: at.Add(10 * time.Second)}, &ct, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return c, id
}

// share does what the poster's browser does: makes the post's identity and
// wraps the clip's file key for it.
func (f *fixture) share(t *testing.T, u identity.UserID, c *vault.Clip, member *age.X25519Identity) *age.X25519Identity {
	t.Helper()
	ctx := context.Background()
	_, body, err := f.vault.Open(ctx, u, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ct bytes.Buffer
	ct.ReadFrom(body)
	body.Close()
	postKey, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	header, err := vault.Rewrap(ct.Bytes(), member, postKey.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.vault.AddWrap(ctx, u, c.ID, postKey.Recipient().String(), header); err != nil {
		t.Fatal(err)
	}
	return postKey
}

// toward returns the point distance metres from p along the bearing (degrees
// clockwise from north), on the sphere geo measures on.
func toward(p geo.Point, bearing, distance float64) geo.Point {
	rad := math.Pi / 180
	lat1, lng1, th := p.Lat*rad, p.Lng*rad, bearing*rad
	d := distance / geo.EarthRadiusMeters
	lat2 := math.Asin(math.Sin(lat1)*math.Cos(d) + math.Cos(lat1)*math.Sin(d)*math.Cos(th))
	lng2 := lng1 + math.Atan2(math.Sin(th)*math.Sin(d)*math.Cos(lat1), math.Cos(d)-math.Sin(lat1)*math.Sin(lat2))
	lng := math.Mod(lng2/rad+540, 360) - 180
	return geo.Point{Lat: lat2 / rad, Lng: lng}
}

// public is where a post from a home at p is placed.
func public(p geo.Point) geo.Point {
	l := household.PublicLocation(household.Location{Lat: p.Lat, Lng: p.Lng})
	return geo.Point{Lat: l.Lat, Lng: l.Lng}
}
