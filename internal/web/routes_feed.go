package web

import "net/http"

func (s *Server) feedRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {}
