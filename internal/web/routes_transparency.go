package web

import "net/http"

func (s *Server) transparencyRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {}
