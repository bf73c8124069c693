package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
)

// The agency side of SPEC §8: agencies' public pages, their officers' pages
// (register, key, post and resolve requests) and the same over the JSON API.
// Every rule is the neighbors service's; these handlers only decide which
// buttons a page shows.

// kindLabels names agency kinds for people.
var kindLabels = map[neighbors.AgencyKind]string{
	neighbors.AgencyPolice:    "Police",
	neighbors.AgencyFire:      "Fire",
	neighbors.AgencyMedical:   "Medical",
	neighbors.AgencyEmergency: "Emergency management",
}

// agencyViewer is who is looking at a public page or API call: the signed-in
// account, or nil for anyone else (a half-signed-in session, a token without
// account:read, nobody).
func agencyViewer(r *http.Request) *auth {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return nil
	}
	return a
}

func agencyActor(a *auth) neighbors.Actor { return neighbors.Actor{ID: a.user.ID, Role: a.user.Role} }

// viewerActor is the viewer of a public page or API call as the service
// knows them: the zero Actor for anyone not signed in.
func viewerActor(r *http.Request) neighbors.Actor {
	if a := agencyViewer(r); a != nil {
		return agencyActor(a)
	}
	return neighbors.Actor{}
}

func isAdminViewer(a *auth) bool { return a != nil && a.user.Role == identity.RoleAdmin }

// officerAgency returns the agency of the path for a page only its officers
// use: Forbidden for anyone else.
func (s *Server) officerAgency(r *http.Request, a *auth) (*neighbors.Agency, error) {
	return s.neighbors.OfficerAgency(r.Context(), agencyActor(a), neighbors.AgencyID(r.PathValue("id")))
}

// ---- Public pages ----

func (s *Server) handleAgencies(w http.ResponseWriter, r *http.Request) error {
	list, err := s.neighbors.Agencies(r.Context(), viewerActor(r))
	if err != nil {
		return err
	}
	v := agencyViewer(r)
	var verified, pending []*neighbors.Agency
	for _, a := range list {
		if a.Verified() {
			verified = append(verified, a)
		} else {
			pending = append(pending, a)
		}
	}
	s.render(w, r, http.StatusOK, "agencies", &agenciesPage{
		pageBase: pageBase{Title: "Agencies"}, Verified: verified, Pending: pending, IsAdmin: isAdminViewer(v), Kinds: kindLabels,
	})
	return nil
}

func (s *Server) handleAgency(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.neighbors.Agency(ctx, viewerActor(r), neighbors.AgencyID(r.PathValue("id")))
	if err != nil {
		return err
	}
	reqs, err := s.neighbors.AgencyRequests(ctx, a.ID)
	if err != nil {
		return err
	}
	v := agencyViewer(r)
	officer, err := s.neighbors.Serves(ctx, viewerActor(r), a.ID)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "agency", &agencyPage{
		pageBase: pageBase{Title: a.Name}, Agency: a, Requests: reqs, IsAdmin: isAdminViewer(v), IsOfficer: officer, Kinds: kindLabels,
	})
	return nil
}

func (s *Server) handleVerifyAgency(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	ag, err := s.neighbors.VerifyAgency(r.Context(), agencyActor(a), neighbors.AgencyID(r.PathValue("id")))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/agencies/"+string(ag.ID), http.StatusSeeOther)
	return nil
}

// requestPageData is what the request page shows, with what the viewer
// may do with it (see addRequestAnswers).
func (s *Server) requestPageData(r *http.Request, req *neighbors.Request) (*requestPage, error) {
	ctx := r.Context()
	ag, err := s.neighbors.Agency(ctx, viewerActor(r), req.Agency)
	if err != nil {
		return nil, err
	}
	area, err := json.Marshal(req.Area)
	if err != nil {
		return nil, apperr.Wrap("web.requestPageData", err)
	}
	officer, err := s.neighbors.Serves(ctx, viewerActor(r), req.Agency)
	if err != nil {
		return nil, err
	}
	data := &requestPage{
		pageBase: pageBase{Title: req.Title}, Request: req, Agency: ag, AreaJSON: string(area),
		IsOfficer: officer, MapTiles: s.cfg.MapTiles, Kinds: kindLabels,
	}
	if err := s.addRequestAnswers(r, req, ag, data); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) handleRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := s.neighbors.Request(r.Context(), neighbors.RequestID(r.PathValue("id")))
	if err != nil {
		return err
	}
	data, err := s.requestPageData(r, req)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "request", data)
	return nil
}

func (s *Server) handleResolveRequest(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	req, err := s.neighbors.ResolveRequest(r.Context(), agencyActor(a), neighbors.RequestID(r.PathValue("id")))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/requests/"+string(req.ID), http.StatusSeeOther)
	return nil
}

