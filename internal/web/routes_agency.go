package web

import "net/http"

// agencyRoutes are the agency side of SPEC §8: agencies and their Requests
// for Assistance. There is no route to edit or delete a request.
func (s *Server) agencyRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {
	mux.Handle("GET /agencies", page(s.handleAgencies))
	mux.Handle("POST /agencies", page(s.handleRegisterAgency))
	mux.Handle("GET /agencies/mine", page(s.handleMyAgencies))
	mux.Handle("GET /agencies/{id}", page(s.handleAgency))
	mux.Handle("POST /agencies/{id}/verify", page(s.handleVerifyAgency))
	mux.Handle("GET /agencies/{id}/key", page(s.handleAgencyKey))
	mux.Handle("POST /agencies/{id}/recipient", page(s.handleSetRecipient))
	mux.Handle("GET /agencies/{id}/requests/new", page(s.handleNewRequestForm))
	mux.Handle("POST /agencies/{id}/requests", page(s.handlePostRequest))
	mux.Handle("GET /requests/{id}", page(s.handleRequest))
	mux.Handle("POST /requests/{id}/resolve", page(s.handleResolveRequest))

	mux.Handle("GET /api/v1/agencies", api(s.apiAgencies))
	mux.Handle("GET /api/v1/agencies/{id}", api(s.apiAgency))
	mux.Handle("POST /api/v1/agencies/{id}/requests", api(s.apiPostRequest))
	mux.Handle("GET /api/v1/requests/{id}", api(s.apiRequest))
	mux.Handle("POST /api/v1/requests/{id}/resolve", api(s.apiResolveRequest))
	// Named, so that they are refused as such rather than falling through
	// to the API's "no such endpoint".
	for _, method := range []string{"PUT", "PATCH", "DELETE"} {
		mux.HandleFunc(method+" /api/v1/requests/{id}", s.apiRequestImmutable)
	}
}
