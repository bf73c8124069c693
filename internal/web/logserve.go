package web

import (
	"net/http"
	"strings"

	"hearth/internal/apperr"
)

// handleLog serves the transparency log in the C2SP tlog-tiles layout:
// /log/checkpoint, /log/tile/…, /log/tile/entries/…, and the verifier key at
// /log/key. Anyone may read it, from any origin.
func (s *Server) handleLog(w http.ResponseWriter, r *http.Request) error {
	path := r.PathValue("path")
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if path == "key" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=3600")
		_, err := w.Write([]byte(s.log.VerifierKey() + "\n"))
		return err
	}
	data, immutable, err := s.log.ReadResource(r.Context(), path)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return apperr.E("web.handleLog", apperr.NotFound, "No such log resource: "+path)
		}
		return err
	}
	switch {
	case immutable:
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		// The checkpoint and partial tiles change as the log grows.
		h.Set("Cache-Control", "no-cache")
	}
	if strings.HasPrefix(path, "checkpoint") {
		h.Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	_, err = w.Write(data)
	return err
}

// plain adapts a handler for programs: errors are one line of text.
func (s *Server) plain(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.logError(r, err)
			http.Error(w, apperr.MessageOf(err), apperr.HTTPStatus(err))
		}
	})
}
