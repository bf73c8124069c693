package feed_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/feed"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
)

// itemIDs lists a page's ids, in order.
func itemIDs(items []feed.Item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ID())
	}
	return out
}

// TestFeedRadius puts a reader's home just inside and just outside each
// radius of one post, and also where a circle crosses the antimeridian and
// near a pole, where a box in degrees is least like a circle.
func TestFeedRadius(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	type place struct {
		name string
		home geo.Point
	}
	for _, poster := range []place{
		{"Paris", paris},
		{"Taveuni, by the antimeridian", geo.Point{Lat: -16.85, Lng: 179.999}},
		{"Svalbard, near the pole", geo.Point{Lat: 88.9, Lng: 16}},
	} {
		author, h := f.home(t, poster.home)
		p := f.post(t, author, h.ID, "Seen near "+poster.name)
		for _, tc := range []struct {
			radius  float64 // asked for; 0 is the default
			meters  float64 // how far the reader's home is from the post
			bearing float64
			want    bool
		}{
			{0, 1999, 0, true},
			{0, 2001, 0, false},
			{500, 499, 90, true},
			{500, 501, 90, false},
			{1000, 999, 270, true},
			{1000, 1001, 270, false},
			{2000, 1999, 45, true},
			{2000, 2001, 45, false},
			{5000, 4999, 135, true},
			{5000, 5001, 135, false},
			{10000, 9999, 225, true},
			{10000, 10001, 225, false},
			{10000, 9999, 90, true}, // east: across the antimeridian from Taveuni
			{10000, 9999, 0, true},  // north: towards the pole from Svalbard
		} {
			name := fmt.Sprintf("%s/radius %v/%v m at %v°", poster.name, tc.radius, tc.meters, tc.bearing)
			reader, rh := f.home(t, toward(p.Location, tc.bearing, tc.meters))
			if d := geo.DistanceMeters(p.Location, geo.Point{Lat: rh.Home.Lat, Lng: rh.Home.Lng}); math.Abs(d-tc.meters) > 0.01 {
				t.Fatalf("%s: the reader is %.3f m away", name, d)
			}
			page, err := f.svc.Feed(ctx, reader, rh.ID, tc.radius, "", 0)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got := slices.ContainsFunc(page.Items, func(it feed.Item) bool { return it.ID() == string(p.ID) })
			if got != tc.want {
				t.Errorf("%s: shows the post: %v, want %v", name, got, tc.want)
			}
			if want := tc.radius; want != 0 && page.RadiusMeters != want || want == 0 && page.RadiusMeters != feed.DefaultRadiusMeters {
				t.Errorf("%s: radius %v", name, page.RadiusMeters)
			}
		}
	}
}

