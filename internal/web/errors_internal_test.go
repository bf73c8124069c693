package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
