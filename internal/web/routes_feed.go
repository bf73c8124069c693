package web

import "net/http"

// feedRoutes is the neighbours feed: its page and its JSON API.
func (s *Server) feedRoutes(mux *http.ServeMux, page, api func(handlerFunc) http.Handler) {
	mux.Handle("GET /feed", page(s.handleFeed))
	mux.Handle("POST /feed/posts", page(s.handleCreatePost))
	mux.Handle("POST /feed/posts/{id}/delete", page(s.handleDeletePost))

	mux.Handle("GET /api/v1/feed", api(s.apiFeed))
	mux.Handle("POST /api/v1/posts", api(s.apiCreatePost))
	mux.Handle("DELETE /api/v1/posts/{id}", api(s.apiDeletePost))
	mux.Handle("GET /api/v1/posts/{id}/clip", api(s.apiPostClip))
}
