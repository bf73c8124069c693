package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// PostID names a post of the neighbours feed.
type PostID string

// FeedQuery chooses a page of the neighbours feed around a household.
type FeedQuery struct {
	Household HouseholdID // whose neighbourhood (required)
	RadiusM   int         // 500, 1000, 2000, 5000 or 10000; 0: the server's default (2000)
	Cursor    string      // "" for the first page, else a page's NextCursor
	Limit     int         // 1 to 200; 0: the server's default (50)
}

func (q FeedQuery) values() url.Values {
	v := url.Values{"household": {string(q.Household)}}
	if q.RadiusM != 0 {
		v.Set("radius_m", strconv.Itoa(q.RadiusM))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// FeedPage is one page of the feed, newest first.
type FeedPage struct {
	Household  HouseholdID `json:"household_id"`
	RadiusM    int         `json:"radius_m"`
	Items      []FeedItem  `json:"items"`
	NextCursor string      `json:"next_cursor"` // "" on the last page
}

// FeedItem is a neighbour's post (Type "post") or an agency's request
// (Type "request"); the fields of the other kind are empty.
type FeedItem struct {
	Type      string    `json:"type"`
	ID        string    `json:"id"` // a PostID or a RequestID
	PostedAt  time.Time `json:"posted_at"`
	DistanceM *float64  `json:"distance_m,omitempty"` // rounded to 100 m

	Category      string    `json:"category,omitempty"`
	CategoryLabel string    `json:"category_label,omitempty"`
	Text          string    `json:"text,omitempty"`
	Mine          bool      `json:"mine,omitempty"`
	Clip          *PostClip `json:"clip,omitempty"`

	AgencyID     AgencyID   `json:"agency_id,omitempty"`
	IncidentType string     `json:"incident_type,omitempty"`
	Title        string     `json:"title,omitempty"`
	WindowStart  *time.Time `json:"window_start,omitempty"`
	WindowEnd    *time.Time `json:"window_end,omitempty"`
	Resolved     bool       `json:"resolved,omitempty"`
	URL          string     `json:"url,omitempty"`
}

// PostClip says where a post's clip is and the age identity that opens it.
type PostClip struct {
	URL      string `json:"url"`
	PostKey  string `json:"post_key"`
	LogIndex uint64 `json:"log_index"`
}

// FeedPage reads one page of the feed around a household (members,
// account:read). Invalid for a radius, limit or cursor the API does not
// take; NotFound for a household the account is not a member of.
func (c *Client) FeedPage(ctx context.Context, q FeedQuery) (*FeedPage, error) {
	var out FeedPage
	if err := c.get(ctx, "/api/v1/feed", q.values(), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Feed yields the feed from q.Cursor on, following the pages to the last.
// It stops at the first error, which it yields.
func (c *Client) Feed(ctx context.Context, q FeedQuery) iter.Seq2[FeedItem, error] {
	return func(yield func(FeedItem, error) bool) {
		for {
			page, err := c.FeedPage(ctx, q)
			if err != nil {
				yield(FeedItem{}, err)
				return
			}
			for _, it := range page.Items {
				if !yield(it, nil) {
					return
				}
			}
			if page.NextCursor == "" || page.NextCursor == q.Cursor {
				return
			}
			q.Cursor = page.NextCursor
		}
	}
}

// NewPost is a post to the neighbours feed. To share a clip, first give the
// post key's recipient a wrap of it (AddWrap).
type NewPost struct {
	Household HouseholdID `json:"household_id"`
	Category  string      `json:"category"`
	Text      string      `json:"text"`
	Clip      ClipID      `json:"clip_id,omitempty"`
	PostKey   string      `json:"post_key,omitempty"` // the age identity that opens the shared clip
}

// CreatePost posts to the feed (members, account:write).
func (c *Client) CreatePost(ctx context.Context, p NewPost) (*FeedItem, error) {
	var out FeedItem
	if err := c.write(ctx, http.MethodPost, "/api/v1/posts", p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeletePost deletes a post and un-shares its clip (its author only).
func (c *Client) DeletePost(ctx context.Context, id PostID) error {
	return c.write(ctx, http.MethodDelete, apiPath("/api/v1/posts/", string(id)), nil, nil)
}

// PostClip opens the clip a post shares, an age file its post key opens
// (members of households within 10 km). The caller closes it.
func (c *Client) PostClip(ctx context.Context, id PostID) (io.ReadCloser, error) {
	return c.open(ctx, apiPath("/api/v1/posts/", string(id), "/clip"))
}
