package web

import (
	"net/http"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

type apiUser struct {
	ID        identity.UserID `json:"id"`
	Email     string          `json:"email"`
	Role      identity.Role   `json:"role"`
	TwoFactor bool            `json:"two_factor"`
	CreatedAt time.Time       `json:"created_at"`
}

type apiSession struct {
	ID         identity.SessionID    `json:"id"`
	Current    bool                  `json:"current"`
	Stage      identity.SessionStage `json:"stage"`
	CreatedAt  time.Time             `json:"created_at"`
	LastSeenAt time.Time             `json:"last_seen_at"`
	ExpiresAt  time.Time             `json:"expires_at"`
	UserAgent  string                `json:"user_agent"`
	ClientAddr string                `json:"client_addr"`
}

type apiToken struct {
	ID         identity.TokenID `json:"id"`
	Name       string           `json:"name"`
	Scopes     []identity.Scope `json:"scopes"`
	CreatedAt  time.Time        `json:"created_at"`
	LastUsedAt *time.Time       `json:"last_used_at"`
	Token      string           `json:"token,omitempty"`
}

func toAPIToken(t *identity.APIToken) apiToken {
	out := apiToken{ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt}
	if !t.LastUsedAt.IsZero() {
		lu := t.LastUsedAt
		out.LastUsedAt = &lu
	}
	return out
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error {
	return apperr.E("web.api", apperr.NotFound, "No such API endpoint: "+r.Method+" "+r.URL.Path)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	u := a.user
	writeJSON(w, http.StatusOK, apiUser{ID: u.ID, Email: u.Email, Role: u.Role, TwoFactor: u.TOTPEnabled, CreatedAt: u.CreatedAt})
	return nil
}

func (s *Server) apiListSessions(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	list, err := s.identity.ListSessions(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	out := make([]apiSession, 0, len(list))
	for _, x := range list {
		out = append(out, apiSession{
			ID: x.ID, Current: a.session != nil && x.ID == a.session.ID, Stage: x.Stage,
			CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt,
			UserAgent: x.UserAgent, ClientAddr: x.ClientAddr,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

func (s *Server) apiRevokeSession(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if err := s.identity.RevokeSession(r.Context(), a.user.ID, identity.SessionID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiListTokens(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	list, err := s.identity.ListAPITokens(r.Context(), a.user.ID)
	if err != nil {
		return err
	}
	out := make([]apiToken, 0, len(list))
	for _, t := range list {
		out = append(out, toAPIToken(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// apiCreateToken refuses: tokens are made on the account page of a signed-in
// browser (POST /account/tokens). The API takes tokens, and a token must
// not mint tokens, or a leaked one could widen its scopes and make itself
// permanent.
func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	return apperr.E("web.apiCreateToken", apperr.Forbidden, "API tokens are created on the account page of a signed-in browser, never through the API.")
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if err := s.identity.RevokeAPIToken(r.Context(), a.user.ID, identity.TokenID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
