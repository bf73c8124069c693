package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"

	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
	"hearth/internal/notice"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/testkit"
	"hearth/internal/translog"
	"hearth/internal/transparency"
	"hearth/internal/vault"
	"hearth/internal/web"
)

// TestMain keeps the log library's info lines (one per new log directory)
// out of the test output; warnings and errors still show.
func TestMain(m *testing.M) {
	klog.SetSlogLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}

// onEveryStore runs body against a server on each available store, so the
// web behaves the same on SQLite and PostgreSQL.
func onEveryStore(t *testing.T, body func(t *testing.T, e *env)) {
	sqltest.ForEach(t, func(t *testing.T, url string) { body(t, newEnv(t, url)) })
}

type env struct {
	srv        *httptest.Server
	kit        *testkit.Kit
	registry   *prometheus.Registry // the server's metrics
	clock      *clock.Fake
	ids        *identity.Service
	log        *translog.Log
	notices    *notice.Service
	households *household.Service
	devices    *device.Service
	vault      *vault.Service
	neighbors  *neighbors.Service
	feed       *feed.Service
	legal      *legal.Service
	report     *transparency.Service
	logs       *testkit.LogBuffer // what the server logged
	outbox     notice.MailStore
}

// newEnv serves the web adapter over the real services on a fresh
// database at dbURL (sqltest.SQLite(t) unless the test runs on every store).
func newEnv(t testing.TB, dbURL string) *env { return newEnvWith(t, dbURL, "") }

// newEnvWith is newEnv with the operator's map tiles set.
func newEnvWith(t testing.TB, dbURL, mapTiles string) *env {
	t.Helper()
	return newEnvOpts(t, dbURL, envOptions{mapTiles: mapTiles})
}

// envOptions change how newEnvOpts builds the server.
type envOptions struct {
	mapTiles  string
	admission web.Admission
	// wrap, when set, may replace the services the server calls, e.g. with
	// ones that stop answering until the test says so.
	wrap func(*web.Services)
}

// newEnvOpts is newEnv with options.
func newEnvOpts(t testing.TB, dbURL string, o envOptions) *env {
	t.Helper()
	mapTiles := o.mapTiles
	vcfg := vault.DefaultConfig()
	vcfg.MinScryptWorkFactor = 10 // keys made here are cheap to unlock
	k := testkit.New(t, dbURL, testkit.Options{Now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Vault: vcfg})
	db, clk, lg, ids, acc := k.DB, k.Clock, k.Log, k.Identity, k.Access
	e := &env{kit: k, clock: clk, ids: ids, log: lg, logs: &testkit.LogBuffer{}, notices: k.Notices, outbox: k.Outbox, households: k.Households,
		devices: k.Devices, vault: k.Vault, neighbors: k.Neighbors, feed: k.Feed, legal: k.Legal, report: k.Report, registry: prometheus.NewRegistry()}
	svc := web.Services{Identity: ids, Access: acc, Notices: e.notices, Log: lg, Households: e.households, Devices: e.devices, Vault: e.vault,
		Neighbors: e.neighbors, Feed: e.feed, Legal: e.legal, Report: e.report, Clock: clk}
	if o.wrap != nil {
		o.wrap(&svc)
	}
	s, err := web.New(web.Config{Version: "test", StoreKind: "sqlite", PublicURL: "http://hearth.test", CSRFKey: []byte("0123456789abcdef0123456789abcdef"),
		MapTiles: mapTiles, Admission: o.admission},
		svc, db.Ping, slog.New(slog.NewTextHandler(e.logs, nil)), e.registry)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// browser is a client with a cookie jar that does not follow redirects, so
// tests see where each step leads.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	// apiTok is the token apiToken made, kept so that each browser makes one.
	apiTok string
}

