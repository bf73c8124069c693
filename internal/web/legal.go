package web

import (
	"net/http"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/legal"
)

// The legal pages are for staff and admins; the service decides who that
// is. A browser session may use them whatever the scope; an API token
// would need the staff scope.
const legalScope = identity.ScopeGrants

func legalActor(a *auth) legal.Actor { return legal.Actor{ID: a.user.ID, Role: a.user.Role} }

// needLegal reports NotFound when the server runs without the legal
// workflow (some tests build it so).
func (s *Server) needLegal() error {
	if s.legal == nil {
		return apperr.E("web.needLegal", apperr.NotFound, "Legal demands are not handled here.")
	}
	return nil
}

// demandRow is a demand as the pages show it.
type demandRow struct {
	*legal.Demand
	Email      string // "" once the account is deleted, or while the notice is delayed
	ReceivedOn string
	DelayDate  string
	Notice     string // whether and when the person was told
	Allowed    []legal.Category
}

func isoDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// demandRows shows each demand with the address of the account it
// concerns where the legal service allows it now: staff's read of that
// address goes through the access gate.
func (s *Server) demandRows(r *http.Request, a *auth, list []*legal.Demand) ([]demandRow, error) {
	ids := make([]identity.UserID, 0, len(list))
	for _, d := range list {
		if s.legal.AddressReadable(d) {
			ids = append(ids, d.Account)
		}
	}
	emails, err := s.identity.Emails(r.Context(), identity.Actor{ID: a.user.ID, Role: a.user.Role}, identity.PurposeLegalDemand, ids)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	rows := make([]demandRow, 0, len(list))
	for _, d := range list {
		row := demandRow{Demand: d, Email: emails[d.Account], ReceivedOn: isoDay(d.ReceivedAt), DelayDate: isoDay(d.DelayUntil),
			Allowed: d.Type.Allowed(d.OwnerConsent)}
		switch {
		case d.Notified():
			row.Notice = "told on " + isoDay(d.NotifiedAt)
		case d.Account == "":
			row.Notice = "nobody to tell: the account was deleted"
		case d.NoticeDelayed(now):
			row.Notice = "delayed by court order until " + isoDay(d.DelayUntil)
		case d.Decided():
			row.Notice = "being sent"
		default:
			row.Notice = "told once decided"
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (s *Server) handleLegalDemands(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, legalScope)
	if err != nil {
		return err
	}
	if err := s.needLegal(); err != nil {
		return err
	}
	list, err := s.legal.Demands(r.Context(), legalActor(a))
	if err != nil {
		return err
	}
	rows, err := s.demandRows(r, a, list)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "legal", &legalPage{pageBase: pageBase{Title: "Legal demands"}, Demands: rows,
		Limit: legal.ListLimit, Truncated: len(rows) >= legal.ListLimit})
	return nil
}

// legalForm is what the record form holds, kept to fill it again after a mistake.
type legalForm struct {
	Type, Agency, Jurisdiction, Scope, ReceivedOn, Email, DelayOrder, DelayUntil string
	OwnerConsent                                                                 bool
}

func (s *Server) renderNewDemand(w http.ResponseWriter, r *http.Request, status int, f legalForm, msg string) {
	if f.ReceivedOn == "" {
		f.ReceivedOn = isoDay(s.clock.Now())
	}
	s.render(w, r, status, "legal_new", &legalNewPage{pageBase: pageBase{Title: "Record a legal demand", Error: msg}, Form: f, Types: legal.Types})
}

func (s *Server) handleNewLegalDemand(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, legalScope)
	if err != nil {
		return err
	}
	if err := s.needLegal(); err != nil {
		return err
	}
	if err := s.legal.CheckActor(legalActor(a)); err != nil {
		return err
	}
	s.renderNewDemand(w, r, http.StatusOK, legalForm{}, "")
	return nil
}

