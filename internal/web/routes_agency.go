package web

import "net/http"

func (s *Server) agencyRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {}
