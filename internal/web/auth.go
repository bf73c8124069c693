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

// auth is who a request is from: a browser session or an API token, never
// both. Pages only ever see sessions (withSession); the API sees tokens, and
// sessions only on the routes the pages' own scripts call (withToken).
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

// Refusals of a credential used where it does not belong.
const (
	msgPageWithToken = "This page is for a signed-in browser; API tokens work only under /api/v1."
	msgAPIWithCookie = "This API call needs an API token ('Authorization: Bearer <token>'; create one on your account page). A browser session works only on the pages."
)

// browserAPI are the API routes the pages' own scripts call (static/*.js),
// so the only ones that accept the browser's session cookie, with the CSRF
// header on unsafe methods. Every other API route takes a bearer token only:
// a cookie there is refused rather than silently ignored.
var browserAPI = map[string]bool{
	"GET /api/v1/me/key":                                true,
	"PUT /api/v1/me/key":                                true,
	"GET /api/v1/clips/{id}/content":                    true,
	"PUT /api/v1/clips/{id}/wraps":                      true,
	"GET /api/v1/posts/{id}/clip":                       true,
	"GET /api/v1/submissions/{id}/clips/{clip}/content": true,
	"POST /api/v1/requests/{id}/submissions":            true,
}

// authenticateToken resolves the bearer token into the request context. A
// malformed header or an unknown token is Unauthenticated.
func (s *Server) authenticateToken(r *http.Request, header string) (*http.Request, error) {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return r, apperr.E("web.authenticate", apperr.Unauthenticated, "Use 'Authorization: Bearer <token>'.")
	}
	t, u, err := s.identity.AuthenticateToken(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		return r, err
	}
	return r.WithContext(context.WithValue(r.Context(), authKey, &auth{token: t, user: u})), nil
}

// authenticateSession resolves the session cookie, if any, into the request
// context; a stale cookie is dropped and the request goes on anonymous.
func (s *Server) authenticateSession(r *http.Request) (*http.Request, error) {
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

func hasSessionCookie(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	return err == nil && c.Value != ""
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

// withSession is the authentication of pages: the session cookie only, and
// CSRF checked on unsafe methods. A bearer token is refused outright, so no
// page handler ever runs for a token: a page acts with the full powers of a
// browser session (creating tokens, changing the password), which a token's
// scopes must not reach.
func (s *Server) withSession(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Authorization") != "" {
			return apperr.E("web.withSession", apperr.Unauthenticated, msgPageWithToken)
		}
		r, err := s.sessionWithCSRF(r)
		if err != nil {
			return err
		}
		return next(w, r)
	}
}

// sessionWithCSRF resolves the session cookie into the request context and
// checks the CSRF token on unsafe methods, as a cookie is sent by the
// browser whoever made it send the request.
func (s *Server) sessionWithCSRF(r *http.Request) (*http.Request, error) {
	r, err := s.authenticateSession(r)
	if err != nil {
		return r, err
	}
	if !isSafe(r.Method) {
		if err := s.checkCSRF(r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// withToken is the authentication of the JSON API: a bearer token, which
// carries no ambient credential and so needs no CSRF token. The session
// cookie counts only on the browserAPI routes, with CSRF checked on unsafe
// methods; anywhere else it is refused. With neither, the request goes on
// anonymous.
func (s *Server) withToken(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if h := r.Header.Get("Authorization"); h != "" {
			r, err := s.authenticateToken(r, h)
			if err != nil {
				return err
			}
			return next(w, r)
		}
		if !hasSessionCookie(r) {
			return next(w, r)
		}
		if !browserAPI[r.Pattern] {
			return apperr.E("web.withToken", apperr.Unauthenticated, msgAPIWithCookie)
		}
		r, err := s.sessionWithCSRF(r)
		if err != nil {
			return err
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

// requireSession returns the full browser session, or Unauthenticated. It
// is for what only a person at a signed-in browser may do, whatever a
// token's scopes say.
func requireSession(r *http.Request) (*auth, error) {
	a := authFrom(r.Context())
	if a == nil || a.session == nil || a.session.Stage != identity.StageFull {
		return nil, apperr.E("web.requireSession", apperr.Unauthenticated, "Please sign in.")
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
