package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/identity"
)

// chromium returns the browser to drive. Without one the browser tests skip,
// except in CI, where a missing browser is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install -y chromium)")
	}
	t.Skip("chromium is not installed; apt-get install -y chromium to run browser tests")
	return ""
}

// browsers lets one browser run at a time: the pages' passphrase work
// (scrypt in the browser) takes a core for seconds, and two browsers beside
// the rest of the parallel suite starve each other past their deadline.
var browsers = make(chan struct{}, 1)

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	browsers <- struct{}{}
	t.Cleanup(func() { <-browsers })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// lostToNavigation reports whether err is the browser dropping a query
// because the page it ran on was replaced by the next one.
func lostToNavigation(err error) bool {
	for _, msg := range []string{"Could not find node", "No node with given id", "Node is detached",
		"Cannot find context", "Execution context was destroyed", "Inspected target navigated"} {
		if strings.Contains(err.Error(), msg) {
			return true
		}
	}
	return false
}

// waitVisible is chromedp.WaitVisible that asks again, on the new page,
// when a navigation takes away the page it was watching; bounded by the
// browser's deadline.
func waitVisible[S chromedp.Selectable](sel S) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			_, err := chromedp.WaitVisible(sel)(ctx, tg)
			if err == nil || !lostToNavigation(err) || ctx.Err() != nil {
				return err
			}
		}
	})
}

// fitsWidth fails the test if the page scrolls sideways on a 360-px screen.
// With HEARTH_SCREENSHOTS=DIR it also saves a screenshot of the page there,
// for a person to look at.
func fitsWidth(t *testing.T, page string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if dir := os.Getenv("HEARTH_SCREENSHOTS"); dir != "" {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, strings.ReplaceAll(page, " ", "-")+".png"), png, 0o644); err != nil {
				return err
			}
		}
		w, err := chromedp.Evaluate[int](`document.documentElement.scrollWidth`)(ctx, tg)
		if err != nil {
			return err
		}
		if w > 360 {
			t.Errorf("%s is %d px wide on a 360-px screen", page, w)
		}
		return nil
	})
}

var signupLinkRE = regexp.MustCompile(`(/signup/confirm/\S+)`)

// signupLink returns the path of the sign-up link e-mailed to addr, read
// from the outbox.
func signupLink(t *testing.T, m *Main, addr string) string {
	t.Helper()
	list, err := m.Notices.Outbox(context.Background(), identity.Actor{ID: "u_outbox_reader", Role: identity.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for _, mail := range list {
		if l := signupLinkRE.FindStringSubmatch(mail.Body); mail.To == addr && l != nil {
			return l[1]
		}
	}
	t.Fatalf("no sign-up link e-mailed to %s", addr)
	return ""
}

func TestBrowserSignUpTwoFactorLogInAgain(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m := startMain(t, "")
	base := m.URL()
	const email, password = "ana@example.org", "my long browser passphrase"

	var secret string
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(base+"/"),
		fitsWidth(t, "home"),
		chromedp.Navigate(base+"/signup"),
		fitsWidth(t, "sign-up"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("signup")),
		waitVisible(chromedp.ID("signup-sent")),
		fitsWidth(t, "check your e-mail"),
	)
	if err == nil {
		err = chromedp.Do(ctx,
			chromedp.Navigate(base+signupLink(t, m, email)),
			fitsWidth(t, "confirm e-mail"),
			chromedp.Click(chromedp.ID("confirm-signup")),
			waitVisible(chromedp.ID("totp-secret")),
			fitsWidth(t, "enrollment"),
		)
	}
	if err == nil {
		var attr chromedp.AttributeResult
		attr, err = chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("totp-secret"), "data-secret"))
		secret = attr.Value
	}
	if err != nil {
		t.Fatalf("sign-up: %v", err)
	}
	code, err := identity.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var shown string
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("confirm")),
		waitVisible(chromedp.ID("recovery-codes")),
		fitsWidth(t, "recovery codes"),
		chromedp.Click(chromedp.ID("continue")),
		waitVisible(chromedp.ID("account-email")),
		fitsWidth(t, "account"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			shown, err = chromedp.Text(chromedp.ID("account-email"))(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.ID("logout")),
		waitVisible(chromedp.ID("login")),
		fitsWidth(t, "sign-in"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login")),
		waitVisible(chromedp.ID("verify")),
		fitsWidth(t, "code"),
	)
	if err != nil {
		t.Fatalf("enrollment, log out, password: %v", err)
	}
	if shown != email {
		t.Fatalf("account page shows %q", shown)
	}
	// The enrollment code's time step is spent; the next step's code is
	// accepted within the allowed clock drift, so the test need not wait.
	code, err = identity.TOTPCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var sessions string
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("verify")),
		waitVisible(chromedp.ID("account-email")),
	)
	if err == nil {
		sessions, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("sessions")))
	}
	if err != nil {
		t.Fatalf("second factor: %v", err)
	}
	if !strings.Contains(sessions, "This browser") {
		t.Fatalf("session list:\n%s", sessions)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/households"),
		fitsWidth(t, "households"),
		chromedp.SendKeys(chromedp.ID("hh-name"), "Rue des Lilas"),
		chromedp.SendKeys(chromedp.ID("hh-lat"), "48.8566"),
		chromedp.SendKeys(chromedp.ID("hh-lng"), "2.3522"),
		chromedp.Click(chromedp.ID("create-household")),
		waitVisible(chromedp.ID("household-facts")),
		fitsWidth(t, "household"),
		chromedp.Click(chromedp.ID("invite")),
		waitVisible(chromedp.ID("invite-link")),
		fitsWidth(t, "household invitation"),
	)
	if err != nil {
		t.Fatalf("household: %v", err)
	}
}

