package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the whole route table. Pages (page) take a browser session
// only; the JSON API (api) takes an API token, and a session only on the
// routes in browserAPI. Routes with neither wrapper authenticate in their
// own way (devices) or not at all (public).
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// Who is asking comes first, then whether the path can name anything:
	// a wrong credential is refused as such, whatever the path.
	page := func(h handlerFunc) http.Handler { return s.page(s.withSession(withPathValues(h))) }
	api := func(h handlerFunc) http.Handler { return s.api(s.withToken(withPathValues(h))) }

	// Operations.
	mux.Handle("GET /healthz", s.api(s.handleHealth))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(staticFS())))

	// Pages.
	mux.Handle("GET /{$}", page(s.handleHome))
	mux.Handle("GET /signup", page(s.handleSignUpForm))
	mux.Handle("POST /signup", page(s.handleSignUp))
	mux.Handle("GET /signup/confirm/{token}", page(s.handleConfirmSignUpForm))
	mux.Handle("POST /signup/confirm/{token}", page(s.handleConfirmSignUp))
	mux.Handle("GET /signup/enroll", page(s.handleEnrollForm))
	mux.Handle("POST /signup/enroll", page(s.handleEnroll))
	mux.Handle("GET /login", page(s.handleLogInForm))
	mux.Handle("POST /login", page(s.handleLogIn))
	mux.Handle("GET /login/code", page(s.handleCodeForm))
	mux.Handle("POST /login/code", page(s.handleCode))
	mux.Handle("POST /logout", page(s.handleLogOut))
	mux.Handle("GET /account", page(s.handleAccount))
	mux.Handle("POST /account/password", page(s.handleChangePassword))
	mux.Handle("POST /account/recovery-codes", page(s.handleRecoveryCodes))
	mux.Handle("POST /account/authenticator", page(s.handleAuthenticatorBegin))
	mux.Handle("POST /account/authenticator/confirm", page(s.handleAuthenticatorConfirm))
	mux.Handle("POST /account/authenticator/disable", page(s.handleAuthenticatorDisable))
	mux.Handle("POST /account/sessions/{id}/revoke", page(s.handleRevokeSession))
	mux.Handle("POST /account/tokens", page(s.handleCreateToken))
	mux.Handle("POST /account/tokens/{id}/revoke", page(s.handleRevokeToken))

	mux.Handle("GET /key", page(s.handleKey))
	mux.Handle("GET /access", page(s.handleAccessHistory))
	mux.Handle("GET /grants", page(s.handleGrants))
	mux.Handle("POST /grants", page(s.handleRequestGrant))
	mux.Handle("POST /grants/{id}/decide", page(s.handleDecideGrant))
	mux.Handle("GET /grants/{id}/account", page(s.handleGrantAccount))

	mux.Handle("GET /households", page(s.handleHouseholds))
	mux.Handle("POST /households", page(s.handleCreateHousehold))
	mux.Handle("GET /households/{id}", page(s.handleHousehold))
	mux.Handle("POST /households/{id}/settings", page(s.handleHouseholdSettings))
	mux.Handle("POST /households/{id}/invite", page(s.handleInvite))
	mux.Handle("POST /households/{id}/leave", page(s.handleLeave))
	mux.Handle("POST /households/{id}/members/{user}/remove", page(s.handleRemoveMember))
	mux.Handle("GET /households/{id}/devices", page(s.handleDevices))
	mux.Handle("GET /households/{id}/timeline", page(s.handleTimeline))
	mux.Handle("POST /households/{id}/devices/pair", page(s.handleStartPairing))
	mux.Handle("POST /devices/{id}/rename", page(s.deviceAction(s.handleRenameDevice)))
	mux.Handle("POST /devices/{id}/revoke", page(s.deviceAction(s.handleRevokeDevice)))
	mux.Handle("GET /admin/outbox", page(s.handleOutbox))
	mux.Handle("GET /join/{token}", page(s.handleJoinForm))
	mux.Handle("POST /join/{token}", page(s.handleJoin))

	// The public transparency log.
	mux.Handle("GET /log/{path...}", s.plain(s.handleLog))

	// JSON API.
	mux.Handle("GET /api/v1/me", api(s.apiMe))
	mux.Handle("GET /api/v1/sessions", api(s.apiListSessions))
	mux.Handle("DELETE /api/v1/sessions/{id}", api(s.apiRevokeSession))
	mux.Handle("GET /api/v1/tokens", api(s.apiListTokens))
	mux.Handle("POST /api/v1/tokens", api(s.apiCreateToken))
	mux.Handle("DELETE /api/v1/tokens/{id}", api(s.apiRevokeToken))
	mux.Handle("GET /api/v1/access", api(s.apiAccessHistory))
	mux.Handle("GET /api/v1/grants", api(s.apiListGrants))
	mux.Handle("POST /api/v1/grants", api(s.apiRequestGrant))
	mux.Handle("POST /api/v1/grants/{id}/approve", api(s.apiDecideGrant(true)))
	mux.Handle("POST /api/v1/grants/{id}/deny", api(s.apiDecideGrant(false)))
	mux.Handle("GET /api/v1/grants/{id}/account", api(s.apiGrantAccount))
	mux.Handle("POST /api/v1/devices/pair", s.api(s.apiPair))
	mux.Handle("GET /api/v1/households/{id}/devices", api(s.apiListDevices))
	mux.Handle("GET /api/v1/device/recipients", s.api(s.apiDeviceRecipients))
	mux.Handle("POST /api/v1/device/clips", s.api(s.apiUploadClip))
	mux.Handle("GET /api/v1/households/{id}/clips", api(s.apiListClips))
	mux.Handle("GET /api/v1/clips/{id}/content", api(s.apiClipContent))
	mux.Handle("DELETE /api/v1/clips/{id}", api(s.apiDeleteClip))
	mux.Handle("PUT /api/v1/clips/{id}/wraps", api(s.apiAddWrap))
	mux.Handle("GET /api/v1/me/key", api(s.apiGetKey))
	mux.Handle("PUT /api/v1/me/key", api(s.apiSetKey))
	// Neighbours, agencies, legal demands and the transparency report, each
	// in its own file.
	s.agencyRoutes(mux, page, api)
	s.submissionRoutes(mux, page, api)
	s.feedRoutes(mux, page, api)
	s.legalRoutes(mux, page, api)
	s.transparencyRoutes(mux, page, api)

	mux.Handle("/api/", s.api(s.apiNotFound))
	return mux
}
