package web

import "net/http"

func (s *Server) submissionRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {}
