package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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

func newBrowser(t *testing.T) context.Context {
	t.Helper()
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

func TestBrowserSignUpTwoFactorLogInAgain(t *testing.T) {
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
		chromedp.WaitVisible(chromedp.ID("totp-secret")),
		fitsWidth(t, "enrollment"),
	)
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
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
		fitsWidth(t, "recovery codes"),
		chromedp.Click(chromedp.ID("continue")),
		chromedp.WaitVisible(chromedp.ID("account-email")),
		fitsWidth(t, "account"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			shown, err = chromedp.Text(chromedp.ID("account-email"))(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login")),
		fitsWidth(t, "sign-in"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("verify")),
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
		chromedp.WaitVisible(chromedp.ID("account-email")),
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
}
