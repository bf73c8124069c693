package web

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/vault"
)

// feedItem is one line of the feed page.
type feedItem struct {
	Post     *feed.Post
	Request  *neighbors.Request
	Agency   string   // the request's agency, by name
	Lines    []string // the post's text, line by line
	Distance string   // coarse, for people
	When     string   // in the household's time zone
	Window   string   // the request's time window
	Mine     bool
}

// radiusOption is one choice of the radius select.
type radiusOption struct {
	Value, Label string
	Selected     bool
}

// clipOption is a clip the post form offers to share.
type clipOption struct {
	ID    vault.ClipID
	Label string
}

// categoryOption is a category the post form offers.
type categoryOption struct {
	Value    feed.Category
	Label    string
	Selected bool
}

// parseRadius reads radius_m; "" is the default (0).
func parseRadius(v string) (float64, error) {
	if v == "" {
		return 0, nil
	}
	m, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, apperr.E("web.parseRadius", apperr.Invalid, "Choose a distance of 500 m, 1 km, 2 km, 5 km or 10 km (radius_m in metres).")
	}
	return m, nil
}

// radiusLabel says a radius for people: "500 m", "2 km".
func radiusLabel(m float64) string {
	if m < 1000 {
		return fmt.Sprintf("%.0f m", m)
	}
	return strconv.FormatFloat(m/1000, 'f', -1, 64) + " km"
}

// distanceLabel says coarsely how far an item is: posts are placed at their
// household's public location, so anything finer would be noise.
func distanceLabel(it feed.Item) string {
	switch d := it.DistanceMeters; {
	case it.Request != nil && d == 0:
		return "your home is in its area"
	case d < 1000:
		return "less than 1 km away"
	default:
		return fmt.Sprintf("about %.0f km away", math.Round(d/1000))
	}
}

// feedURL is the feed page of a household at a radius, optionally from a cursor.
func feedURL(hh household.ID, radius float64, cursor string) string {
	q := url.Values{"household": {string(hh)}}
	if radius != 0 && radius != feed.DefaultRadiusMeters {
		q.Set("radius_m", strconv.FormatFloat(radius, 'f', -1, 64))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return "/feed?" + q.Encode()
}

// handleFeed shows the feed around one of the user's households: the chooser
// when there are several and none is named, an explanation when there is none.
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	radius, err := parseRadius(q.Get("radius_m"))
	if err != nil {
		return err
	}
	hh := household.ID(q.Get("household"))
	if hh == "" {
		list, err := s.households.ListForUser(r.Context(), a.user.ID)
		if err != nil {
			return err
		}
		if len(list) != 1 {
			s.render(w, r, http.StatusOK, "feed", &feedPage{pageBase: pageBase{Title: "Neighbours"}, Choose: list})
			return nil
		}
		hh = list[0].ID
	}
	return s.renderFeed(w, r, a, http.StatusOK, hh, radius, q.Get("cursor"), feedPage{})
}

// renderFeed renders the feed page of hh with p (a form error, the
// values typed) on top.
func (s *Server) renderFeed(w http.ResponseWriter, r *http.Request, a *auth, status int, hh household.ID, radius float64, cursor string, p feedPage) error {
	ctx := r.Context()
	page, err := s.feed.Feed(ctx, a.user.ID, hh, radius, cursor, 0)
	if err != nil {
		return err
	}
	h := page.Household
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	items, err := s.feedItems(ctx, a, page.Items, loc)
	if err != nil {
		return err
	}
	var radii []radiusOption
	for _, m := range feed.Radii {
		radii = append(radii, radiusOption{Value: strconv.FormatFloat(m, 'f', -1, 64), Label: radiusLabel(m), Selected: m == page.RadiusMeters})
	}
	var categories []categoryOption
	for _, c := range feed.Categories {
		categories = append(categories, categoryOption{Value: c, Label: c.Label(), Selected: c == p.Category})
	}
	clips, err := s.shareableClips(ctx, a, hh, loc)
	if err != nil {
		return err
	}
	recipient, _, keyErr := s.vault.Key(ctx, a.user.ID)
	if keyErr != nil && !apperr.Is(keyErr, apperr.NotFound) {
		return keyErr
	}
	others, err := s.households.ListForUser(ctx, a.user.ID)
	if err != nil {
		return err
	}
	p.Title = "Neighbours near " + h.Name
	p.Household = h
	p.Households = others
	p.Radius = radiusLabel(page.RadiusMeters)
	p.RadiusValue = strconv.FormatFloat(page.RadiusMeters, 'f', -1, 64)
	p.Radii = radii
	p.Items = items
	p.FromStart = cursor == ""
	p.Newest = feedURL(hh, page.RadiusMeters, "")
	if page.Next != "" {
		p.Older = feedURL(hh, page.RadiusMeters, page.Next)
	}
	p.Categories = categories
	p.MaxText = feed.MaxTextLength
	p.Clips = clips
	p.HasKey = keyErr == nil
	p.Recipient = recipient
	s.render(w, r, status, "feed", &p)
	return nil
}

