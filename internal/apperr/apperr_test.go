package apperr_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"hearth/internal/apperr"
)

func TestHTTPStatus(t *testing.T) {
	for code, want := range map[apperr.Code]int{
		apperr.Invalid: 400, apperr.Unauthenticated: 401, apperr.Forbidden: 403, apperr.NotFound: 404,
		apperr.Conflict: 409, apperr.RateLimited: 429, apperr.Unavailable: 503, apperr.Internal: 500,
	} {
		if got := apperr.HTTPStatus(apperr.E("op", code, "")); got != want {
			t.Errorf("%s: %d, want %d", code, got, want)
		}
	}
	if got := apperr.HTTPStatus(errors.New("plain")); got != http.StatusInternalServerError {
		t.Errorf("plain error: %d", got)
	}
}

func TestMessageIsSafe(t *testing.T) {
	cause := errors.New("pq: password authentication failed for user hearth")
	err := apperr.Wrap("store.Find", cause)
	if msg := apperr.MessageOf(err); msg == "" || msg == cause.Error() {
		t.Fatalf("internal cause shown to the user: %q", msg)
	}
	inner := apperr.E("identity.LogIn", apperr.Unauthenticated, "Incorrect e-mail or password.")
	outer := apperr.Wrap("web.login", fmt.Errorf("context: %w", inner))
	if apperr.CodeOf(outer) != apperr.Unauthenticated || apperr.MessageOf(outer) != "Incorrect e-mail or password." {
		t.Fatalf("wrapped: %s %q", apperr.CodeOf(outer), apperr.MessageOf(outer))
	}
	if !errors.Is(outer, inner) {
		t.Fatal("Wrap loses the chain")
	}
}
