package web

import (
	"context"
	"net/http"
	"strings"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

const sessionCookie = "hearth_session"

type ctxKey int

const authKey ctxKey = iota

// auth is who a request is from: a browser session or an API token.
type auth struct {
	session *identity.Session // nil for token requests
	token   *identity.APIToken
	user    *identity.User
}

// can reports whether the request may use scope. A full browser session may
// do everything its owner may; a token only what its scopes say.
func (a *auth) can(scope identity.Scope) bool {
	if a.token != nil {
		return a.token.Has(scope)
	}
	return a.session != nil && a.session.Stage == identity.StageFull
}

func authFrom(ctx context.Context) *auth {
	a, _ := ctx.Value(authKey).(*auth)
	return a
}

// authenticate resolves the session cookie or bearer token, if any, into the
// request context. A bad bearer token is an error; a stale cookie is dropped.
func (s *Server) authenticate(r *http.Request) (*http.Request, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return r, apperr.E("web.authenticate", apperr.Unauthenticated, "Use 'Authorization: Bearer <token>'.")
		}
		t, u, err := s.identity.AuthenticateToken(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			return r, err
		}
		return r.WithContext(context.WithValue(r.Context(), authKey, &auth{token: t, user: u})), nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return r, nil
	}
	sess, u, err := s.identity.Authenticate(r.Context(), c.Value)
	if apperr.Is(err, apperr.Unauthenticated) {
		return r, nil
	} else if err != nil {
		return r, err
	}
	return r.WithContext(context.WithValue(r.Context(), authKey, &auth{session: sess, user: u})), nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, g identity.Grant) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: g.Token, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
		// A session cookie (no Max-Age): the browser forgets it on exit, and
		// the server enforces idle and absolute expiry whatever the browser does.
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

// withAuth resolves authentication, then checks CSRF on unsafe methods for
// cookie-authenticated (or anonymous) requests. Bearer requests carry no
// ambient credential, so they need no CSRF token.
func (s *Server) withAuth(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if !isSafe(r.Method) {
			if a := authFrom(r.Context()); a == nil || a.token == nil {
				if err := s.checkCSRF(r); err != nil {
					return err
				}
			}
		}
		return next(w, r)
	}
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// requireUser returns the signed-in account, or Unauthenticated, and
// Forbidden when the request may not use scope.
func requireUser(r *http.Request, scope identity.Scope) (*auth, error) {
	a := authFrom(r.Context())
	if a == nil || (a.session != nil && a.session.Stage != identity.StageFull) {
		return nil, apperr.E("web.requireUser", apperr.Unauthenticated, "Please sign in.")
	}
	if !a.can(scope) {
		return nil, apperr.E("web.requireUser", apperr.Forbidden, "This API token lacks the scope "+string(scope)+".")
	}
	return a, nil
}

// requireStage returns the session at the given partial stage, or Unauthenticated.
func requireStage(r *http.Request, stage identity.SessionStage) (*auth, error) {
	a := authFrom(r.Context())
	if a == nil || a.session == nil || a.session.Stage != stage {
		return nil, apperr.E("web.requireStage", apperr.Unauthenticated, "Please sign in.")
	}
	return a, nil
}
