package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"unicode/utf8"

	"hearth/internal/apperr"
)

// handlerFunc is an HTTP handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// apiError is the JSON body of every API error.
type apiError struct {
	Error struct {
		Code    apperr.Code `json:"code"`
		Message string      `json:"message"`
	} `json:"error"`
}

// api adapts a handler of the JSON API: errors become {"error":{code,message}}.
func (s *Server) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.run(h, w, r); err != nil {
			s.logError(r, err)
			var body apiError
			body.Error.Code = apperr.CodeOf(err)
			body.Error.Message = apperr.MessageOf(err)
			writeJSON(w, apperr.HTTPStatus(err), body)
		}
	})
}

// page adapts a handler of the browser surface: errors render the error page.
func (s *Server) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.run(h, w, r); err != nil {
			s.logError(r, err)
			// A script sending a token is told why, not sent to a sign-in form.
			if apperr.Is(err, apperr.Unauthenticated) && r.Method == http.MethodGet && r.Header.Get("Authorization") == "" {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.render(w, r, apperr.HTTPStatus(err), "error", &errorPage{
				pageBase: pageBase{Title: "Error"}, Message: apperr.MessageOf(err), Code: apperr.CodeOf(err),
			})
		}
	})
}

// run calls h and turns a panic into an Internal error, so that a bug in
// one handler answers 500 and is logged with its stack instead of dropping
// the connection without an answer. http.ErrAbortHandler is passed on: it
// is how a handler asks for exactly that.
func (s *Server) run(h handlerFunc, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.logger.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		err = apperr.E("web.run", apperr.Internal, "Something went wrong on our side.")
	}()
	return h(w, r)
}

// logError logs internal failures once, here at the boundary; user mistakes
// are not the operator's concern.
func (s *Server) logError(r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The client went away (or the server is shutting down) before the
		// answer was ready: what failed after that is not a fault to report.
		s.logger.Debug("request abandoned", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	if apperr.HTTPStatus(err) >= 500 {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON body of at most 64 KiB into v, refusing unknown
// fields. A body that is not UTF-8 is refused too, as JSON requires: the
// decoder would otherwise store U+FFFD in place of the bytes sent.
func decodeJSON(r *http.Request, v any) error {
	const op = "web.decodeJSON"
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 64<<10))
	if err != nil {
		return &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The request body could not be read: " + err.Error(), Err: err}
	}
	if !utf8.Valid(body) {
		return apperr.E(op, apperr.Invalid, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The request body is not valid JSON for this call: " + err.Error(), Err: err}
	}
	return nil
}
