package web

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/internal/access"
	"hearth/internal/apperr"
	"hearth/internal/identity"
)

func actorOf(a *auth) access.Actor { return access.Actor{ID: a.user.ID, Role: a.user.Role} }

// historyRow is one access-history entry as the page and the API show it.
type historyRow struct {
	Time         time.Time         `json:"time"`
	Actor        string            `json:"actor"`
	ActorRole    identity.Role     `json:"actor_role"`
	Object       access.ObjectKind `json:"object"`
	Purpose      access.Purpose    `json:"purpose"`
	LegalBasis   access.LegalBasis `json:"legal_basis"`
	Grant        access.GrantID    `json:"grant,omitempty"`
	LogIndex     uint64            `json:"log_index"`
	NamesYou     bool              `json:"names_you"`
	InCheckpoint bool              `json:"in_checkpoint"`
	Entry        string            `json:"entry"` // base64 of the canonical entry bytes
	Proof        []string          `json:"proof"` // base64 hashes, leaf to root
}

type historyView struct {
	Commitment string       `json:"commitment"`
	Checkpoint string       `json:"checkpoint"` // the signed note the proofs are against
	TreeSize   uint64       `json:"tree_size"`
	Entries    []historyRow `json:"entries"`
}

func (s *Server) history(r *http.Request, a *auth) (historyView, error) {
	h, err := s.access.History(r.Context(), a.user.ID)
	if err != nil {
		return historyView{}, err
	}
	v := historyView{Commitment: h.Commitment, Checkpoint: string(h.Checkpoint.Raw), TreeSize: h.Checkpoint.Size, Entries: []historyRow{}}
	b64 := base64.StdEncoding
	for _, it := range h.Items {
		row := historyRow{
			Time: it.Time, Actor: it.Actor, ActorRole: it.ActorRole, Object: it.Object, Purpose: it.Purpose,
			LegalBasis: it.LegalBasis, Grant: it.Grant, LogIndex: it.LogIndex, NamesYou: it.NamesYou,
			InCheckpoint: it.InCheckpoint, Entry: b64.EncodeToString(it.Entry), Proof: []string{},
		}
		for _, p := range it.Proof {
			row.Proof = append(row.Proof, b64.EncodeToString(p))
		}
		v.Entries = append(v.Entries, row)
	}
	return v, nil
}

func (s *Server) handleAccessHistory(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	v, err := s.history(r, a)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "access", &accessPage{
		pageBase: pageBase{Title: "Who accessed my data"}, History: v, Key: s.log.VerifierKey(), PublicURL: s.baseURL(r),
		CheckpointB64: base64.StdEncoding.EncodeToString([]byte(v.Checkpoint)),
	})
	return nil
}

