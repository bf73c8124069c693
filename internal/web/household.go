package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/household"
	"hearth/internal/identity"
)

// householdForm reads the create/settings form.
func householdForm(r *http.Request) (household.NewHousehold, error) {
	const op = "web.householdForm"
	lat, errLat := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("lat")), 64)
	lng, errLng := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("lng")), 64)
	if errLat != nil || errLng != nil {
		return household.NewHousehold{}, apperr.E(op, apperr.Invalid, "Give the home's latitude and longitude in degrees, like 48.8566 and 2.3522.")
	}
	days, err := strconv.Atoi(r.PostFormValue("retention_days"))
	if err != nil {
		return household.NewHousehold{}, apperr.E(op, apperr.Invalid, "Choose how long media is kept.")
	}
	return household.NewHousehold{
		Name: r.PostFormValue("name"), Address: r.PostFormValue("address"),
		Home: household.Location{Lat: lat, Lng: lng}, TimeZone: strings.TrimSpace(r.PostFormValue("time_zone")),
		RetentionDays: days,
	}, nil
}

func (s *Server) renderHouseholds(w http.ResponseWriter, r *http.Request, a *auth, status int, p householdsPage) error {
	list, err := s.households.ListForUser(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	p.Title = "Households"
	p.Households = list
	p.Retentions = household.RetentionDays
	s.render(w, r, status, "households", &p)
	return nil
}

func (s *Server) handleHouseholds(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	return s.renderHouseholds(w, r, a, http.StatusOK, householdsPage{})
}

func (s *Server) handleCreateHousehold(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	n, err := householdForm(r)
	var h *household.Household
	if err == nil {
		h, err = s.households.Create(r.Context(), a.user.ID, n)
	}
	if apperr.Is(err, apperr.Invalid) {
		return s.renderHouseholds(w, r, a, http.StatusBadRequest, householdsPage{pageBase: pageBase{Error: apperr.MessageOf(err)}})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/households/"+string(h.ID), http.StatusSeeOther)
	return nil
}

type memberRow struct {
	UserID identity.UserID
	Email  string
	Role   household.MemberRole
	Joined time.Time
	IsMe   bool
}

func (s *Server) renderHousehold(w http.ResponseWriter, r *http.Request, a *auth, status int, p householdPage) error {
	ctx := r.Context()
	id := household.ID(r.PathValue("id"))
	h, err := s.households.Get(ctx, a.user.ID, id)
	if err != nil {
		return err
	}
	members, err := s.households.Members(ctx, a.user.ID, id)
	if err != nil {
		return err
	}
	var rows []memberRow
	owner := false
	for _, m := range members {
		rows = append(rows, memberRow{UserID: m.UserID, Email: m.Email, Role: m.Role, Joined: m.JoinedAt, IsMe: m.UserID == a.user.ID})
		if m.UserID == a.user.ID && m.Role == household.RoleOwner {
			owner = true
		}
	}
	p.Title = h.Name
	p.Household = h
	p.Public = household.PublicLocation(h.Home)
	p.Members = rows
	p.IsOwner = owner
	p.Retentions = household.RetentionDays
	if err := s.addHouseholdRequests(r, a, id, &p); err != nil {
		return err
	}
	s.render(w, r, status, "household", &p)
	return nil
}

func (s *Server) handleHousehold(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	return s.renderHousehold(w, r, a, http.StatusOK, householdPage{})
}

// householdFailure shows a person's mistake on the household page.
func (s *Server) householdFailure(w http.ResponseWriter, r *http.Request, a *auth, err error) error {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Forbidden, apperr.Conflict:
		return s.renderHousehold(w, r, a, apperr.HTTPStatus(err), householdPage{pageBase: pageBase{Error: apperr.MessageOf(err)}})
	}
	return err
}

func (s *Server) handleHouseholdSettings(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	n, err := householdForm(r)
	if err == nil {
		_, err = s.households.Update(r.Context(), a.user.ID, household.ID(r.PathValue("id")), n)
	}
	if err != nil {
		return s.householdFailure(w, r, a, err)
	}
	http.Redirect(w, r, "/households/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) handleInvite(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	token, expires, err := s.households.Invite(r.Context(), a.user.ID, household.ID(r.PathValue("id")))
	if err != nil {
		return s.householdFailure(w, r, a, err)
	}
	return s.renderHousehold(w, r, a, http.StatusOK, householdPage{
		InviteLink: s.baseURL(r) + "/join/" + token, InviteExpires: expires,
	})
}

func (s *Server) handleJoinForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r, identity.ScopeAccountRead); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "join", &joinPage{pageBase: pageBase{Title: "Join a household"}, Token: r.PathValue("token")})
	return nil
}

func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	h, err := s.households.Join(r.Context(), a.user.ID, r.PathValue("token"))
	if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Conflict) {
		s.render(w, r, apperr.HTTPStatus(err), "join", &joinPage{pageBase: pageBase{Title: "Join a household", Error: apperr.MessageOf(err)}, Token: r.PathValue("token")})
		return nil
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/households/"+string(h.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if err := s.households.Leave(r.Context(), a.user.ID, household.ID(r.PathValue("id"))); err != nil {
		return s.householdFailure(w, r, a, err)
	}
	http.Redirect(w, r, "/households", http.StatusSeeOther)
	return nil
}

func (s *Server) handleRemoveMember(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	err = s.households.RemoveMember(r.Context(), a.user.ID, household.ID(r.PathValue("id")), identity.UserID(r.PathValue("user")))
	if err != nil {
		return s.householdFailure(w, r, a, err)
	}
	http.Redirect(w, r, "/households/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}