// apiToken returns a token for the API with the account scopes, made on the
// account page the first time; "" for a browser nobody is signed in to, so
// that its API calls go anonymously.
func (b *browser) apiToken() string {
	b.t.Helper()
	if b.apiTok == "" && b.get("/account").status == http.StatusOK {
		b.apiTok = b.token(identity.ScopeAccountRead, identity.ScopeAccountWrite)
	}
	return b.apiTok
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) get(path string) page {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return read(b.t, resp)
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body), header: resp.Header}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// form fetches path and returns its CSRF token.
func (b *browser) form(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s (status %d)", path, p.status)
	}
	return m[1]
}

var secretRE = regexp.MustCompile(`data-secret="([A-Z2-7]+)"`)

const password = "correct horse battery staple"

var signupLinkRE = regexp.MustCompile(`http://hearth\.test(/signup/confirm/\S+)`)

// mailTo returns the newest e-mail to addr in the outbox.
func (e *env) mailTo(t *testing.T, addr string) *notice.Mail {
	t.Helper()
	list, err := e.outbox.ListMail(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.To == addr {
			return m
		}
	}
	t.Fatalf("no e-mail to %s", addr)
	return nil
}

// confirmSignUp follows the sign-up link e-mailed to addr in b, up to the
// enrollment page.
func (e *env) confirmSignUp(b *browser, addr string) {
	t := b.t
	t.Helper()
	m := signupLinkRE.FindStringSubmatch(e.mailTo(t, addr).Body)
	if m == nil {
		t.Fatalf("no sign-up link in the e-mail to %s", addr)
	}
	p := b.post(m[1], url.Values{"csrf_token": {b.form(m[1])}})
	if p.status != http.StatusSeeOther || p.location != "/signup/enroll" {
		t.Fatalf("confirm sign-up: %d %s\n%s", p.status, p.location, p.body)
	}
}

