package sqlstore

import (
	"context"
	"database/sql"
	"math"

	"hearth/internal/apperr"
	"hearth/internal/feed"
)

// FeedStore implements feed.Store.
type FeedStore struct{ db *DB }

// NewFeedStore returns a FeedStore over db.
func NewFeedStore(db *DB) *FeedStore { return &FeedStore{db: db} }

var _ feed.Store = (*FeedStore)(nil)

const (
	msgNoPost          = "No such post."
	msgPostExists      = "A post with this identifier already exists."
	msgPostOwnerAbsent = "The post's household or author does not exist."
)

const postColumns = `id, household_id, author_id, category, body, lat, lng, posted_at, clip_id, clip_recipient, post_key, clip_log_index`

func scanPosts(rows *sql.Rows) ([]*feed.Post, error) {
	defer rows.Close()
	var out []*feed.Post
	for rows.Next() {
		var p feed.Post
		var posted, logIndex int64
		if err := rows.Scan(&p.ID, &p.Household, &p.Author, &p.Category, &p.Text, &p.Location.Lat, &p.Location.Lng,
			&posted, &p.Clip, &p.ClipRecipient, &p.PostKey, &logIndex); err != nil {
			return nil, err
		}
		p.PostedAt, p.ClipLogIndex = fromMicros(posted), uint64(logIndex)
		out = append(out, &p)
	}
	return out, rows.Err()
}

// CreatePost inserts the post. NotFound if its household or author does
// not exist; Conflict if the id is taken.
func (s *FeedStore) CreatePost(ctx context.Context, p *feed.Post) error {
	const op = "sqlstore.CreatePost"
	return s.db.write(ctx, op, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO feed_posts (`+postColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(p.ID), string(p.Household), string(p.Author), string(p.Category), p.Text, p.Location.Lat, p.Location.Lng,
			micros(p.PostedAt), string(p.Clip), p.ClipRecipient, p.PostKey, int64(p.ClipLogIndex))
		return classifyRef(op, tx.db.d, err, msgPostExists, msgPostOwnerAbsent)
	})
}

// FindPost returns the post. NotFound if none.
func (s *FeedStore) FindPost(ctx context.Context, id feed.PostID) (*feed.Post, error) {
	return findOne(ctx, s.db, "sqlstore.FindPost", msgNoPost, scanPosts,
		`SELECT `+postColumns+` FROM feed_posts WHERE id = ?`, string(id))
}

// The two shapes of the box query: a plain longitude range, and one that
// wraps around the antimeridian. Both continue after a mark, newest first.
const (
	postsInBox = `SELECT ` + postColumns + ` FROM feed_posts
		WHERE lat BETWEEN ? AND ? AND lng BETWEEN ? AND ?
		AND (posted_at < ? OR (posted_at = ? AND id < ?))
		ORDER BY posted_at DESC, id DESC LIMIT ?`
	postsInWrappedBox = `SELECT ` + postColumns + ` FROM feed_posts
		WHERE lat BETWEEN ? AND ? AND (lng >= ? OR lng <= ?)
		AND (posted_at < ? OR (posted_at = ? AND id < ?))
		ORDER BY posted_at DESC, id DESC LIMIT ?`
)

// ListPosts returns up to limit posts in box after the mark, newest first.
func (s *FeedStore) ListPosts(ctx context.Context, box feed.Box, after feed.Mark, limit int) ([]*feed.Post, error) {
	const op = "sqlstore.ListPosts"
	if limit <= 0 {
		return nil, nil
	}
	// The zero mark is after every stored time: every post comes after it.
	at, id := int64(math.MaxInt64), ""
	if !after.IsZero() {
		at, id = micros(after.Time), after.ID
	}
	query := postsInBox
	if box.CrossesAntimeridian() {
		query = postsInWrappedBox
	}
	var out []*feed.Post
	err := s.db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, query, box.South, box.North, box.West, box.East, at, at, id, limit)
		if err != nil {
			return err
		}
		out, err = scanPosts(rows)
		return err
	})
	return out, err
}

// DeletePost deletes the post. NotFound if none.
func (s *FeedStore) DeletePost(ctx context.Context, id feed.PostID) error {
	const op = "sqlstore.DeletePost"
	return s.db.write(ctx, op, func(tx *tx) error {
		n, err := tx.execCount(ctx, `DELETE FROM feed_posts WHERE id = ?`, string(id))
		if err == nil && n == 0 {
			return apperr.E(op, apperr.NotFound, msgNoPost)
		}
		return err
	})
}
