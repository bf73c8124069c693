package feed

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
)

// The distances a reader may choose, in metres, and the default.
var Radii = []float64{500, 1000, 2000, 5000, 10000}

const (
	DefaultRadiusMeters = 2000
	MaxRadiusMeters     = 10000 // the largest of Radii
)

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// postBatch is how many posts one store read fetches at least: the box
// holds posts beyond the radius too (its corners), which the service drops.
const postBatch = 50

// Item is one line of the feed: a post or an agency's request.
type Item struct {
	Post    *Post
	Request *neighbors.Request
	// DistanceMeters is how far the post's public location, or the
	// nearest point of the request's area, is from the reader's home
	// (0 when the area holds the home).
	DistanceMeters float64
}

// Time is when the item was posted.
func (it Item) Time() time.Time {
	if it.Post != nil {
		return it.Post.PostedAt
	}
	return it.Request.PostedAt
}

// ID is the post's or the request's id; the two never collide.
func (it Item) ID() string {
	if it.Post != nil {
		return string(it.Post.ID)
	}
	return string(it.Request.ID)
}

// FeedPage is one page of a household's feed.
type FeedPage struct {
	Household    *household.Household
	RadiusMeters float64
	Items        []Item // newest first
	// Next is the cursor of the following page; "" on the last one.
	Next string
}

// Feed returns the feed around household hh's home: the posts placed
// within radiusMeters of it and the agencies' requests whose area comes
// that close, newest first (ties by id), limit at most, from cursor ("" for
// the newest). radiusMeters is one of Radii, or 0 for the default; limit is
// at most MaxPageSize, or 0 for DefaultPageSize. NotFound unless user is a
// member of hh; Invalid for another radius, limit or a damaged cursor.
func (s *Service) Feed(ctx context.Context, user identity.UserID, hh household.ID, radiusMeters float64, cursor string, limit int) (*FeedPage, error) {
	const op = "feed.Feed"
	h, err := s.d.Households.Get(ctx, user, hh)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if radiusMeters == 0 {
		radiusMeters = DefaultRadiusMeters
	}
	if !slices.Contains(Radii, radiusMeters) {
		return nil, apperr.E(op, apperr.Invalid, "Choose a distance of 500 m, 1 km, 2 km, 5 km or 10 km.")
	}
	switch {
	case limit == 0:
		limit = DefaultPageSize
	case limit < 0 || limit > MaxPageSize:
		return nil, apperr.E(op, apperr.Invalid, fmt.Sprintf("Ask for 1 to %d items at a time.", MaxPageSize))
	}
	from, err := parseCursor(cursor)
	if err != nil {
		return nil, err
	}
	home := geo.Point{Lat: h.Home.Lat, Lng: h.Home.Lng}

	// One more than a page of each kind tells whether another page follows.
	posts, err := s.postsNear(ctx, home, radiusMeters, from, limit+1)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	requests, err := s.requestsNear(ctx, home, radiusMeters, from, limit+1)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	items := append(posts, requests...)
	slices.SortFunc(items, func(a, b Item) int {
		if c := b.Time().Compare(a.Time()); c != 0 {
			return c
		}
		return strings.Compare(b.ID(), a.ID())
	})
	page := &FeedPage{Household: h, RadiusMeters: radiusMeters, Items: items}
	if len(items) > limit {
		last := items[limit-1]
		page.Items, page.Next = items[:limit], makeCursor(Mark{Time: last.Time(), ID: last.ID()})
	}
	return page, nil
}

// postsNear returns up to want posts within radius of home that come after
// from, newest first. The store reads a box around the circle; posts in its
// corners are dropped here and the next batch read, until want posts are
// found or the store has no more.
func (s *Service) postsNear(ctx context.Context, home geo.Point, radius float64, from Mark, want int) ([]Item, error) {
	box := boxAround(home, radius)
	batch := max(want, postBatch)
	var out []Item
	for {
		posts, err := s.store.ListPosts(ctx, box, from, batch)
		if err != nil {
			return nil, err
		}
		for _, p := range posts {
			if d := geo.DistanceMeters(home, p.Location); d <= radius {
				out = append(out, Item{Post: p, DistanceMeters: d})
				if len(out) == want {
					return out, nil
				}
			}
		}
		if len(posts) < batch {
			return out, nil
		}
		last := posts[len(posts)-1]
		from = Mark{Time: last.PostedAt, ID: string(last.ID)}
	}
}

// requestsNear returns up to want requests whose area comes within radius
// of home and that come after from, newest first. RequestsNear cuts by time
// alone, so requests posted in the same microsecond as from are asked for
// again and those at or before from in the feed's order skipped.
func (s *Service) requestsNear(ctx context.Context, home geo.Point, radius float64, from Mark, want int) ([]Item, error) {
	var before time.Time
	if !from.IsZero() {
		before = from.Time.Add(time.Microsecond)
	}
	ask := want
	for {
		list, err := s.d.Requests.RequestsNear(ctx, home, radius, before, ask)
		if err != nil {
			return nil, err
		}
		var out []Item
		for _, r := range list {
			if from.Precedes(r.PostedAt, string(r.ID)) {
				out = append(out, Item{Request: r, DistanceMeters: r.Area.DistanceMeters(home)})
			}
		}
		skipped := len(list) - len(out)
		if len(list) < ask || skipped == 0 || len(out) >= want {
			return out[:min(len(out), want)], nil
		}
		ask += skipped
	}
}

// boxAround returns a latitude/longitude box that holds every point within
// radius metres of c (and a little more, so rounding never drops a point
// on the circle): the exact bounds of a spherical cap, opened to every
// longitude when the cap reaches a pole.
func boxAround(c geo.Point, radius float64) Box {
	const margin = 1.0001
	angle := radius / geo.EarthRadiusMeters * margin // radians
	dLat := angle * 180 / math.Pi
	south, north := c.Lat-dLat, c.Lat+dLat
	if south <= -90 || north >= 90 {
		return Box{South: max(south, -90), North: min(north, 90), West: -180, East: 180}
	}
	ratio := math.Sin(angle) / math.Cos(c.Lat*math.Pi/180)
	if ratio >= 1 {
		return Box{South: south, North: north, West: -180, East: 180}
	}
	dLng := math.Asin(ratio) * 180 / math.Pi
	west, east := c.Lng-dLng, c.Lng+dLng
	if west < -180 {
		west += 360
	}
	if east > 180 {
		east -= 360
	}
	return Box{South: south, North: north, West: west, East: east}
}

// A cursor is the Mark of the last item shown: its time in Unix
// microseconds and its id, base64url-encoded so that clients treat it as
// opaque.
func makeCursor(m Mark) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(m.Time.UnixMicro(), 10) + "." + m.ID))
}

func parseCursor(c string) (Mark, error) {
	if c == "" {
		return Mark{}, nil
	}
	bad := apperr.E("feed.parseCursor", apperr.Invalid, "This page link is damaged or out of date; start again from the newest posts.")
	if len(c) > 200 {
		return Mark{}, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return Mark{}, bad
	}
	at, id, ok := strings.Cut(string(raw), ".")
	us, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || us <= 0 || !validID(id) {
		return Mark{}, bad
	}
	return Mark{Time: time.UnixMicro(us).UTC(), ID: id}, nil
}

// validID reports whether id looks like a Hearth identifier: a prefix, an
// underscore and lower-case base32.
func validID(id string) bool {
	if id == "" || len(id) > 64 || !strings.Contains(id, "_") {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
