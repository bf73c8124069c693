package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"hearth/internal/apperr"
)

// Anti-forgery: a random value in an HttpOnly cookie, and in every form a
// token that is the HMAC of that value under the server's key. A forged
// request from another site can neither read the cookie nor compute the token.
const (
	csrfCookie = "hearth_csrf"
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
)

// csrfToken returns the form token for this browser, setting the cookie if it has none.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return s.signCSRF(c.Value)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: v, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
	// Let the rest of this request see it too.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
	return s.signCSRF(v)
}

func (s *Server) signCSRF(v string) string {
	m := hmac.New(sha256.New, s.cfg.CSRFKey)
	m.Write([]byte("hearth-csrf:" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF returns Forbidden unless the request carries the token that
// matches its cookie, in the form field or the X-CSRF-Token header.
func (s *Server) checkCSRF(r *http.Request) error {
	const op = "web.checkCSRF"
	forbidden := apperr.E(op, apperr.Forbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.")
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return forbidden
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
		got = r.PostFormValue(csrfField)
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(s.signCSRF(c.Value))) {
		return forbidden
	}
	return nil
}
