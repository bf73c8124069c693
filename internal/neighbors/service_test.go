package neighbors_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/testkit"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Kit
	svc     *neighbors.Service
	officer neighbors.Actor
	admin   neighbors.Actor
	agency  *neighbors.Agency
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k := testkit.New(t, "", testkit.Options{Now: now})
	f := &fixture{Kit: k, svc: k.Neighbors}
	f.officer = f.user(t, "officer", identity.RoleAgencyOfficer)
	f.admin = f.user(t, "admin", identity.RoleAdmin)
	var err error
	if f.agency, err = f.svc.RegisterAgency(context.Background(), f.officer, neighbors.NewAgency{Name: "Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice}); err != nil {
		t.Fatal(err)
	}
	if f.agency, err = f.svc.VerifyAgency(context.Background(), f.admin, f.agency.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) user(t *testing.T, name string, role identity.Role) neighbors.Actor {
	t.Helper()
	return neighbors.Actor{ID: f.User(t, name, role), Role: role}
}

// Earth's mean radius, as geo measures areas.
const earthRadius = 6371008.8
const squareMile = 1609.344 * 1609.344

// circleOf returns a circle of the given geodesic area in square miles.
func circleOf(center geo.Point, sqmi float64) geo.Area {
	r := earthRadius * math.Acos(1-sqmi*squareMile/(2*math.Pi*earthRadius*earthRadius))
	return geo.Area{Circle: &geo.Circle{Center: center, RadiusMeters: r}}
}

// squareAround returns a polygon of four vertices about side metres wide.
func squareAround(c geo.Point, side float64) []geo.Point {
	dLat := side / 2 / 111_320.0
	dLng := dLat / math.Cos(c.Lat*math.Pi/180)
	wrap := func(lng float64) float64 { // keep longitudes in [-180, 180] across the antimeridian
		if lng > 180 {
			return lng - 360
		}
		return lng
	}
	return []geo.Point{{Lat: c.Lat - dLat, Lng: wrap(c.Lng - dLng)}, {Lat: c.Lat - dLat, Lng: wrap(c.Lng + dLng)},
		{Lat: c.Lat + dLat, Lng: wrap(c.Lng + dLng)}, {Lat: c.Lat + dLat, Lng: wrap(c.Lng - dLng)}}
}

var paris = geo.Point{Lat: 48.8566, Lng: 2.3522}

func goodRequest() neighbors.NewRequest {
	return neighbors.NewRequest{IncidentType: "burglary", Title: "Break-in on rue de Rivoli",
		Description: "A flat was broken into; footage of the street may show who did it.", CaseNumber: "PP-2026-0042",
		Contact: "Det. Martin, +33 1 23 45 67 89", WindowStart: now.Add(-3 * time.Hour), WindowEnd: now.Add(-time.Hour),
		Area: circleOf(paris, 0.3), NotAboutLawfulActivity: true}
}

// TestRequestRules posts one request per rule boundary of SPEC §8.
func TestRequestRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	change := func(fn func(*neighbors.NewRequest)) neighbors.NewRequest {
		r := goodRequest()
		fn(&r)
		return r
	}
	window := func(d time.Duration) func(*neighbors.NewRequest) {
		return func(r *neighbors.NewRequest) {
			r.WindowEnd = now.Add(-time.Minute)
			r.WindowStart = r.WindowEnd.Add(-d)
		}
	}
	area := func(a geo.Area) func(*neighbors.NewRequest) { return func(r *neighbors.NewRequest) { r.Area = a } }
	fiji := geo.Point{Lat: -16.5, Lng: 180}
	for _, tc := range []struct {
		name string
		req  neighbors.NewRequest
		want string // "" for accepted, else a part of the message
	}{
		{"window 14 min 59 s", change(window(15*time.Minute - time.Second)), "at least 15 minutes"},
		{"window 15 min", change(window(15 * time.Minute)), ""},
		{"window 12 h", change(window(12 * time.Hour)), ""},
		{"window 12 h 1 s", change(window(12*time.Hour + time.Second)), "at most 12 hours"},
		{"window ending in the future", change(func(r *neighbors.NewRequest) { r.WindowEnd = now.Add(time.Second) }), "future"},
		{"window ending now", change(func(r *neighbors.NewRequest) { r.WindowEnd = now; r.WindowStart = now.Add(-time.Hour) }), ""},
		{"window backwards", change(func(r *neighbors.NewRequest) { r.WindowStart, r.WindowEnd = r.WindowEnd, r.WindowStart }), "at least 15 minutes"},
		{"no window", change(func(r *neighbors.NewRequest) { r.WindowStart = time.Time{} }), "start and end"},
		{"area 0.0249 sq mi", change(area(circleOf(paris, 0.0249))), "at least 0.025"},
		{"area 0.025 sq mi", change(area(circleOf(paris, 0.025))), ""},
		{"area 0.5 sq mi", change(area(circleOf(paris, 0.5))), ""},
		{"area 0.5001 sq mi", change(area(circleOf(paris, 0.5001))), "at most 0.5"},
		{"square polygon", change(area(geo.Area{Polygon: squareAround(paris, 500)})), ""},
		{"square too large", change(area(geo.Area{Polygon: squareAround(paris, 1200)})), "at most 0.5"},
		{"degenerate polygon, two points", change(area(geo.Area{Polygon: squareAround(paris, 500)[:2]})), ""},
		{"degenerate polygon, collinear", change(area(geo.Area{Polygon: []geo.Point{paris, {Lat: paris.Lat + 0.002, Lng: paris.Lng}, {Lat: paris.Lat + 0.004, Lng: paris.Lng}}})), ""},
		{"self-intersecting polygon", change(func(r *neighbors.NewRequest) {
			s := squareAround(paris, 500)
			r.Area = geo.Area{Polygon: []geo.Point{s[0], s[2], s[1], s[3]}}
		}), ""},
		{"polygon across the antimeridian", change(area(geo.Area{Polygon: squareAround(fiji, 600)})), ""},
		{"circle across the antimeridian", change(area(circleOf(fiji, 0.2))), ""},
		{"no shape", change(area(geo.Area{})), ""},
		{"missing case number", change(func(r *neighbors.NewRequest) { r.CaseNumber = "  " }), "case number"},
		{"missing contact", change(func(r *neighbors.NewRequest) { r.Contact = "" }), "contact"},
		{"missing title", change(func(r *neighbors.NewRequest) { r.Title = "" }), "title"},
		{"missing attestation", change(func(r *neighbors.NewRequest) { r.NotAboutLawfulActivity = false }), "lawful activity"},
		{"overlong description", change(func(r *neighbors.NewRequest) { r.Description = strings.Repeat("x", 4001) }), "4000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := f.svc.PostRequest(ctx, f.officer, f.agency.ID, tc.req)
			wantRefusal := tc.want != "" || strings.Contains(tc.name, "degenerate") || strings.Contains(tc.name, "self-intersecting") || tc.name == "no shape"
			if !wantRefusal {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if r.SquareMiles < neighbors.MinAreaSquareMiles-neighbors.AreaPrecision || r.SquareMiles > neighbors.MaxAreaSquareMiles+neighbors.AreaPrecision {
					t.Fatalf("accepted an area of %f square miles", r.SquareMiles)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("want Invalid, got %v", err)
			}
			if tc.want != "" && !strings.Contains(apperr.MessageOf(err), tc.want) {
				t.Fatalf("message %q lacks %q", apperr.MessageOf(err), tc.want)
			}
		})
	}
}

func TestRequestLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r, err := f.svc.PostRequest(ctx, f.officer, f.agency.ID, goodRequest())
	if err != nil {
		t.Fatal(err)
	}
	// The request is in the log, whole, by the time anyone can read it.
	if _, err := f.Log.AwaitCheckpoint(ctx, r.PostedIndex); err != nil {
		t.Fatal(err)
	}
	raw, err := f.Log.ReadEntry(ctx, r.PostedIndex)
	for _, want := range []string{string(neighbors.EntryRequestPosted), string(r.ID), "PP-2026-0042", "Det. Martin"} {
		if err != nil || !strings.Contains(string(raw), want) {
			t.Fatalf("log entry %d lacks %q: %s, %v", r.PostedIndex, want, raw, err)
		}
	}
	if strings.Contains(string(raw), string(f.officer.ID)) {
		t.Fatal("the log names the officer; the agency answers for its requests")
	}
	// Anyone but the agency's officers is refused, even another officer.
	other := f.user(t, "other", identity.RoleAgencyOfficer)
	for _, who := range []neighbors.Actor{other, f.admin, {ID: "u_nobody", Role: identity.RoleResident}} {
		if _, err := f.svc.ResolveRequest(ctx, who, r.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("%s resolves: %v", who.ID, err)
		}
		if _, err := f.svc.PostRequest(ctx, who, f.agency.ID, goodRequest()); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("%s posts for the agency: %v", who.ID, err)
		}
	}
	f.Clock.Advance(time.Hour)
	resolved, err := f.svc.ResolveRequest(ctx, f.officer, r.ID)
	if err != nil || !resolved.Resolved() || resolved.ResolvedIndex <= r.PostedIndex {
		t.Fatalf("resolve: %+v, %v", resolved, err)
	}
	if _, err := f.svc.ResolveRequest(ctx, f.officer, r.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("resolving twice: %v", err)
	}
	// It stays on the agency's public page, resolved, with its text unchanged.
	list, err := f.svc.AgencyRequests(ctx, f.agency.ID)
	if err != nil || len(list) != 1 || !list[0].Resolved() || list[0].Title != r.Title || list[0].CaseNumber != r.CaseNumber {
		t.Fatalf("agency page: %+v, %v", list, err)
	}
}