func (s *Server) apiAccessHistory(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	v, err := s.history(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// ---- grants ----

type apiGrant struct {
	ID          access.GrantID    `json:"id"`
	Staff       string            `json:"staff"` // pseudonym
	Subject     identity.UserID   `json:"subject"`
	Object      access.ObjectKind `json:"object"`
	Reason      string            `json:"reason"`
	Hours       float64           `json:"hours"`
	Status      string            `json:"status"`
	RequestedAt time.Time         `json:"requested_at"`
	ExpiresAt   *time.Time        `json:"expires_at,omitempty"`
}

func (s *Server) toAPIGrant(g *access.Grant) apiGrant {
	out := apiGrant{
		ID: g.ID, Staff: s.access.Pseudonym(access.Actor{ID: g.Staff, Role: identity.RoleStaff}), Subject: g.Subject,
		Object: g.Object, Reason: g.Reason, Hours: g.Duration.Hours(), Status: string(s.access.StateOf(g)), RequestedAt: g.RequestedAt,
	}
	if !g.ExpiresAt.IsZero() {
		e := g.ExpiresAt
		out.ExpiresAt = &e
	}
	return out
}

// parseHours reads a duration given in hours, as the forms and the API take it.
func parseHours(v string) (time.Duration, error) {
	h, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || h <= 0 || h > 1000 {
		return 0, apperr.E("web.parseHours", apperr.Invalid, "Give the duration in hours, at most 72.")
	}
	return time.Duration(h * float64(time.Hour)).Round(time.Minute), nil
}

func (s *Server) requestGrant(r *http.Request, a *auth, email, reason, hours string) (*access.Grant, error) {
	d, err := parseHours(hours)
	if err != nil {
		return nil, err
	}
	return s.access.RequestGrant(r.Context(), actorOf(a), email, reason, d)
}

// grants lists the grants the actor may see, as pages and the API show them.
func (s *Server) grants(r *http.Request, a *auth) ([]apiGrant, error) {
	list, err := s.access.ListGrants(r.Context(), actorOf(a))
	if err != nil {
		return nil, err
	}
	rows := make([]apiGrant, 0, len(list))
	for _, g := range list {
		rows = append(rows, s.toAPIGrant(g))
	}
	return rows, nil
}

func (s *Server) renderGrants(w http.ResponseWriter, r *http.Request, a *auth, status int, p grantsPage) error {
	rows, err := s.grants(r, a)
	if err != nil {
		return err
	}
	p.Grants = rows
	p.IsStaff = a.user.Role == identity.RoleStaff
	p.IsAdmin = a.user.Role == identity.RoleAdmin
	p.Me = s.access.Pseudonym(actorOf(a))
	if p.Title == "" {
		p.Title = "Access grants"
	}
	s.render(w, r, status, "grants", &p)
	return nil
}

func (s *Server) handleGrants(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeGrants)
	if err != nil {
		return err
	}
	return s.renderGrants(w, r, a, http.StatusOK, grantsPage{})
}

func (s *Server) handleRequestGrant(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeGrants)
	if err != nil {
		return err
	}
	_, err = s.requestGrant(r, a, r.PostFormValue("email"), r.PostFormValue("reason"), r.PostFormValue("hours"))
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/grants", http.StatusSeeOther)
		return nil
	case apperr.Invalid, apperr.NotFound, apperr.Forbidden:
		return s.renderGrants(w, r, a, apperr.HTTPStatus(err), grantsPage{pageBase: pageBase{Error: apperr.MessageOf(err)}})
	}
	return err
}

func (s *Server) handleDecideGrant(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeGrants)
	if err != nil {
		return err
	}
	approve := r.PostFormValue("decision") == "approve"
	_, err = s.access.DecideGrant(r.Context(), actorOf(a), access.GrantID(r.PathValue("id")), approve)
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/grants", http.StatusSeeOther)
		return nil
	case apperr.Conflict, apperr.Forbidden:
		return s.renderGrants(w, r, a, apperr.HTTPStatus(err), grantsPage{pageBase: pageBase{Error: apperr.MessageOf(err)}})
	}
	return err
}

func (s *Server) handleGrantAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeGrants)
	if err != nil {
		return err
	}
	sum, err := s.access.ReadAccountMetadata(r.Context(), actorOf(a), access.GrantID(r.PathValue("id")))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "grant_account", &grantAccountPage{pageBase: pageBase{Title: "Account metadata"}, Summary: sum, Grant: r.PathValue("id")})
	return nil
}

func (s *Server) apiListGrants(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeGrants)
	if err != nil {
		return err
	}
	rows, err := s.grants(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants": rows})
	return nil
}

func (s *Server) apiRequestGrant(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeGrants)
	if err != nil {
		return err
	}
	var req struct {
		Email  string  `json:"email"`
		Reason string  `json:"reason"`
		Hours  float64 `json:"hours"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	g, err := s.requestGrant(r, a, req.Email, req.Reason, strconv.FormatFloat(req.Hours, 'f', -1, 64))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.toAPIGrant(g))
	return nil
}

func (s *Server) apiDecideGrant(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := requireUser(r, identity.ScopeGrants)
		if err != nil {
			return err
		}
		g, err := s.access.DecideGrant(r.Context(), actorOf(a), access.GrantID(r.PathValue("id")), approve)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.toAPIGrant(g))
		return nil
	}
}

func (s *Server) apiGrantAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeGrants)
	if err != nil {
		return err
	}
	sum, err := s.access.ReadAccountMetadata(r.Context(), actorOf(a), access.GrantID(r.PathValue("id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": sum.ID, "email": sum.Email, "role": sum.Role, "status": sum.Status, "two_factor": sum.TwoFactor,
		"created_at": sum.CreatedAt, "password_changed_at": sum.PasswordChangedAt,
		"sessions": sum.Sessions, "api_tokens": sum.APITokens,
	})
	return nil
}