// feedItems turns a page of the feed into lines for people.
func (s *Server) feedItems(ctx context.Context, a *auth, items []feed.Item, loc *time.Location) ([]feedItem, error) {
	const when = "Mon 2 Jan 15:04"
	agencies := map[neighbors.AgencyID]string{}
	out := make([]feedItem, 0, len(items))
	for _, it := range items {
		fi := feedItem{Post: it.Post, Request: it.Request, Distance: distanceLabel(it), When: it.Time().In(loc).Format(when)}
		if it.Post != nil {
			fi.Lines = strings.Split(strings.ReplaceAll(it.Post.Text, "\r\n", "\n"), "\n")
			fi.Mine = it.Post.Author == a.user.ID
		} else {
			name, ok := agencies[it.Request.Agency]
			if !ok {
				ag, err := s.neighbors.Agency(ctx, agencyActor(a), it.Request.Agency)
				if err != nil {
					return nil, err
				}
				name, agencies[it.Request.Agency] = ag.Name, ag.Name
			}
			fi.Agency = name
			fi.Window = it.Request.WindowStart.In(loc).Format(when) + " to " + it.Request.WindowEnd.In(loc).Format("15:04")
		}
		out = append(out, fi)
	}
	return out, nil
}

// shareableClips lists the household's clips of the last days, for the
// post form, newest first, named by device and time.
func (s *Server) shareableClips(ctx context.Context, a *auth, hh household.ID, loc *time.Location) ([]clipOption, error) {
	clips, err := s.vault.List(ctx, a.user.ID, hh, s.clock.Now().Add(-feed.MaxClipAge), time.Time{}, 100)
	if err != nil || len(clips) == 0 {
		return nil, err
	}
	devices, err := s.devices.List(ctx, a.user.ID, hh)
	if err != nil {
		return nil, err
	}
	names := map[device.ID]string{}
	for _, d := range devices {
		names[d.ID] = d.Name
	}
	out := make([]clipOption, 0, len(clips))
	for _, c := range clips {
		name := names[c.Device]
		if name == "" {
			name = "a removed device"
		}
		out = append(out, clipOption{ID: c.ID, Label: fmt.Sprintf("%s · %s · %s · %s", c.Start.In(loc).Format("Mon 2 Jan 15:04"), name, c.Kind, clipLength(c))})
	}
	return out, nil
}

// postForm reads the post form (or the API's fields, which have the same names).
func postForm(r *http.Request) feed.NewPost {
	return feed.NewPost{Category: feed.Category(r.PostFormValue("category")), Text: r.PostFormValue("text"),
		Clip: vault.ClipID(r.PostFormValue("clip_id")), PostKey: r.PostFormValue("post_key")}
}