// parseDay reads an optional YYYY-MM-DD form field: zero when empty.
func parseISODay(v, what string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, apperr.E("web.parseDay", apperr.Invalid, "Give "+what+" as YYYY-MM-DD, like 2026-03-01.")
	}
	return t, nil
}

func (s *Server) handleRecordLegalDemand(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, legalScope)
	if err != nil {
		return err
	}
	if err := s.needLegal(); err != nil {
		return err
	}
	f := legalForm{
		Type: r.PostFormValue("type"), Agency: r.PostFormValue("agency"), Jurisdiction: r.PostFormValue("jurisdiction"),
		Scope: r.PostFormValue("scope"), ReceivedOn: r.PostFormValue("received_on"), Email: r.PostFormValue("email"),
		DelayOrder: r.PostFormValue("delay_order"), DelayUntil: r.PostFormValue("delay_until"),
		OwnerConsent: r.PostFormValue("owner_consent") == "yes",
	}
	received, err := parseISODay(f.ReceivedOn, "the date received")
	var until time.Time
	if err == nil {
		until, err = parseISODay(f.DelayUntil, "the date notice is delayed to")
	}
	var d *legal.Demand
	if err == nil {
		d, err = s.legal.Record(r.Context(), legalActor(a), legal.NewDemand{
			Type: legal.Type(f.Type), Agency: f.Agency, Jurisdiction: f.Jurisdiction, Scope: f.Scope, ReceivedOn: received,
			AccountEmail: f.Email, OwnerConsent: f.OwnerConsent, DelayOrder: f.DelayOrder, DelayUntil: until,
		})
	}
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/legal/"+string(d.ID), http.StatusSeeOther)
		return nil
	case apperr.Invalid, apperr.NotFound, apperr.Unavailable:
		s.renderNewDemand(w, r, apperr.HTTPStatus(err), f, apperr.MessageOf(err))
		return nil
	}
	return err
}

func (s *Server) renderDemand(w http.ResponseWriter, r *http.Request, a *auth, status int, msg string) error {
	if err := s.needLegal(); err != nil {
		return err
	}
	d, err := s.legal.Demand(r.Context(), legalActor(a), legal.DemandID(r.PathValue("id")))
	if err != nil {
		return err
	}
	rows, err := s.demandRows(r, a, []*legal.Demand{d})
	if err != nil {
		return err
	}
	s.render(w, r, status, "legal_demand", &legalDemandPage{
		pageBase: pageBase{Title: d.Type.Label() + " from " + d.Agency, Error: msg}, Demand: rows[0], Categories: legal.Categories,
		Outcomes: legal.Outcomes,
	})
	return nil
}

func (s *Server) handleLegalDemand(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, legalScope)
	if err != nil {
		return err
	}
	return s.renderDemand(w, r, a, http.StatusOK, "")
}

func (s *Server) handleDecideLegalDemand(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, legalScope)
	if err != nil {
		return err
	}
	if err := s.needLegal(); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.E("web.handleDecideLegalDemand", apperr.Invalid, "The form could not be read.")
	}
	dec := legal.Decision{Outcome: legal.Outcome(r.PostFormValue("outcome")), Note: r.PostFormValue("note"),
		OwnerConsent: r.PostFormValue("owner_consent") == "yes", DelayOrder: r.PostFormValue("delay_order")}
	for _, c := range r.PostForm["produced"] {
		dec.Produced = append(dec.Produced, legal.Category(c))
	}
	dec.DelayUntil, err = parseISODay(r.PostFormValue("delay_until"), "the date notice is delayed to")
	if err == nil {
		_, err = s.legal.Decide(r.Context(), legalActor(a), legal.DemandID(r.PathValue("id")), dec)
	}
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/legal/"+r.PathValue("id"), http.StatusSeeOther)
		return nil
	case apperr.Invalid, apperr.Conflict, apperr.Unavailable:
		return s.renderDemand(w, r, a, apperr.HTTPStatus(err), apperr.MessageOf(err))
	}
	return err
}
