package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error for transports and for callers that branch on it.
type Code string

// Error codes. Adapters map each to one transport status in HTTPStatus.
const (
	Invalid         Code = "invalid"         // the input is malformed or breaks a rule
	Unauthenticated Code = "unauthenticated" // who you are is unknown or wrong
	Forbidden       Code = "forbidden"       // you are known but may not do this
	NotFound        Code = "not_found"       // no such object, or not visible to you
	Conflict        Code = "conflict"        // the object exists or changed meanwhile
	RateLimited     Code = "rate_limited"    // too many attempts; try again later
	Unavailable     Code = "unavailable"     // a dependency is down; try again later
	Internal        Code = "internal"        // a bug or an unexpected failure
)

// Error is the error type every Hearth package returns across its boundary.
type Error struct {
	Code    Code   // classification
	Message string // safe to show to the user; empty means a generic text for Code
	Op      string // the operation that failed, e.g. "identity.LogIn"
	Err     error  // underlying cause; logged, never shown
}

// E builds an *Error. It is shorthand used throughout the domain packages.
func E(op string, code Code, msg string) *Error {
	return &Error{Op: op, Code: code, Message: msg}
}

// Wrap builds an Internal *Error around err unless err already is an *Error,
// in which case the code and message are kept and op is recorded.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return &Error{Op: op, Code: e.Code, Message: e.Message, Err: err}
	}
	return &Error{Op: op, Code: Internal, Err: err}
}

func (e *Error) Error() string {
	s := e.Op
	if s != "" {
		s += ": "
	}
	s += string(e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of the outermost *Error in err's chain, Internal
// for any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// MessageOf returns the text that is safe to show for err.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		for cur := err; cur != nil; {
			var c *Error
			if !errors.As(cur, &c) {
				break
			}
			if c.Message != "" {
				return c.Message
			}
			cur = c.Err
		}
		return defaultMessage(e.Code)
	}
	return defaultMessage(Internal)
}

func defaultMessage(c Code) string {
	switch c {
	case Invalid:
		return "The request is not valid."
	case Unauthenticated:
		return "Please sign in."
	case Forbidden:
		return "You are not allowed to do this."
	case NotFound:
		return "Not found."
	case Conflict:
		return "This conflicts with something that already exists."
	case RateLimited:
		return "Too many attempts. Please wait and try again."
	case Unavailable:
		return "The service is unavailable. Please try again later."
	default:
		return "Something went wrong on our side."
	}
}

// HTTPStatus maps an error code to an HTTP status. It is the only place
// where that mapping lives.
func HTTPStatus(err error) int {
	switch CodeOf(err) {
	case "":
		return http.StatusOK
	case Invalid:
		return http.StatusBadRequest
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case RateLimited:
		return http.StatusTooManyRequests
	case Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Errorf is fmt.Errorf returning an Internal *Error; for causes with no user message.
func Errorf(op, format string, args ...any) error {
	return &Error{Op: op, Code: Internal, Err: fmt.Errorf(format, args...)}
}
