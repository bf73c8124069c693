package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/identity"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/web"
)

// route is one line of the route table: its pattern and its wrapper
// ("page", "api", or "other" for operations, static files and the log).
type route struct {
	method, path, pattern, kind string
}

// routeTable reads the route table from the source (routes*.go), so the
// tests that walk it (credentials, hostile input) cover every route there
// is, including ones added later. A page or api wrapper whose pattern cannot
// be read fails the test rather than escaping the walk.
func routeTable(t *testing.T) []route {
	t.Helper()
	files, err := filepath.Glob("routes*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []route
	wrapped := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); ok && (id.Name == "page" || id.Name == "api") {
				wrapped++
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") || len(call.Args) != 2 {
				return true
			}
			kind := "other"
			if h, ok := call.Args[1].(*ast.CallExpr); ok {
				if id, ok := h.Fun.(*ast.Ident); ok && (id.Name == "page" || id.Name == "api") {
					kind = id.Name
				}
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if (!ok || lit.Kind != token.STRING) && kind == "other" {
				return true // built patterns, like the request's refused methods
			}
			if !ok || lit.Kind != token.STRING {
				t.Fatalf("%s: a %s route whose pattern is not a string literal", fset.Position(call.Pos()), kind)
			}
			pattern, _ := strconv.Unquote(lit.Value)
			method, path, ok := strings.Cut(pattern, " ")
			if !ok && kind == "other" {
				return true // a catch-all, like "/api/" answering not found
			}
			if !ok {
				t.Fatalf("%s: pattern %q has no method", fset.Position(call.Pos()), pattern)
			}
			out = append(out, route{method: method, path: path, pattern: pattern, kind: kind})
			return true
		})
	}
	read := 0
	for _, r := range out {
		if r.kind != "other" {
			read++
		}
	}
	if read != wrapped || read < 50 {
		t.Fatalf("read %d routes but page/api wrap %d handlers: the table has a form this reader does not know", read, wrapped)
	}
	return out
}

// placeholder fills a route's wildcards with a value no object has.
func placeholder(path string) string {
	return fill(path, "x_placeholder1")
}

// TestEveryRouteTakesOnlyItsCredential walks the whole route table: a page
// called with a valid API token is refused with 401, an API route called
// with only the browser's session cookie is refused with 401 unless the
// pages' scripts call it (then it is served, and needs the CSRF header to
// write), and no handler panics or fails with 500 on any of it.
func TestEveryRouteTakesOnlyItsCredential(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	var routes []route
	for _, r := range routeTable(t) {
		if r.kind != "other" { // health, metrics, static files and the log take no credential
			routes = append(routes, r)
		}
	}

	// A staff member: the widest token and session there are. Each route
	// gets a session of its own, as some of them end it.
	_, en, _, err := e.ids.CreateUser(t.Context(), "staff@example.org", identity.RoleStaff, password)
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(t *testing.T) (*browser, string) {
		b := e.browser(t)
		e.logIn(b, "staff@example.org", en.Secret)
		return b, b.form("/account")
	}
	staff, _ := signIn(t)
	token := staff.token(identity.Scopes...)

	// The browser-session API routes must be real routes.
	known := map[string]bool{}
	for _, r := range routes {
		known[r.pattern] = r.kind == "api"
	}
	for pattern := range web.BrowserAPI {
		if !known[pattern] {
			t.Errorf("browser API route %q is not an API route of the table", pattern)
		}
	}

	do := func(t *testing.T, staff *browser, method, path string, header http.Header) page {
		t.Helper()
		body := ""
		if method != http.MethodGet && method != http.MethodHead {
			body = "{}"
		}
		req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		resp, err := staff.c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: no answer (%v)", method, path, err)
		}
		p := read(t, resp)
		if p.status >= 500 {
			t.Errorf("%s %s: %d\n%s", method, path, p.status, p.body)
		}
		return p
	}
	for _, r := range routes {
		path := placeholder(r.path)
		t.Run(r.pattern, func(t *testing.T) {
			staff, csrf := signIn(t)
			switch {
			case r.kind == "page":
				// No cookie jar here: the token is the only credential.
				req, _ := http.NewRequest(r.method, e.srv.URL+path, strings.NewReader(url.Values{"csrf_token": {csrf}}.Encode()))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("no answer (%v)", err)
				}
				p := read(t, resp)
				if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "API tokens work only under /api/v1") {
					t.Fatalf("page with an API token: %d\n%s", p.status, p.body)
				}
				// And with the session it is for, it answers without failing.
				h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
				if r.method != http.MethodGet {
					h.Set("X-CSRF-Token", csrf)
				}
				do(t, staff, r.method, path, h)
			case web.BrowserAPI[r.pattern]:
				p := do(t, staff, r.method, path, http.Header{"X-CSRF-Token": {csrf}, "Content-Type": {"application/json"}})
				if p.status == http.StatusUnauthorized {
					t.Fatalf("browser API route with the session: %d\n%s", p.status, p.body)
				}
				if r.method != http.MethodGet {
					p := do(t, staff, r.method, path, http.Header{"Content-Type": {"application/json"}})
					if p.status != http.StatusForbidden {
						t.Fatalf("browser API write without the CSRF header: %d\n%s", p.status, p.body)
					}
				}
			default:
				p := do(t, staff, r.method, path, http.Header{"X-CSRF-Token": {csrf}, "Content-Type": {"application/json"}})
				if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "needs an API token") {
					t.Fatalf("API route with only the session cookie: %d\n%s", p.status, p.body)
				}
			}
			if r.kind == "api" {
				// With the token it is for, it answers without failing.
				req, _ := http.NewRequest(r.method, e.srv.URL+path, strings.NewReader("{}"))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("no answer (%v)", err)
				}
				if p := read(t, resp); p.status >= 500 {
					t.Errorf("API route with a token: %d\n%s", p.status, p.body)
				}
			}
		})
	}
	if logs := e.logs.String(); strings.Contains(logs, "panic") {
		t.Fatalf("a handler panicked:\n%s", logs)
	}
}

// TestTokenCannotMintTokens: neither the account page nor the API lets a
// token create a token, whatever its scopes.
func TestTokenCannotMintTokens(t *testing.T) {
	t.Parallel()
	onEveryStore(t, func(t *testing.T, e *env) {
		b := e.browser(t)
		e.signUp(b, "ana@example.org")
		writer := b.token(identity.ScopeAccountRead, identity.ScopeAccountWrite)
		anon := e.browser(t)
		req, _ := http.NewRequest("POST", e.srv.URL+"/account/tokens", strings.NewReader(url.Values{"name": {"wider"}, "scope": {"grants", "account:write"}}.Encode()))
		req.Header.Set("Authorization", "Bearer "+writer)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := anon.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if p := read(t, resp); p.status != http.StatusUnauthorized || apiTokenRE.MatchString(p.body) {
			t.Fatalf("page minted a token for a token: %d\n%s", p.status, p.body)
		}
		if status, out := anon.apiCall("POST", "/api/v1/tokens", writer, `{"name":"wider","scopes":["grants"]}`); status != http.StatusForbidden || out["token"] != nil {
			t.Fatalf("API minted a token for a token: %d %v", status, out)
		}
		// Only the one token made on the page exists.
		status, out := anon.apiCall("GET", "/api/v1/tokens", writer, "")
		if list, _ := out["tokens"].([]any); status != http.StatusOK || len(list) != 1 {
			t.Fatalf("tokens: %d %v", status, out)
		}
	})
}