func TestAgencyVerification(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	resident := f.user(t, "ana", identity.RoleResident)
	if _, err := f.svc.RegisterAgency(ctx, resident, neighbors.NewAgency{Name: "Fake", Jurisdiction: "X", Kind: neighbors.AgencyPolice}); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("a resident registers an agency: %v", err)
	}
	if _, err := f.svc.RegisterAgency(ctx, f.officer, neighbors.NewAgency{Name: "", Jurisdiction: "X", Kind: neighbors.AgencyPolice}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("an agency without a name: %v", err)
	}
	if _, err := f.svc.RegisterAgency(ctx, f.officer, neighbors.NewAgency{Name: "A", Jurisdiction: "X", Kind: "militia"}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("an unknown kind: %v", err)
	}
	second := f.user(t, "second", identity.RoleAgencyOfficer)
	pending, err := f.svc.RegisterAgency(ctx, second, neighbors.NewAgency{Name: "Lyon Fire", Jurisdiction: "Lyon", Kind: neighbors.AgencyFire})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PostRequest(ctx, second, pending.ID, goodRequest()); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("an unverified agency posts: %v", err)
	}
	for _, who := range []neighbors.Actor{second, f.officer, resident} {
		if _, err := f.svc.VerifyAgency(ctx, who, pending.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("%s verifies: %v", who.ID, err)
		}
	}
	if _, err := f.svc.VerifyAgency(ctx, f.admin, pending.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifyAgency(ctx, f.admin, pending.ID); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("verifying twice: %v", err)
	}
	if err := f.svc.SetAgencyRecipient(ctx, second, pending.ID, "not-a-key"); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a bad agency key: %v", err)
	}
	if err := f.svc.SetAgencyRecipient(ctx, f.officer, pending.ID, "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("another agency's officer sets the key: %v", err)
	}
}

func TestOptOut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, bob, eve := f.user(t, "ana", identity.RoleResident), f.user(t, "bob", identity.RoleResident), f.user(t, "eve", identity.RoleResident)
	h, err := f.Households.Create(ctx, ana.ID, household.NewHousehold{Name: "Home", Home: household.Location{Lat: paris.Lat, Lng: paris.Lng}, TimeZone: "Europe/Paris", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	token, _, _ := f.Households.Invite(ctx, ana.ID, h.ID)
	if _, err := f.Households.Join(ctx, bob.ID, token); err != nil {
		t.Fatal(err)
	}
	if v, err := f.svc.OptedOut(ctx, bob.ID, h.ID); err != nil || v {
		t.Fatalf("before choosing: %v, %v", v, err)
	}
	if err := f.svc.SetOptOut(ctx, bob.ID, h.ID, true); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("a plain member opts the household out: %v", err)
	}
	if err := f.svc.SetOptOut(ctx, eve.ID, h.ID, true); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("an outsider opts it out: %v", err)
	}
	if _, err := f.svc.OptedOut(ctx, eve.ID, h.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("an outsider reads the choice: %v", err)
	}
	if err := f.svc.SetOptOut(ctx, ana.ID, h.ID, true); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.svc.OptedOut(ctx, bob.ID, h.ID); !v {
		t.Fatal("the choice did not stick")
	}
}
