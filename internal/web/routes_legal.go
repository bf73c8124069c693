package web

import "net/http"

func (s *Server) legalRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {}
