package web

import "net/http"

// transparencyRoutes serve the public transparency report: a page, JSON and
// CSV, each for ?period=YYYY-H1|H2 (the current half-year by default).
func (s *Server) transparencyRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {
	mux.Handle("GET /transparency", page(s.handleTransparency))
	mux.Handle("GET /transparency.json", s.api(s.handleTransparencyJSON))
	mux.Handle("GET /transparency.csv", s.plain(s.handleTransparencyCSV))
}
