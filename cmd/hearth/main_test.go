package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/klog/v2"

	"hearth/internal/access"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/sqlstore/sqltest"
)

// TestMain keeps the log library's info lines (one per new log directory)
// out of the test output; warnings and errors still show.
func TestMain(m *testing.M) {
	klog.SetSlogLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}

// openMain opens the real service with cfg, on clk when it is not nil,
// with cheap password hashing; the caller closes it.
func openMain(t *testing.T, cfg Config, clk *clock.Fake) *Main {
	t.Helper()
	m := NewMain(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if clk != nil {
		m.Clock = clk
	}
	m.IdentityConfig.Argon2 = identity.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	if err := m.Open(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m
}

// startMain runs the real service on port 0 in a temp data directory.
func startMain(t *testing.T, db string) *Main {
	t.Helper()
	m := openMain(t, Config{Data: t.TempDir(), HTTP: "127.0.0.1:0", MQTT: "127.0.0.1:0", DB: db, LogLevel: "warn"}, nil)
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	resp, err := http.Get(m.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body["store"] != "sqlite" || body["version"] == "" {
		t.Fatalf("healthz: %d %v", resp.StatusCode, body)
	}
	if _, err := os.Stat(filepath.Join(m.Config.Data, "hearth.db")); err != nil {
		t.Fatalf("no SQLite database in the data directory: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(m.Config.Data, "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("server secret: %v %v", fi, err)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"admin", "--help"}, {"admin", "create-user", "--help"}, {"version", "--help"}, {"log", "--help"}, {"log", "key", "--help"}, {"log", "verify", "--help"}} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out+errs, "Usage: hearth") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	if code, _, errs := runCLI(t, "", "launch"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: exit %d %s", code, errs)
	}
	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.HasPrefix(out, "hearth ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hearth.toml")
	os.WriteFile(file, []byte("http = \"127.0.0.1:7001\"\ndata = \"/from/file\"\nlog_level = \"debug\"\ndb = \"postgres://hearth:s3cret@db.example/hearth\"\n"), 0o600)
	t.Setenv("HEARTH_HTTP", "127.0.0.1:7002")
	t.Setenv("HEARTH_DATA", "")
	code, out, errs := runCLI(t, "", "serve", "--config", file, "--log-level", "warn", "--print-config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		`http = "127.0.0.1:7002" # env HEARTH_HTTP`, // env beats file
		`data = "/from/file" # file`,                // file beats default (empty env is unset)
		`log_level = "warn" # flag`,                 // flag beats file
		`db = "postgres://hearth:REDACTED@db.example/hearth" # file`,
		`secure_cookies = false # default`,
		`queue_wait = "500ms" # default`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("print-config lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("secret printed:\n%s", out)
	}
	os.WriteFile(file, []byte("htttp = \"x\"\n"), 0o600)
	if code, _, errs := runCLI(t, "", "serve", "--config", file, "--print-config"); code == 0 || !strings.Contains(errs, "unknown setting") {
		t.Errorf("unknown key accepted: %d %s", code, errs)
	}
	for _, bad := range [][]string{{"--db", "mysql://x"}, {"--log-level", "loud"}, {"--tls-cert", "c.pem"}, {"extra"},
		{"--max-requests", "-1"}, {"--max-queued", "many"}, {"--queue-wait", "2h"}, {"--queue-wait", "soon"}} {
		if code, _, errs := runCLI(t, "", append([]string{"serve", "--print-config"}, bad...)...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d %q", bad, code, errs)
		}
	}
}

func TestAdminCreateUserWhileServing(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("a long admin passphrase\n"), 0o600)
	code, out, errs := runCLI(t, "", "admin", "create-user", "--data", m.Config.Data, "--email", "Admin@Example.org", "--role", "admin", "--password-file", pwFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "TOTP secret:") || !strings.Contains(out, "otpauth://totp/") || strings.Count(out, "\n  ") != 10 {
		t.Fatalf("output:\n%s", out)
	}
	// Password on standard input works too; a duplicate e-mail is refused.
	code, _, errs = runCLI(t, "a long admin passphrase\n", "admin", "create-user", "--data", m.Config.Data, "--email", "admin@example.org", "--role", "staff")
	if code != 1 || !strings.Contains(errs, "already") {
		t.Fatalf("duplicate: exit %d %s", code, errs)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"a long admin passphrase\n", []string{"--email", "x@example.org", "--role", "king"}, "--role"},
		{"", []string{"--email", "x@example.org"}, "no password"},
		{"short\n", []string{"--email", "x@example.org"}, "at least 12"},
		{"a long admin passphrase\n", nil, "--email is required"},
	} {
		args := append([]string{"admin", "create-user", "--data", m.Config.Data}, tc.args...)
		if code, _, errs := runCLI(t, tc.stdin, args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q lacks %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestServeAndAdminOnPostgres(t *testing.T) {
	db := sqltest.Postgres(t)
	m := startMain(t, db)
	resp, err := http.Get(m.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 || body["store"] != "postgres" {
		t.Fatalf("healthz: %d %v", resp.StatusCode, body)
	}
	if _, err := os.Stat(filepath.Join(m.Config.Data, "hearth.db")); err == nil {
		t.Fatal("a SQLite file was made although the store is PostgreSQL")
	}
	t.Setenv("HEARTH_DB", db)
	code, out, errs := runCLI(t, "a long staff passphrase\n", "admin", "create-user", "--data", m.Config.Data, "--email", "staff@example.org", "--role", "staff")
	if code != 0 || !strings.Contains(out, "Created staff@example.org (staff)") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	u, err := m.Identity.LogIn(context.Background(), "staff@example.org", "a long staff passphrase", identity.ClientInfo{})
	if err != nil || u.Session.Stage != identity.StageSecondFactor {
		t.Fatalf("the running server does not see the account made by admin: %v", err)
	}
}

func TestLogKeyAndVerify(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	// Three entries: a grant request, its approval and a read.
	var actors []access.Actor
	for _, p := range []struct {
		email string
		role  identity.Role
	}{{"staff@example.org", identity.RoleStaff}, {"admin@example.org", identity.RoleAdmin}, {"ana@example.org", identity.RoleResident}} {
		u, _, _, err := m.Identity.CreateUser(ctx, p.email, p.role, "a long test passphrase")
		if err != nil {
			t.Fatal(err)
		}
		actors = append(actors, access.Actor{ID: u.ID, Role: p.role})
	}
	g, err := m.Access.RequestGrant(ctx, actors[0], "ana@example.org", "ticket 42: cannot sign in", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Access.DecideGrant(ctx, actors[1], g.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Access.ReadAccountMetadata(ctx, actors[0], g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.AwaitCheckpoint(ctx, 2); err != nil {
		t.Fatal(err)
	}

	code, key, errs := runCLI(t, "", "log", "key", "--data", m.Config.Data)
	key = strings.TrimSpace(key)
	if code != 0 || key != m.Log.VerifierKey() {
		t.Fatalf("log key: exit %d %q %s", code, key, errs)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	code, out, errs := runCLI(t, "", "log", "verify", "--url", m.URL()+"/log/", "--key", key, "--state", state, "--entry", "2")
	if code != 0 || !strings.Contains(out, "entry 2 is included") || !strings.Contains(out, `"type":"access.read"`) {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "log", "verify", "--url", m.URL()+"/log", "--state", state)
	if code != 0 || !strings.Contains(out, "consistent with the 3 entries seen before") {
		t.Fatalf("verify with state: exit %d\n%s%s", code, out, errs)
	}
	other, _, _ := strings.Cut(key, "+")
	wrongKey := "other.example+" + strings.TrimPrefix(key, other+"+")
	code, out, errs = runCLI(t, "", "log", "verify", "--url", m.URL()+"/log/", "--key", wrongKey)
	if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
		t.Fatalf("wrong key: exit %d, stderr %q (want one line)\n%s", code, errs, out)
	}
	if code, _, errs := runCLI(t, "", "log", "verify", "--url", m.URL()+"/log/", "--entry", "99"); code != 1 || errs == "" {
		t.Fatalf("entry beyond the tree: exit %d %q", code, errs)
	}
	if code, _, _ := runCLI(t, "", "log", "verify"); code != 2 {
		t.Fatalf("missing --url: exit %d", code)
	}
}
