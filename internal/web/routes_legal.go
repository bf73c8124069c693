package web

import "net/http"

// legalRoutes are the staff pages of legal demands (staff and admins only;
// the service refuses anyone else). The person concerned is told through
// their in-app notices.
func (s *Server) legalRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {
	mux.Handle("GET /legal", page(s.handleLegalDemands))
	mux.Handle("GET /legal/new", page(s.handleNewLegalDemand))
	mux.Handle("POST /legal", page(s.handleRecordLegalDemand))
	mux.Handle("GET /legal/{id}", page(s.handleLegalDemand))
	mux.Handle("POST /legal/{id}/decide", page(s.handleDecideLegalDemand))
}
