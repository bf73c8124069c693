package web

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hearth/internal/apperr"
)

// TestPanicIsLogged500: a handler's bug answers 500 and is logged with its
// stack, instead of dropping the connection.
func TestPanicIsLogged500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &Server{logger: slog.New(slog.NewTextHandler(&logs, nil))}
	h := s.api(func(w http.ResponseWriter, r *http.Request) error {
		var a *auth
		_ = a.session // a nil dereference, as a handler bug would make
		return nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/x", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"internal"`) {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "handler panicked") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("log:\n%s", logs.String())
	}
}

// TestAbandonedRequestIsNotAnError: a store call that fails because the
// client hung up is not logged as the server's fault; the same failure with
// the client still there is.
func TestAbandonedRequestIsNotAnError(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &Server{logger: slog.New(slog.NewTextHandler(&logs, nil))}
	h := s.api(func(w http.ResponseWriter, r *http.Request) error {
		return apperr.Wrap("store.Find", r.Context().Err())
	})
	gone, hangUp := context.WithCancel(context.Background())
	hangUp()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/x", nil).WithContext(gone))
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("an abandoned request was logged as an error:\n%s", logs.String())
	}
	h = s.api(func(w http.ResponseWriter, r *http.Request) error {
		return apperr.E("store.Find", apperr.Internal, "")
	})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/x", nil))
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a failure with the client present was not logged:\n%s", logs.String())
	}
}
