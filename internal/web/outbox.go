package web

import (
	"net/http"

	"hearth/internal/identity"
)

// handleOutbox shows administrators the e-mail Hearth made: where it waits
// when no SMTP server is configured, and how sending went when one is.
func (s *Server) handleOutbox(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	list, err := s.notices.Outbox(r.Context(), identity.Actor{ID: a.user.ID, Role: a.user.Role})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "outbox", &outboxPage{pageBase: pageBase{Title: "Outbox"}, Mail: list})
	return nil
}
