package web

import (
	"net/http"
	"net/url"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// notices are the confirmations the account page can show after a redirect;
// only these fixed texts, so a link cannot make the page say anything else.
var notices = map[string]string{
	"password":      "Your password was changed. Your other sessions were signed out.",
	"authenticator": "Your new authenticator is in use. Your other sessions were signed out.",
	"disabled":      "Two-factor sign-in is off. Your other sessions were signed out.",
	"session":       "The session was signed out.",
	"token":         "The API token was revoked.",
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountRead)
	if err != nil {
		return err
	}
	if err := s.renderAccount(w, r, a, http.StatusOK, accountPage{pageBase: pageBase{Notice: notices[r.URL.Query().Get("done")]}}); err != nil {
		return err
	}
	// Shown now, so no longer new.
	if a.session != nil {
		if err := s.notices.MarkRead(r.Context(), a.user.ID); err != nil {
			s.logError(r, err)
		}
	}
	return nil
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, a *auth, status int, p accountPage) error {
	ctx := r.Context()
	sessions, err := s.identity.ListSessions(ctx, a.user.ID)
	if err != nil {
		return err
	}
	tokens, err := s.identity.ListAPITokens(ctx, a.user.ID)
	if err != nil {
		return err
	}
	left, err := s.identity.RecoveryCodesLeft(ctx, a.user.ID)
	if err != nil {
		return err
	}
	p.Title = "Your account"
	p.Account = a.user
	p.Current = a.session.ID
	p.Sessions = sessions
	p.Tokens = tokens
	p.Scopes = identity.Scopes
	p.CodesLeft = left
	p.CanDisable = !a.user.Role.RequiresSecondFactor()
	p.CanGrant = a.user.Role == identity.RoleStaff || a.user.Role == identity.RoleAdmin
	notices, err := s.notices.List(ctx, a.user.ID)
	if err != nil {
		return err
	}
	p.Notices = notices
	s.render(w, r, status, "account", &p)
	return nil
}

// accountFailure shows a user's mistake on the account page; anything else
// goes to the error page.
func (s *Server) accountFailure(w http.ResponseWriter, r *http.Request, a *auth, err error) error {
	switch apperr.CodeOf(err) {
	case apperr.Invalid, apperr.Unauthenticated, apperr.RateLimited, apperr.Forbidden:
		return s.renderAccount(w, r, a, apperr.HTTPStatus(err), accountPage{pageBase: pageBase{Error: apperr.MessageOf(err)}})
	}
	return err
}

func done(w http.ResponseWriter, r *http.Request, what string) {
	http.Redirect(w, r, "/account?done="+url.QueryEscape(what), http.StatusSeeOther)
}

func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if r.PostFormValue("new_password") != r.PostFormValue("confirm_password") {
		return s.accountFailure(w, r, a, apperr.E("web.changePassword", apperr.Invalid, "The two new passwords differ."))
	}
	err = s.identity.ChangePassword(r.Context(), a.session, r.PostFormValue("current_password"), r.PostFormValue("new_password"), s.clientInfo(r))
	if err != nil {
		return s.accountFailure(w, r, a, err)
	}
	done(w, r, "password")
	return nil
}

func (s *Server) handleRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	codes, err := s.identity.RegenerateRecoveryCodes(r.Context(), a.session, r.PostFormValue("password"), s.clientInfo(r))
	if err != nil {
		return s.accountFailure(w, r, a, err)
	}
	s.render(w, r, http.StatusOK, "recovery", &recoveryPage{pageBase: pageBase{Title: "Your new recovery codes"}, Codes: codes})
	return nil
}

func (s *Server) handleAuthenticatorBegin(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	en, err := s.identity.BeginAuthenticatorChange(r.Context(), a.session, r.PostFormValue("password"), s.clientInfo(r))
	if err != nil {
		return s.accountFailure(w, r, a, err)
	}
	s.render(w, r, http.StatusOK, "enroll", &enrollPage{
		pageBase: pageBase{Title: "Set up a new authenticator"}, Enrollment: en, Email: a.user.Email,
		Action: "/account/authenticator/confirm",
	})
	return nil
}

func (s *Server) handleAuthenticatorConfirm(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	codes, err := s.identity.ConfirmAuthenticatorChange(r.Context(), a.session, r.PostFormValue("code"), s.clientInfo(r))
	if apperr.Is(err, apperr.Unauthenticated) || apperr.Is(err, apperr.RateLimited) {
		en, perr := s.identity.PendingEnrollment(r.Context(), a.session)
		if perr != nil {
			return perr
		}
		s.render(w, r, apperr.HTTPStatus(err), "enroll", &enrollPage{
			pageBase: pageBase{Title: "Set up a new authenticator", Error: apperr.MessageOf(err)}, Enrollment: en, Email: a.user.Email,
			Action: "/account/authenticator/confirm",
		})
		return nil
	} else if err != nil {
		return s.accountFailure(w, r, a, err)
	}
	if len(codes) > 0 {
		s.render(w, r, http.StatusOK, "recovery", &recoveryPage{pageBase: pageBase{Title: "Your recovery codes"}, Codes: codes})
		return nil
	}
	done(w, r, "authenticator")
	return nil
}

func (s *Server) handleAuthenticatorDisable(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if err := s.identity.DisableSecondFactor(r.Context(), a.session, r.PostFormValue("password"), s.clientInfo(r)); err != nil {
		return s.accountFailure(w, r, a, err)
	}
	done(w, r, "disabled")
	return nil
}

func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	id := identity.SessionID(r.PathValue("id"))
	if err := s.identity.RevokeSession(r.Context(), a.user.ID, id); err != nil {
		return err
	}
	if id == a.session.ID {
		s.clearSessionCookie(w, r)
		http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
		return nil
	}
	done(w, r, "session")
	return nil
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) error {
	a, err := requireSession(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return apperr.E("web.createToken", apperr.Invalid, "The form could not be read.")
	}
	var scopes []identity.Scope
	for _, v := range r.PostForm["scope"] {
		scopes = append(scopes, identity.Scope(v))
	}
	token, t, err := s.identity.IssueAPIToken(r.Context(), a.session, r.PostFormValue("name"), scopes)
	if err != nil {
		return s.accountFailure(w, r, a, err)
	}
	s.render(w, r, http.StatusOK, "token", &tokenPage{pageBase: pageBase{Title: "New API token"}, Token: token, APIToken: t})
	return nil
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) error {
	a, err := requireUser(r, identity.ScopeAccountWrite)
	if err != nil {
		return err
	}
	if err := s.identity.RevokeAPIToken(r.Context(), a.user.ID, identity.TokenID(r.PathValue("id"))); err != nil {
		return err
	}
	done(w, r, "token")
	return nil
}