// signUp goes through sign-up, the e-mailed link and enrollment; it
// returns the TOTP secret.
func (e *env) signUp(b *browser, email string) string {
	t := b.t
	t.Helper()
	p := b.post("/signup", url.Values{"csrf_token": {b.form("/signup")}, "email": {email}, "password": {password}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="signup-sent"`) {
		t.Fatalf("sign-up: %d %s\n%s", p.status, p.location, p.body)
	}
	e.confirmSignUp(b, email)
	p = b.get("/signup/enroll")
	m := secretRE.FindStringSubmatch(p.body)
	if m == nil || !strings.Contains(p.body, `src="data:image/png;base64,`) {
		t.Fatalf("enrollment page lacks secret or QR code:\n%s", p.body)
	}
	code, _ := identity.TOTPCode(m[1], e.clock.Now())
	p = b.post("/signup/enroll", url.Values{"csrf_token": {csrfRE.FindStringSubmatch(p.body)[1]}, "code": {code}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="recovery-codes"`) {
		t.Fatalf("enroll: %d\n%s", p.status, p.body)
	}
	e.clock.Advance(30 * time.Second)
	return m[1]
}

func (e *env) logIn(b *browser, email, secret string) {
	t := b.t
	t.Helper()
	p := b.post("/login", url.Values{"csrf_token": {b.form("/login")}, "email": {email}, "password": {password}})
	if p.status != http.StatusSeeOther || p.location != "/login/code" {
		t.Fatalf("login: %d %s\n%s", p.status, p.location, p.body)
	}
	code, _ := identity.TOTPCode(secret, e.clock.Now())
	p = b.post("/login/code", url.Values{"csrf_token": {b.form("/login/code")}, "code": {code}})
	if p.status != http.StatusSeeOther || p.location != "/account" {
		t.Fatalf("code: %d %s\n%s", p.status, p.location, p.body)
	}
	e.clock.Advance(30 * time.Second)
}

func TestSignUpLogOutLogIn(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		b := e.browser(t)
		secret := e.signUp(b, "ana@example.org")
		p := b.get("/account")
		if p.status != http.StatusOK || !strings.Contains(p.body, "ana@example.org") {
			t.Fatalf("account: %d\n%s", p.status, p.body)
		}
		p = b.post("/logout", url.Values{"csrf_token": {b.form("/account")}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", p.status)
		}
		if p := b.get("/account"); p.status != http.StatusSeeOther || p.location != "/login" {
			t.Fatalf("account after logout: %d %s", p.status, p.location)
		}
		e.logIn(b, "ana@example.org", secret)
		if p := b.get("/account"); p.status != http.StatusOK {
			t.Fatalf("account after login: %d", p.status)
		}
	})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		b := e.browser(t)
		secret := e.signUp(b, "ana@example.org")
		good := b.form("/account")
		for _, tc := range []struct {
			name  string
			token string
		}{
			{"ErrMissing", ""},
			{"ErrWrong", strings.Repeat("A", len(good))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				form := url.Values{"current_password": {password}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}}
				if tc.token != "" {
					form.Set("csrf_token", tc.token)
				}
				p := b.post("/account/password", form)
				if p.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403", p.status)
				}
				p = b.post("/logout", url.Values{"csrf_token": {tc.token}})
				if p.status != http.StatusForbidden {
					t.Fatalf("logout status %d, want 403", p.status)
				}
			})
		}
		// A token from another browser does not fit this browser's cookie.
		other := e.browser(t)
		p := b.post("/account/password", url.Values{"csrf_token": {other.form("/login")}, "current_password": {password}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("foreign token: status %d, want 403", p.status)
		}
		// Login forms are protected too.
		p = other.post("/login", url.Values{"email": {"ana@example.org"}, "password": {password}})
		if p.status != http.StatusForbidden {
			t.Fatalf("login without token: %d", p.status)
		}
		// Nothing changed: the old password still works.
		e.logIn(e.browser(t), "ana@example.org", secret)
		// And with the right token, the change goes through.
		p = b.post("/account/password", url.Values{"csrf_token": {good}, "current_password": {password}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("good token: status %d\n%s", p.status, p.body)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	p := e.browser(t).get("/login")
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " style=") || strings.Contains(p.body, "<style") {
		t.Error("page has inline script or style")
	}
	var session, csrf *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "hearth_csrf" {
			csrf = c
		}
	}
	if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteLaxMode {
		t.Fatalf("csrf cookie %+v", csrf)
	}
	b := e.browser(t)
	b.post("/signup", url.Values{"csrf_token": {b.form("/signup")}, "email": {"x@example.org"}, "password": {password}})
	link := signupLinkRE.FindStringSubmatch(e.mailTo(t, "x@example.org").Body)[1]
	resp, err := b.c.PostForm(e.srv.URL+link, url.Values{"csrf_token": {b.form(link)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "hearth_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie over plain HTTP %+v", session)
	}
	if len(session.Value) < 40 {
		t.Fatalf("session token %q is short", session.Value)
	}
}

func TestSecureCookiesBehindTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	tls := httptest.NewTLSServer(e.srv.Config.Handler)
	defer tls.Close()
	resp, err := tls.Client().Get(tls.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if !c.Secure {
			t.Fatalf("cookie %s not Secure over TLS", c.Name)
		}
	}
	if len(resp.Cookies()) == 0 {
		t.Fatal("no cookies")
	}
}

func TestSignUpErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	b := e.browser(t)
	for _, tc := range []struct{ name, email, pw, want string }{
		{"ErrShortPassword", "a@example.org", "short", "at least 12 characters"},
		{"ErrCommonPassword", "a@example.org", "qwerty123456", "common passwords"},
		{"ErrBadEmail", "not-an-email", password, "valid e-mail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/signup", url.Values{"csrf_token": {b.form("/signup")}, "email": {tc.email}, "password": {tc.pw}})
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.want) {
				t.Fatalf("status %d, body lacks %q:\n%s", p.status, tc.want, p.body)
			}
		})
	}
}

func TestLoginSameAnswerForUnknownEmail(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		e.signUp(e.browser(t), "ana@example.org")
		answer := func(email string) (int, string) {
			b := e.browser(t)
			p := b.post("/login", url.Values{"csrf_token": {b.form("/login")}, "email": {email}, "password": {"wrong password here"}})
			msg := regexp.MustCompile(`class="error" role="alert">([^<]*)<`).FindStringSubmatch(p.body)
			if msg == nil {
				t.Fatalf("no error shown: %d\n%s", p.status, p.body)
			}
			return p.status, msg[1]
		}
		ks, km := answer("ana@example.org")
		us, um := answer("nobody@example.org")
		if ks != us || km != um || ks != http.StatusUnauthorized {
			t.Fatalf("known: %d %q; unknown: %d %q", ks, km, us, um)
		}
	})
}

var apiTokenRE = regexp.MustCompile(`id="api-token">([^<]+)<`)

// token creates an API token with these scopes on the browser's account
// page, the only place tokens are made.
func (b *browser) token(scopes ...identity.Scope) string {
	b.t.Helper()
	form := url.Values{"csrf_token": {b.form("/account")}, "name": {"script"}}
	for _, sc := range scopes {
		form.Add("scope", string(sc))
	}
	p := b.post("/account/tokens", form)
	m := apiTokenRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		b.t.Fatalf("create token: %d\n%s", p.status, p.body)
	}
	return m[1]
}

// apiCall sends an API request with a bearer token, or with the browser's
// cookies and its CSRF token when token is "".
func (b *browser) apiCall(method, path, token, body string) (int, map[string]any) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else if method != http.MethodGet {
		req.Header.Set("X-CSRF-Token", b.form("/account"))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAPITokensAndScopes(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		b := e.browser(t)
		e.signUp(b, "ana@example.org")
		token := b.token(identity.ScopeAccountRead)
		anon := e.browser(t)
		if status, out := anon.apiCall("GET", "/api/v1/me", token, ""); status != 200 || out["email"] != "ana@example.org" {
			t.Fatalf("me with token: %d %v", status, out)
		}
		// Read scope only: no revoking, no minting.
		if status, _ := anon.apiCall("DELETE", "/api/v1/sessions/s_aaaaaaaaaaaaaaaaaaaaaaaaaa", token, ""); status != http.StatusForbidden {
			t.Fatalf("write with read token: %d", status)
		}
		if status, out := anon.apiCall("GET", "/api/v1/me", "hrt_nonsense", ""); status != 401 || out["error"] == nil {
			t.Fatalf("bad token: %d %v", status, out)
		}
		if status, _ := anon.apiCall("GET", "/api/v1/me", "", ""); status != 401 {
			t.Fatalf("anonymous: %d", status)
		}
		// The browser's session is for pages: the API wants a token.
		if status, out := b.apiCall("GET", "/api/v1/me", "", ""); status != 401 || !strings.Contains(fmt.Sprint(out), "needs an API token") {
			t.Fatalf("API with the session cookie: %d %v", status, out)
		}
		// The account page checks what it makes.
		for name, form := range map[string]url.Values{
			"ErrScope": {"name": {"z"}, "scope": {"everything"}},
			"ErrName":  {"name": {" "}, "scope": {"account:read"}},
		} {
			form.Set("csrf_token", b.form("/account"))
			if p := b.post("/account/tokens", form); p.status != http.StatusBadRequest {
				t.Fatalf("%s: %d\n%s", name, p.status, p.body)
			}
		}
	})
}

func TestAPISessionsAreYourOwn(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		ana, bob := e.browser(t), e.browser(t)
		e.signUp(ana, "ana@example.org")
		e.signUp(bob, "bob@example.org")
		anaToken := ana.token(identity.ScopeAccountRead, identity.ScopeAccountWrite)
		bobToken := bob.token(identity.ScopeAccountRead, identity.ScopeAccountWrite)
		_, out := ana.apiCall("GET", "/api/v1/sessions", anaToken, "")
		sessions := out["sessions"].([]any)
		anaSession := sessions[0].(map[string]any)["id"].(string)
		if status, _ := bob.apiCall("DELETE", "/api/v1/sessions/"+anaSession, bobToken, ""); status != http.StatusNotFound {
			t.Fatalf("bob revoked ana's session: %d", status)
		}
		if p := ana.get("/account"); p.status != 200 {
			t.Fatalf("ana signed out by bob: %d", p.status)
		}
		if status, _ := ana.apiCall("DELETE", "/api/v1/sessions/"+anaSession, anaToken, ""); status != http.StatusNoContent {
			t.Fatalf("ana revoking her own: %d", status)
		}
		if p := ana.get("/account"); p.status != http.StatusSeeOther {
			t.Fatalf("revoked session still works: %d", p.status)
		}
	})
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	b := e.browser(t)
	status, out := b.apiCall("GET", "/healthz", "", "")
	if status != 200 || out["version"] != "test" || out["store"] != "sqlite" {
		t.Fatalf("healthz: %d %v", status, out)
	}
	p := b.get("/metrics")
	if p.status != 200 || !strings.Contains(p.body, `hearth_http_requests_total{code="200",route="GET /healthz"}`) {
		t.Fatalf("metrics:\n%s", p.body)
	}
	if p := b.get("/api/v1/nothing"); p.status != 404 || !strings.Contains(p.body, `"not_found"`) {
		t.Fatalf("unknown API path: %d %s", p.status, p.body)
	}
}

// TestSignUpSameAnswerForKnownEmail: signing up with an address that has an
// account answers exactly as for a new one; only the e-mail differs, and it
// goes to the address's owner.
func TestSignUpSameAnswerForKnownEmail(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		e.signUp(e.browser(t), "ana@example.org")
		answer := func(email string) (page, []*http.Cookie) {
			b := e.browser(t)
			p := b.post("/signup", url.Values{"csrf_token": {b.form("/signup")}, "email": {email}, "password": {"another long passphrase"}})
			u, _ := url.Parse(e.srv.URL)
			return p, b.c.Jar.Cookies(u)
		}
		known, kc := answer("ana@example.org")
		unknown, uc := answer("bob@example.org")
		norm := func(p page, email string) string {
			return csrfRE.ReplaceAllString(strings.ReplaceAll(p.body, email, "EMAIL"), "")
		}
		if known.status != http.StatusOK || known.status != unknown.status || known.location != unknown.location ||
			norm(known, "ana@example.org") != norm(unknown, "bob@example.org") || len(kc) != len(uc) {
			t.Fatalf("known: %d %s %v\n%s\nunknown: %d %s %v\n%s", known.status, known.location, kc, known.body, unknown.status, unknown.location, uc, unknown.body)
		}
		if m := e.mailTo(t, "ana@example.org"); !strings.Contains(m.Body, "you already have one") || signupLinkRE.MatchString(m.Body) {
			t.Fatalf("mail to the known address:\n%s", m.Body)
		}
		// The owner's password is unchanged; the new address gets an account
		// only through its link, which works once.
		b := e.browser(t)
		if p := b.post("/login", url.Values{"csrf_token": {b.form("/login")}, "email": {"bob@example.org"}, "password": {"another long passphrase"}}); p.status != http.StatusUnauthorized {
			t.Fatalf("sign-in before confirming: %d", p.status)
		}
		e.confirmSignUp(b, "bob@example.org")
		link := signupLinkRE.FindStringSubmatch(e.mailTo(t, "bob@example.org").Body)[1]
		if p := b.post(link, url.Values{"csrf_token": {b.form(link)}}); p.status != http.StatusNotFound {
			t.Fatalf("link used twice: %d\n%s", p.status, p.body)
		}
	})
}
