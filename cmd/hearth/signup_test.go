package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"hearth/internal/identity"
	"hearth/internal/testkit"
)

var csrfFieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestFirstSignUpWithoutSMTP: on a new server with no SMTP server and no
// administrator yet to read the outbox, the person signing up finds the
// confirmation link in the server's log, and it works; with an SMTP server
// set, the link stays out of the log.
func TestFirstSignUpWithoutSMTP(t *testing.T) {
	t.Parallel()
	for _, smtp := range []string{"", "smtp://127.0.0.1:1?from=hearth@example.org"} {
		logs := &testkit.LogBuffer{}
		cfg := Config{Data: t.TempDir(), HTTP: "127.0.0.1:0", MQTT: "127.0.0.1:0", SMTPURL: smtp, LogLevel: "info"}
		m := NewMain(cfg, slog.New(slog.NewTextHandler(io.MultiWriter(logs, io.Discard), nil)))
		m.IdentityConfig.Argon2 = identity.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
		if err := m.Open(context.Background()); err != nil {
			m.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })

		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		form := func(path string) string {
			resp, err := c.Get(m.URL() + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			match := csrfFieldRE.FindSubmatch(b)
			if match == nil {
				t.Fatalf("no form on %s: %d", path, resp.StatusCode)
			}
			return string(match[1])
		}
		resp, err := c.PostForm(m.URL()+"/signup", url.Values{"csrf_token": {form("/signup")}, "email": {"first@example.org"},
			"password": {"a long enough passphrase"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		link := regexp.MustCompile(`/signup/confirm/[A-Za-z0-9_\-]+`).FindString(logs.String())
		if smtp != "" {
			if link != "" || strings.Contains(logs.String(), "first@example.org") {
				t.Fatalf("with an SMTP server the sign-up e-mail went to the log:\n%s", logs.String())
			}
			continue
		}
		if link == "" {
			t.Fatalf("no sign-up link in the log:\n%s", logs.String())
		}
		resp, err = c.PostForm(m.URL()+link, url.Values{"csrf_token": {form(link)}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.Path != "/signup/enroll" {
			t.Fatalf("confirming the link led to %s (%d), want the two-factor enrolment", resp.Request.URL.Path, resp.StatusCode)
		}
	}
}