// ---- Officers' pages ----

// agencyForm is the registration form, kept to show again after a refusal.
type agencyForm struct{ Name, Jurisdiction, Kind string }

func (s *Server) renderMyAgencies(w http.ResponseWriter, r *http.Request, a *auth, status int, p agenciesMinePage) error {
	list, err := s.neighbors.OfficerAgencies(r.Context(), agencyActor(a))
	if err != nil {
		return err
	}
	p.Title = "Your agencies"
	p.Agencies = list
	p.IsOfficer = a.user.Role == identity.RoleAgencyOfficer
	p.KindList = neighbors.AgencyKinds
	p.Kinds = kindLabels
	s.render(w, r, status, "agencies_mine", &p)
	return nil
}

func (s *Server) handleMyAgencies(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	return s.renderMyAgencies(w, r, a, http.StatusOK, agenciesMinePage{})
}

func (s *Server) handleRegisterAgency(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	f := agencyForm{Name: r.PostFormValue("name"), Jurisdiction: r.PostFormValue("jurisdiction"), Kind: r.PostFormValue("kind")}
	ag, err := s.neighbors.RegisterAgency(r.Context(), agencyActor(a),
		neighbors.NewAgency{Name: f.Name, Jurisdiction: f.Jurisdiction, Kind: neighbors.AgencyKind(f.Kind)})
	if apperr.Is(err, apperr.Invalid) {
		return s.renderMyAgencies(w, r, a, http.StatusBadRequest, agenciesMinePage{pageBase: pageBase{Error: apperr.MessageOf(err)}, Form: f})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/agencies/"+string(ag.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) renderAgencyKey(w http.ResponseWriter, r *http.Request, ag *neighbors.Agency, status int, p agencyKeyPage) {
	p.Title = "The key of " + ag.Name
	p.Agency = ag
	s.render(w, r, status, "agency_key", &p)
}

func (s *Server) handleAgencyKey(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	ag, err := s.officerAgency(r, a)
	if err != nil {
		return err
	}
	var data agencyKeyPage
	if r.URL.Query().Get("done") == "key" {
		data.Notice = "The agency's public key is published: residents' browsers now encrypt the footage they share for it."
	}
	s.renderAgencyKey(w, r, ag, http.StatusOK, data)
	return nil
}

func (s *Server) handleSetRecipient(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	id := neighbors.AgencyID(r.PathValue("id"))
	err = s.neighbors.SetAgencyRecipient(r.Context(), agencyActor(a), id, strings.TrimSpace(r.PostFormValue("recipient")))
	if apperr.Is(err, apperr.Invalid) {
		ag, ferr := s.officerAgency(r, a)
		if ferr != nil {
			return ferr
		}
		s.renderAgencyKey(w, r, ag, http.StatusBadRequest, agencyKeyPage{pageBase: pageBase{Error: apperr.MessageOf(err)}})
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/agencies/"+string(id)+"/key?done=key", http.StatusSeeOther)
	return nil
}

// requestForm is the new-request form as entered, kept to show again after
// a refusal. The window comes as RFC 3339 from the page's script, or else as
// the datetime-local fields, read as UTC; the circle likewise from the
// hidden fields the map fills, or else from the typed ones.
type requestForm struct {
	IncidentType, Title, Description, CaseNumber, Contact string
	WindowStart, WindowEnd                                string
	WindowStartLocal, WindowEndLocal                      string
	CenterLat, CenterLng, RadiusM                         string
	TypedLat, TypedLng, TypedRadius                       string
	Attest                                                bool
}

func readRequestForm(r *http.Request) requestForm {
	v := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	return requestForm{
		IncidentType: v("incident_type"), Title: v("title"), Description: r.PostFormValue("description"),
		CaseNumber: v("case_number"), Contact: v("contact"),
		WindowStart: v("window_start"), WindowEnd: v("window_end"),
		WindowStartLocal: v("window_start_local"), WindowEndLocal: v("window_end_local"),
		CenterLat: v("center_lat"), CenterLng: v("center_lng"), RadiusM: v("radius_m"),
		TypedLat: v("typed_center_lat"), TypedLng: v("typed_center_lng"), TypedRadius: v("typed_radius_m"),
		Attest: r.PostFormValue("not_about_lawful_activity") != "",
	}
}

// windowTime reads a window's end: RFC 3339, or else a datetime-local value
// taken as UTC. Zero when neither is given (the service asks for it).
func windowTime(rfc3339, local, which string) (time.Time, error) {
	if rfc3339 != "" {
		t, err := time.Parse(time.RFC3339, rfc3339)
		if err != nil {
			return time.Time{}, apperr.E("web.windowTime", apperr.Invalid, "Give the "+which+" of the window as a date and time, like 2026-03-01T09:30:00Z.")
		}
		return t, nil
	}
	if local == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, apperr.E("web.windowTime", apperr.Invalid, "Give the "+which+" of the window as a date and time, like 2026-03-01T09:30.")
}

// newRequest turns the form into what the service checks; an Invalid error
// for what cannot even be read.
func (f requestForm) newRequest() (neighbors.NewRequest, error) {
	n := neighbors.NewRequest{IncidentType: f.IncidentType, Title: f.Title, Description: f.Description,
		CaseNumber: f.CaseNumber, Contact: f.Contact, NotAboutLawfulActivity: f.Attest}
	var err error
	if n.WindowStart, err = windowTime(f.WindowStart, f.WindowStartLocal, "start"); err != nil {
		return n, err
	}
	if n.WindowEnd, err = windowTime(f.WindowEnd, f.WindowEndLocal, "end"); err != nil {
		return n, err
	}
	lat, lng, radius := f.CenterLat, f.CenterLng, f.RadiusM
	if lat == "" && lng == "" && radius == "" {
		lat, lng, radius = f.TypedLat, f.TypedLng, f.TypedRadius
	}
	if lat == "" && lng == "" && radius == "" {
		return n, nil // no area: the service says to draw one
	}
	la, errLat := strconv.ParseFloat(lat, 64)
	ln, errLng := strconv.ParseFloat(lng, 64)
	rm, errR := strconv.ParseFloat(radius, 64)
	if errLat != nil || errLng != nil || errR != nil {
		return n, apperr.E("web.requestForm", apperr.Invalid, "Give the circle's centre as a latitude and longitude in degrees, and its radius in metres.")
	}
	n.Area = geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: la, Lng: ln}, RadiusMeters: rm}}
	return n, nil
}

