package client

import (
	"errors"
	"fmt"
	"net/http"

	"hearth/internal/apperr"
)

// Code is an error code of the API, the "code" of an error answer. It is
// the server's own type: the API writes its error codes as they are.
type Code = apperr.Code

// The API's error codes (docs/api.md, "Errors"), named here so that a
// program outside Hearth's module, which cannot import its internal
// packages, can test for them.
const (
	Invalid         Code = apperr.Invalid         // 400: the input is malformed or breaks a rule
	Unauthenticated Code = apperr.Unauthenticated // 401: no valid token or device credential
	Forbidden       Code = apperr.Forbidden       // 403: known, but not allowed (scope, role)
	NotFound        Code = apperr.NotFound        // 404: no such object, or not yours
	Conflict        Code = apperr.Conflict        // 409: already exists, or changed meanwhile
	RateLimited     Code = apperr.RateLimited     // 429: too many attempts
	Unavailable     Code = apperr.Unavailable     // 503: a dependency of the server is down
	Internal        Code = apperr.Internal        // 500: a failure on the server's side
)

// Error is an error answer of the API: its HTTP status and the code and
// message of its {"error":{"code","message"}} body. Message is written by
// the server to be shown to the person using the program. An answer that is
// not in the API's error shape (a proxy's error page, another server) gets
// the code its status stands for and a message that says so.
type Error struct {
	Status  int    // the HTTP status, e.g. 404
	Code    Code   // the API's error code, e.g. NotFound
	Message string // the server's explanation, safe to show
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &client.Error{Code: client.NotFound}) tests the code. A
// target that also sets Status must match it too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Status == 0 || t.Status == e.Status)
}

// CodeOf returns the code of the *Error in err's chain, or "" when err is
// nil or is not an answer of the API (a network failure, a timeout).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsCode reports whether err is an answer of the API with the given code.
func IsCode(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// statusCode is the code an answer's status stands for when the answer
// does not name one: the inverse of the server's mapping.
func statusCode(status int) Code {
	switch status {
	case http.StatusBadRequest:
		return Invalid
	case http.StatusUnauthorized:
		return Unauthenticated
	case http.StatusForbidden:
		return Forbidden
	case http.StatusNotFound:
		return NotFound
	case http.StatusConflict:
		return Conflict
	case http.StatusTooManyRequests:
		return RateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return Unavailable
	}
	return Internal
}
