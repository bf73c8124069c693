package web

import "net/http"

// submissionRoutes are the residents' answers to requests for assistance
// and the agency's view of them.
func (s *Server) submissionRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {
	mux.Handle("GET /requests/{id}/submissions", page(s.handleReceived))
	mux.Handle("POST /submissions/{id}/withdraw", page(s.handleWithdraw))
	mux.Handle("POST /households/{id}/requests-opt-out", page(s.handleOptOut))
	mux.Handle("GET /api/v1/households/{id}/requests", api(s.apiHouseholdRequests))
	mux.Handle("GET /api/v1/households/{id}/submissions", api(s.apiHouseholdSubmissions))
	mux.Handle("PUT /api/v1/households/{id}/requests-opt-out", api(s.apiSetOptOut))
	mux.Handle("POST /api/v1/requests/{id}/submissions", api(s.apiSubmit))
	mux.Handle("GET /api/v1/requests/{id}/submissions", api(s.apiReceived))
	mux.Handle("POST /api/v1/submissions/{id}/withdraw", api(s.apiWithdraw))
	mux.Handle("GET /api/v1/submissions/{id}/clips/{clip}/content", api(s.apiReceivedClip))
}