// requestMapStart is where the new-request map opens: the centre of the agency's
// latest request, or else 0, 0 until the officer types a place.
func requestMapStart(reqs []*neighbors.Request) geo.Point {
	if len(reqs) == 0 {
		return geo.Point{}
	}
	a := reqs[0].Area
	if a.Circle != nil {
		return a.Circle.Center
	}
	if len(a.Polygon) > 0 {
		return a.Polygon[0]
	}
	return geo.Point{}
}

func (s *Server) renderNewRequest(w http.ResponseWriter, r *http.Request, ag *neighbors.Agency, status int, p requestNewPage) error {
	reqs, err := s.neighbors.AgencyRequests(r.Context(), ag.ID)
	if err != nil {
		return err
	}
	p.Title = "New request for assistance"
	p.Agency = ag
	p.Start = requestMapStart(reqs)
	p.MapTiles = s.cfg.MapTiles
	p.MinArea, p.MaxArea = neighbors.MinAreaSquareMiles, neighbors.MaxAreaSquareMiles
	s.render(w, r, status, "request_new", &p)
	return nil
}

func (s *Server) handleNewRequestForm(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	ag, err := s.neighbors.PostingAgency(r.Context(), agencyActor(a), neighbors.AgencyID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return s.renderNewRequest(w, r, ag, http.StatusOK, requestNewPage{})
}

func (s *Server) handlePostRequest(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	f := readRequestForm(r)
	n, err := f.newRequest()
	var req *neighbors.Request
	if err == nil {
		req, err = s.neighbors.PostRequest(r.Context(), agencyActor(a), neighbors.AgencyID(r.PathValue("id")), n)
	}
	if apperr.Is(err, apperr.Invalid) {
		ag, ferr := s.officerAgency(r, a)
		if ferr != nil {
			return ferr
		}
		return s.renderNewRequest(w, r, ag, http.StatusBadRequest, requestNewPage{pageBase: pageBase{Error: apperr.MessageOf(err)}, Form: f})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/requests/"+string(req.ID), http.StatusSeeOther)
	return nil
}

// ---- JSON API ----

type apiAgency struct {
	ID           neighbors.AgencyID   `json:"id"`
	Name         string               `json:"name"`
	Jurisdiction string               `json:"jurisdiction"`
	Kind         neighbors.AgencyKind `json:"kind"`
	// Recipient is the age key residents' browsers encrypt shared footage for.
	Recipient    string     `json:"recipient,omitempty"`
	RegisteredAt time.Time  `json:"registered_at"`
	Verified     bool       `json:"verified"`
	VerifiedAt   *time.Time `json:"verified_at,omitempty"`
}

func toAPIAgency(a *neighbors.Agency) apiAgency {
	out := apiAgency{ID: a.ID, Name: a.Name, Jurisdiction: a.Jurisdiction, Kind: a.Kind, Recipient: a.Recipient,
		RegisteredAt: a.RegisteredAt.UTC(), Verified: a.Verified()}
	if a.Verified() {
		t := a.VerifiedAt.UTC()
		out.VerifiedAt = &t
	}
	return out
}

// apiRequest is a request as the API shows it; the officer who posted it is
// not part of it: the agency answers for its requests.
type apiRequest struct {
	ID            neighbors.RequestID `json:"id"`
	Agency        neighbors.AgencyID  `json:"agency"`
	IncidentType  string              `json:"incident_type"`
	Title         string              `json:"title"`
	Description   string              `json:"description"`
	CaseNumber    string              `json:"case_number"`
	Contact       string              `json:"contact"`
	WindowStart   time.Time           `json:"window_start"`
	WindowEnd     time.Time           `json:"window_end"`
	Area          geo.Area            `json:"area"`
	SquareMiles   float64             `json:"square_miles"`
	PostedAt      time.Time           `json:"posted_at"`
	PostedIndex   uint64              `json:"posted_index"`
	Status        string              `json:"status"` // "open" or "resolved"
	ResolvedAt    *time.Time          `json:"resolved_at,omitempty"`
	ResolvedIndex *uint64             `json:"resolved_index,omitempty"`
}

func toAPIRequest(r *neighbors.Request) apiRequest {
	out := apiRequest{ID: r.ID, Agency: r.Agency, IncidentType: r.IncidentType, Title: r.Title, Description: r.Description,
		CaseNumber: r.CaseNumber, Contact: r.Contact, WindowStart: r.WindowStart.UTC(), WindowEnd: r.WindowEnd.UTC(),
		Area: r.Area, SquareMiles: r.SquareMiles, PostedAt: r.PostedAt.UTC(), PostedIndex: r.PostedIndex, Status: "open"}
	if r.Resolved() {
		t, idx := r.ResolvedAt.UTC(), r.ResolvedIndex
		out.Status, out.ResolvedAt, out.ResolvedIndex = "resolved", &t, &idx
	}
	return out
}

func (s *Server) apiAgencies(w http.ResponseWriter, r *http.Request) error {
	list, err := s.neighbors.Agencies(r.Context(), viewerActor(r))
	if err != nil {
		return err
	}
	out := []apiAgency{}
	for _, a := range list {
		out = append(out, toAPIAgency(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"agencies": out})
	return nil
}

func (s *Server) apiAgency(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.neighbors.Agency(ctx, viewerActor(r), neighbors.AgencyID(r.PathValue("id")))
	if err != nil {
		return err
	}
	reqs, err := s.neighbors.AgencyRequests(ctx, a.ID)
	if err != nil {
		return err
	}
	out := struct {
		apiAgency
		Requests []apiRequest `json:"requests"`
	}{apiAgency: toAPIAgency(a), Requests: []apiRequest{}}
	for _, q := range reqs {
		out.Requests = append(out.Requests, toAPIRequest(q))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiPostRequest(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	var body struct {
		IncidentType           string    `json:"incident_type"`
		Title                  string    `json:"title"`
		Description            string    `json:"description"`
		CaseNumber             string    `json:"case_number"`
		Contact                string    `json:"contact"`
		WindowStart            time.Time `json:"window_start"`
		WindowEnd              time.Time `json:"window_end"`
		Area                   geo.Area  `json:"area"`
		NotAboutLawfulActivity bool      `json:"not_about_lawful_activity"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	req, err := s.neighbors.PostRequest(r.Context(), agencyActor(a), neighbors.AgencyID(r.PathValue("id")), neighbors.NewRequest{
		IncidentType: body.IncidentType, Title: body.Title, Description: body.Description, CaseNumber: body.CaseNumber,
		Contact: body.Contact, WindowStart: body.WindowStart, WindowEnd: body.WindowEnd, Area: body.Area,
		NotAboutLawfulActivity: body.NotAboutLawfulActivity,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/requests/"+string(req.ID))
	writeJSON(w, http.StatusCreated, toAPIRequest(req))
	return nil
}

func (s *Server) apiRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := s.neighbors.Request(r.Context(), neighbors.RequestID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIRequest(req))
	return nil
}

func (s *Server) apiResolveRequest(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	req, err := s.neighbors.ResolveRequest(r.Context(), agencyActor(a), neighbors.RequestID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIRequest(req))
	return nil
}

// apiRequestImmutable answers an attempt to edit or delete a request: there
// is no such thing (SPEC §8), only resolving it.
func (s *Server) apiRequestImmutable(w http.ResponseWriter, r *http.Request) {
	var body apiError
	body.Error.Code = "method_not_allowed"
	body.Error.Message = "A request for assistance cannot be edited or deleted; its agency can only mark it resolved (POST /api/v1/requests/{id}/resolve)."
	w.Header().Set("Allow", "GET, HEAD")
	writeJSON(w, http.StatusMethodNotAllowed, body)
}
