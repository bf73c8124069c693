package feed

import (
	"context"
	"time"
)

// Box is a latitude/longitude rectangle in degrees, edges included. When
// West > East it crosses the antimeridian: it holds the longitudes from
// West up to 180 and from -180 up to East.
type Box struct {
	South, North, West, East float64
}

// CrossesAntimeridian reports whether the box wraps around longitude 180.
func (b Box) CrossesAntimeridian() bool { return b.West > b.East }

// Contains reports whether the point at lat, lng is in the box.
func (b Box) Contains(lat, lng float64) bool {
	if lat < b.South || lat > b.North {
		return false
	}
	if b.CrossesAntimeridian() {
		return lng >= b.West || lng <= b.East
	}
	return lng >= b.West && lng <= b.East
}

// Mark is a place in the feed's order, newest first: by time, and among
// items of the same time by id, larger first. The zero Mark is before the
// newest item.
type Mark struct {
	Time time.Time
	ID   string
}

// IsZero reports whether m is the start of the feed.
func (m Mark) IsZero() bool { return m.Time.IsZero() && m.ID == "" }

// Precedes reports whether an item with time t and id comes after m in the
// feed, that is, is older, or as old with a smaller id. Everything comes
// after the zero Mark.
func (m Mark) Precedes(t time.Time, id string) bool {
	if m.IsZero() {
		return true
	}
	return t.Before(m.Time) || t.Equal(m.Time) && id < m.ID
}

// Store persists posts. Posts are never updated. Methods return apperr
// codes: NotFound and Conflict where stated, Internal otherwise.
type Store interface {
	// CreatePost inserts p. NotFound if its household or author does not
	// exist; Conflict if its id is taken.
	CreatePost(ctx context.Context, p *Post) error
	// FindPost returns the post. NotFound if none.
	FindPost(ctx context.Context, id PostID) (*Post, error)
	// ListPosts returns up to limit posts located in box that come after
	// m in the feed's order (see Mark), newest first, ties by id, larger
	// first. Ids compare byte by byte.
	ListPosts(ctx context.Context, box Box, after Mark, limit int) ([]*Post, error)
	// DeletePost deletes the post. NotFound if none.
	DeletePost(ctx context.Context, id PostID) error
}