// TestBrowserAccessHistoryVerifies: a staff member reads a resident's
// metadata under an approved grant; the resident's "who accessed my data"
// page checks the checkpoint signature and the entry's inclusion proof in
// the browser itself.
func TestBrowserAccessHistoryVerifies(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m := startMain(t, "")
	bg := context.Background()
	mk := func(email string, role identity.Role) (access.Actor, string) {
		u, en, _, err := m.Identity.CreateUser(bg, email, role, "a long test passphrase")
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{ID: u.ID, Role: role}, en.Secret
	}
	staff, _ := mk("staff@example.org", identity.RoleStaff)
	admin, _ := mk("admin@example.org", identity.RoleAdmin)
	_, anaSecret := mk("ana@example.org", identity.RoleResident)
	g, err := m.Access.RequestGrant(bg, staff, "ana@example.org", "ticket 42: cannot sign in", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Access.DecideGrant(bg, admin, g.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Access.ReadAccountMetadata(bg, staff, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.AwaitCheckpoint(bg, 2); err != nil {
		t.Fatal(err)
	}
	code, err := identity.TOTPCode(anaSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(m.URL()+"/login"),
		chromedp.SendKeys(chromedp.ID("email"), "ana@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), "a long test passphrase"),
		chromedp.Click(chromedp.ID("login")),
		waitVisible(chromedp.ID("verify")),
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("verify")),
		waitVisible(chromedp.ID("access-link")),
		chromedp.Click(chromedp.ID("access-link")),
		waitVisible(chromedp.CSS(".proof-status.verified")),
		fitsWidth(t, "access history"),
	)
	if err != nil {
		t.Fatalf("access history: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("checkpoint-status")))
	if err != nil || !strings.Contains(status, "verifies") {
		t.Fatalf("checkpoint status %q, %v", status, err)
	}
	entry, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".access-entry")))
	if err != nil || !strings.Contains(entry, "inclusion proof checked") || !strings.Contains(entry, m.Access.Pseudonym(staff)) {
		t.Fatalf("entry %q, %v", entry, err)
	}
}

// TestBrowserAccessHistoryCatchesTampering serves the same page with one byte
// of the entry changed: the browser must mark it failed.
func TestBrowserAccessHistoryCatchesTampering(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t)
	m := startMain(t, "")
	bg := context.Background()
	staff := access.Actor{Role: identity.RoleStaff}
	u, _, _, err := m.Identity.CreateUser(bg, "staff@example.org", identity.RoleStaff, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	staff.ID = u.ID
	a, _, _, err := m.Identity.CreateUser(bg, "admin@example.org", identity.RoleAdmin, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	ana, _, _, err := m.Identity.CreateUser(bg, "ana@example.org", identity.RoleResident, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Access.RequestGrant(bg, staff, "ana@example.org", "ticket 42: cannot sign in", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Access.DecideGrant(bg, access.Actor{ID: a.ID, Role: identity.RoleAdmin}, g.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Access.ReadAccountMetadata(bg, staff, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.AwaitCheckpoint(bg, 2); err != nil {
		t.Fatal(err)
	}
	h, err := m.Access.History(bg, ana.ID)
	if err != nil || len(h.Items) != 1 {
		t.Fatalf("history %+v, %v", h.Items, err)
	}
	page := func(entry []byte) string {
		return fmt.Sprintf(`<!doctype html><div id="history" data-checkpoint="%s" data-key="%s" data-commitment="%s" data-size="%d">
<span id="checkpoint-status"></span>
<ul><li class="access-entry" data-entry="%s" data-index="%d" data-proof="%s" data-in-checkpoint="true"><div class="proof-status"></div></li></ul></div>
<script src="/static/access.js"></script>`,
			base64.StdEncoding.EncodeToString(h.Checkpoint.Raw), m.Log.VerifierKey(), h.Commitment, h.Checkpoint.Size,
			base64.StdEncoding.EncodeToString(entry), h.Items[0].LogIndex, joinB64(h.Items[0].Proof))
	}
	tampered := bytes.Replace(h.Items[0].Entry, []byte(`"purpose":"support"`), []byte(`"purpose":"sUpport"`), 1)
	if bytes.Equal(tampered, h.Items[0].Entry) {
		t.Fatal("nothing to tamper with")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page(h.Items[0].Entry)) })
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page(tampered)) })
	mux.Handle("/static/", http.StripPrefix("/", http.FileServer(http.Dir("../../internal/web"))))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/good"), waitVisible(chromedp.CSS(".proof-status.verified"))); err != nil {
		t.Fatalf("the untouched copy does not verify: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/bad"), waitVisible(chromedp.CSS(".proof-status.failed"))); err != nil {
		t.Fatalf("the tampered entry was not caught: %v", err)
	}
}

func joinB64(hashes [][]byte) string {
	var parts []string
	for _, h := range hashes {
		parts = append(parts, base64.StdEncoding.EncodeToString(h))
	}
	return strings.Join(parts, ",")
}