// TestFeedPages posts with ties in time and an agency's request among them,
// reads the feed a few items at a time, and requires every item exactly
// once, newest first, ties by id.
func TestFeedPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, home := f.home(t, paris)
	bob, near := f.home(t, toward(paris, 0, 1500))
	far, farHome := f.home(t, toward(paris, 0, 4000))
	officer, agency := f.agency(t)

	type entry struct {
		at time.Time
		id string
	}
	var want []entry
	add := func(at time.Time, id string) { want = append(want, entry{at, id}) }
	for i := range 12 {
		if i%4 == 0 {
			f.clock.Advance(time.Minute) // posts in fours share a time
		}
		who, hh := ana, home.ID
		if i%2 == 1 {
			who, hh = bob, near.ID
		}
		p := f.post(t, who, hh, fmt.Sprintf("post %d", i))
		add(p.PostedAt, string(p.ID))
		if i == 5 {
			// A request in the same microsecond as posts, one ~1 km away,
			// one whose area holds the home, and one 5 km away.
			for _, r := range []struct {
				at     geo.Point
				radius float64
				shown  bool
			}{{toward(paris, 200, 1000), 300, true}, {paris, 300, true}, {toward(paris, 180, 5000), 300, false}} {
				req := f.request(t, officer, agency, r.at, r.radius)
				if r.shown {
					add(req.PostedAt, string(req.ID))
				}
			}
		}
		f.post(t, far, farHome.ID, fmt.Sprintf("far post %d", i)) // 4 km away: never shown at 2 km
	}
	slices.SortFunc(want, func(a, b entry) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	var wantIDs []string
	for _, e := range want {
		wantIDs = append(wantIDs, e.id)
	}

	for _, limit := range []int{1, 3, 4, 5, 14, 200} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > len(wantIDs) {
					t.Fatalf("paging does not end: %v", got)
				}
				page, err := f.svc.Feed(ctx, ana, home.ID, 2000, cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) > limit {
					t.Fatalf("%d items on a page of %d", len(page.Items), limit)
				}
				got = append(got, itemIDs(page.Items)...)
				if page.Next == "" {
					break
				}
				if len(page.Items) != limit {
					t.Fatalf("a short page (%d of %d) says more follow", len(page.Items), limit)
				}
				cursor = page.Next
			}
			if diff := cmp.Diff(wantIDs, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}

	// Distances are from the reader's home; a request's is to its area.
	page, err := f.svc.Feed(ctx, ana, home.ID, 2000, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		switch {
		case it.Request != nil && it.Request.Area.Circle.Center == paris:
			if it.DistanceMeters != 0 {
				t.Errorf("a request whose area holds the home is %v m away", it.DistanceMeters)
			}
		case it.Request != nil:
			if math.Abs(it.DistanceMeters-700) > 1 {
				t.Errorf("a request 1 km away with a 300 m radius is %v m away", it.DistanceMeters)
			}
		case it.DistanceMeters > 2000 || it.DistanceMeters != geo.DistanceMeters(paris, it.Post.Location):
			t.Errorf("post %s at %v m", it.ID(), it.DistanceMeters)
		}
	}
}

// TestFeedInput: only members read, and bad input is refused with a reason.
func TestFeedInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, home := f.home(t, paris)
	eve, _ := f.home(t, paris)
	f.post(t, ana, home.ID, "one")
	f.post(t, ana, home.ID, "two")
	first, err := f.svc.Feed(ctx, ana, home.ID, 0, "", 1)
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	for _, tc := range []struct {
		name   string
		user   identity.UserID
		hh     household.ID
		radius float64
		cursor string
		limit  int
		code   apperr.Code
		want   string
	}{
		{"OK", ana, home.ID, 500, first.Next, 200, "", ""},
		{"not a member", eve, home.ID, 0, "", 0, apperr.NotFound, "No such household"},
		{"no such household", ana, "h_none", 0, "", 0, apperr.NotFound, "No such household"},
		{"radius not offered", ana, home.ID, 750, "", 0, apperr.Invalid, "500 m, 1 km"},
		{"negative radius", ana, home.ID, -2000, "", 0, apperr.Invalid, "500 m, 1 km"},
		{"NaN radius", ana, home.ID, math.NaN(), "", 0, apperr.Invalid, "500 m, 1 km"},
		{"radius too large", ana, home.ID, 20000, "", 0, apperr.Invalid, "10 km"},
		{"limit too large", ana, home.ID, 0, "", 201, apperr.Invalid, "1 to 200"},
		{"negative limit", ana, home.ID, 0, "", -1, apperr.Invalid, "1 to 200"},
		{"cursor not base64", ana, home.ID, 0, "not a cursor!", 0, apperr.Invalid, "page link"},
		{"cursor without id", ana, home.ID, 0, "MTIzNDU", 0, apperr.Invalid, "page link"},
		{"cursor with a bad id", ana, home.ID, 0, "MTIzNDUuJyBPUiAxPTE", 0, apperr.Invalid, "page link"},
		{"cursor overlong", ana, home.ID, 0, strings.Repeat("A", 500), 0, apperr.Invalid, "page link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := f.svc.Feed(ctx, tc.user, tc.hh, tc.radius, tc.cursor, tc.limit)
			if tc.code == "" {
				// The two posts share a time; the page after the first holds the other.
				if err != nil || len(page.Items) != 1 || page.Items[0].Post.ID == first.Items[0].Post.ID {
					t.Fatalf("got %+v, %v", page, err)
				}
				return
			}
			if !apperr.Is(err, tc.code) || !strings.Contains(apperr.MessageOf(err), tc.want) {
				t.Fatalf("got %v (%q), want %s with %q", err, apperr.MessageOf(err), tc.code, tc.want)
			}
		})
	}
}