func (s *Server) handleCreatePost(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	hh := household.ID(r.PostFormValue("household"))
	radius, err := parseRadius(r.PostFormValue("radius_m"))
	if err != nil {
		return err
	}
	n := postForm(r)
	p, err := s.feed.Post(r.Context(), a.user.ID, hh, n)
	if apperr.Is(err, apperr.Invalid) {
		return s.renderFeed(w, r, a, http.StatusBadRequest, hh, radius, "", feedPage{
			pageBase: pageBase{Error: apperr.MessageOf(err)}, Category: n.Category, Text: n.Text})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, feedURL(hh, radius, "")+"#"+string(p.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) handleDeletePost(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	radius, err := parseRadius(r.PostFormValue("radius_m"))
	if err != nil {
		return err
	}
	if err := s.feed.Delete(r.Context(), a.user.ID, feed.PostID(r.PathValue("id"))); err != nil {
		return err
	}
	next := "/feed"
	if hh := r.PostFormValue("household"); hh != "" {
		next = feedURL(household.ID(hh), radius, "")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// apiFeedItem is a post or a request in the JSON feed.
type apiFeedItem struct {
	Type     string    `json:"type"` // "post" or "request"
	ID       string    `json:"id"`
	PostedAt time.Time `json:"posted_at"`
	// DistanceM is rounded to 100 m: posts are placed at a coarse public
	// location anyway. Absent on a post just made.
	DistanceM *float64 `json:"distance_m,omitempty"`

	Category      feed.Category `json:"category,omitempty"`
	CategoryLabel string        `json:"category_label,omitempty"`
	Text          string        `json:"text,omitempty"`
	Mine          bool          `json:"mine,omitempty"`
	Clip          *apiPostClip  `json:"clip,omitempty"`

	AgencyID     neighbors.AgencyID `json:"agency_id,omitempty"`
	IncidentType string             `json:"incident_type,omitempty"`
	Title        string             `json:"title,omitempty"`
	WindowStart  *time.Time         `json:"window_start,omitempty"`
	WindowEnd    *time.Time         `json:"window_end,omitempty"`
	Resolved     bool               `json:"resolved,omitempty"`
	URL          string             `json:"url,omitempty"`
}

// apiPostClip says where a post's clip is and the age identity that opens it.
type apiPostClip struct {
	URL      string `json:"url"`
	PostKey  string `json:"post_key"`
	LogIndex uint64 `json:"log_index"`
}

func toAPIPost(p *feed.Post, user identity.UserID) apiFeedItem {
	out := apiFeedItem{Type: "post", ID: string(p.ID), PostedAt: p.PostedAt, Category: p.Category,
		CategoryLabel: p.Category.Label(), Text: p.Text, Mine: p.Author == user}
	if p.HasClip() {
		out.Clip = &apiPostClip{URL: "/api/v1/posts/" + string(p.ID) + "/clip", PostKey: p.PostKey, LogIndex: p.ClipLogIndex}
	}
	return out
}

func toAPIFeedItem(it feed.Item, user identity.UserID) apiFeedItem {
	d := math.Round(it.DistanceMeters/100) * 100
	if it.Post != nil {
		out := toAPIPost(it.Post, user)
		out.DistanceM = &d
		return out
	}
	q := it.Request
	return apiFeedItem{Type: "request", ID: string(q.ID), PostedAt: q.PostedAt, DistanceM: &d, AgencyID: q.Agency,
		IncidentType: q.IncidentType, Title: q.Title, WindowStart: &q.WindowStart, WindowEnd: &q.WindowEnd,
		Resolved: q.Resolved(), URL: "/requests/" + string(q.ID)}
}

func (s *Server) apiFeed(w http.ResponseWriter, r *http.Request) error {
	const op = "web.apiFeed"
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	hh := household.ID(q.Get("household"))
	if hh == "" {
		return apperr.E(op, apperr.Invalid, "Name the household whose neighbourhood to read: household=h_….")
	}
	radius, err := parseRadius(q.Get("radius_m"))
	if err != nil {
		return err
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return apperr.E(op, apperr.Invalid, fmt.Sprintf("limit is a number from 1 to %d.", feed.MaxPageSize))
		}
	}
	page, err := s.feed.Feed(r.Context(), a.user.ID, hh, radius, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	items := make([]apiFeedItem, 0, len(page.Items))
	for _, it := range page.Items {
		items = append(items, toAPIFeedItem(it, a.user.ID))
	}
	writeJSON(w, http.StatusOK, map[string]any{"household_id": hh, "radius_m": page.RadiusMeters, "items": items, "next_cursor": page.Next})
	return nil
}

func (s *Server) apiCreatePost(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	var req struct {
		Household household.ID  `json:"household_id"`
		Category  feed.Category `json:"category"`
		Text      string        `json:"text"`
		Clip      vault.ClipID  `json:"clip_id"`
		PostKey   string        `json:"post_key"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.feed.Post(r.Context(), a.user.ID, req.Household, feed.NewPost{Category: req.Category, Text: req.Text, Clip: req.Clip, PostKey: req.PostKey})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAPIPost(p, a.user.ID))
	return nil
}

func (s *Server) apiDeletePost(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if err := s.feed.Delete(r.Context(), a.user.ID, feed.PostID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiPostClip streams the clip a post shares: an age file that the post's
// key (in the feed) opens, for readers near the post.
func (s *Server) apiPostClip(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	p, body, err := s.feed.Clip(r.Context(), a.user.ID, feed.PostID(r.PathValue("id")))
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+string(p.ID)+`.age"`)
	h.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, body); err != nil {
		s.logError(r, apperr.Wrap("web.apiPostClip", err)) // the status is already sent
	}
	return nil
}
