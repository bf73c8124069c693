package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/sim"
	"hearth/internal/testkit"
	"hearth/internal/vault"
)

// startTestDemo runs the demo on a fresh Main and returns its state and
// what it printed. Its devices run on a fake clock that nothing moves: they
// stay connected and quiet, and the six clips the demo starts with are all
// there is.
func startTestDemo(t *testing.T) (*Main, *demoState, string) {
	m, st, out, _ := startDrivenDemo(t)
	return m, st, out
}

// startDrivenDemo is startTestDemo with the devices' clock and reports,
// for tests that make the devices report and record.
func startDrivenDemo(t *testing.T) (*Main, *demoState, string, *demoRun) {
	t.Helper()
	m := startMain(t, "")
	run := newDemoRun()
	var out bytes.Buffer
	if err := startDemo(context.Background(), m, run.options(), &out); err != nil {
		t.Fatal(err)
	}
	st, err := loadDemoState(filepath.Join(m.Config.Data, "demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m, st, out.String(), run
}

// demoRun drives the demo's virtual devices: they run on a fake clock and
// tell each event they report on their schedule.
type demoRun struct {
	clock   *clock.Fake
	reports chan sim.Report
}

// Pace of the driven devices: an event about every second of the fake
// clock, so that moving it on by demoRound makes every device report once;
// heartbeats never come due.
const (
	demoEventEvery = time.Second
	demoRound      = demoEventEvery * 3 / 2 // the longest wait between events
)

func newDemoRun() *demoRun {
	// Some minutes back, so that however many rounds a test runs the
	// devices' times stay behind the server's and no event or clip is
	// refused as dated in the future.
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	return &demoRun{clock: clock.NewFake(start), reports: make(chan sim.Report, 1024)}
}

func (r *demoRun) options() demoOptions {
	return demoOptions{EventEvery: demoEventEvery, Heartbeat: time.Hour, Clock: r.clock,
		OnReport: func(rep sim.Report) { r.reports <- rep }}
}

// round waits until every demo device is connected and waiting on its
// timers, moves the clock on so that each reports an event, and waits
// until each has reported it (and uploaded its clip). It returns the events.
func (r *demoRun) round(t *testing.T) []sim.Report {
	t.Helper()
	ctx := testkit.Deadline(t)
	// Each connected device waits on two timers: its heartbeat and its
	// next event.
	if err := r.clock.WaitTimers(ctx, 2*len(demoDevices)); err != nil {
		t.Fatalf("the demo devices did not all connect: %d of %d timers set", r.clock.Timers(), 2*len(demoDevices))
	}
	r.clock.Advance(demoRound)
	var reps []sim.Report
	for range demoDevices {
		select {
		case rep := <-r.reports:
			if rep.Err != nil {
				t.Fatalf("a demo device reported %s: %v", rep.Event, rep.Err)
			}
			reps = append(reps, rep)
		case <-ctx.Done():
			t.Fatalf("the demo devices reported %d events of %d", len(reps), len(demoDevices))
		}
	}
	return reps
}

// untilClips runs rounds until the demo household holds at least n clips.
// Not every event records (a battery report does not), so the number of
// rounds varies; a hundred would see any working device record.
func (r *demoRun) untilClips(t *testing.T, m *Main, user identity.UserID, st *demoState, n int) []*vault.Clip {
	t.Helper()
	for range 100 {
		if clips := listClips(t, m, user, st, 0); len(clips) >= n {
			return clips
		}
		r.round(t)
	}
	return listClips(t, m, user, st, n)
}

// listClips returns the demo household's clips, failing the test if there
// are fewer than n.
func listClips(t *testing.T, m *Main, user identity.UserID, st *demoState, n int) []*vault.Clip {
	t.Helper()
	clips, err := m.Vault.List(context.Background(), user, st.Household, time.Unix(0, 0), time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) < n {
		t.Fatalf("the demo stored %d clips; want %d", len(clips), n)
	}
	return clips
}

// TestDemoStoresNoPlaintext runs the demo until every virtual device has
// recorded, checks that a member decrypts a clip with the passphrase the
// demo printed, stops the service, and then scans every file under the data
// directory (database, its journal, blobs, log) for the clips' plaintext.
func TestDemoStoresNoPlaintext(t *testing.T) {
	t.Parallel()
	m, st, out, run := startDrivenDemo(t)
	ctx := context.Background()
	for _, mem := range st.Members {
		if !strings.Contains(out, mem.Email) || !strings.Contains(out, mem.Password) || !strings.Contains(out, mem.Passphrase) {
			t.Fatalf("the demo did not print %s's sign-in details:\n%s", mem.Email, out)
		}
	}
	if len(st.Devices) != 3 {
		t.Fatalf("demo devices: %d", len(st.Devices))
	}
	ana, err := m.Identity.LookUp(ctx, st.Members[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	// Both members sign in with e-mail and password alone.
	for _, mem := range st.Members {
		g, err := m.Identity.LogIn(ctx, mem.Email, mem.Password, identity.ClientInfo{Addr: "127.0.0.1"})
		if err != nil || g.Session.Stage != identity.StageFull {
			t.Fatalf("%s signs in: %v", mem.Email, err)
		}
	}

	clips := run.untilClips(t, m, ana, st, 6+3) // the 6 the demo starts with, and some the devices record
	recorded := map[string]bool{}
	for _, c := range clips {
		recorded[string(c.Device)] = true
	}
	for i := 0; len(recorded) < 2 && i < 100; i++ { // the doorbell and at least one camera
		for _, rep := range run.round(t) {
			if rep.Clip != "" {
				c, err := m.Vault.Clip(ctx, ana, vault.ClipID(rep.Clip))
				if err != nil {
					t.Fatal(err)
				}
				recorded[string(c.Device)] = true
			}
		}
	}
	if len(recorded) < 2 {
		t.Fatalf("clips came from %d devices", len(recorded))
	}
	// The devices report events as they run (the clips the demo starts
	// with were uploaded without any); an event is stored before the
	// device hears it was taken.
	events, err := m.Devices.Events(ctx, ana, st.Household, run.clock.Now().Add(-time.Hour), run.clock.Now().Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 {
		t.Fatal("the demo devices reported no event")
	}

	// Ben, the second member, decrypts a clip with his printed passphrase.
	ben, _ := m.Identity.LookUp(ctx, st.Members[1].Email)
	_, wrapped, err := m.Vault.Key(ctx, ben)
	if err != nil {
		t.Fatal(err)
	}
	id, err := vault.UnlockMemberKey(wrapped, st.Members[1].Passphrase)
	if err != nil {
		t.Fatal(err)
	}
	_, body, err := m.Vault.OpenForMember(ctx, ben, clips[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(body, id)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	body.Close()
	if err != nil || !bytes.HasPrefix(plain, []byte("GIF89a")) || !bytes.Contains(plain, []byte(plaintextMarker)) {
		t.Fatalf("decrypted demo clip: %d bytes, %v", len(plain), err)
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(m.Config.Data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(b, []byte(plaintextMarker)) {
			t.Errorf("%s holds clip plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < len(clips)+2 {
		t.Fatalf("scanned only %d files", files)
	}
}

// TestVaultCLI exports a demo member's identity with the CLI, downloads and
// decrypts a clip with "hearth vault get", and decrypts the downloaded
// ciphertext with the age tool.
func TestVaultCLI(t *testing.T) {
	m, st, _ := startTestDemo(t)
	ctx := context.Background()
	ana, _ := m.Identity.LookUp(ctx, st.Members[0].Email)
	clip := listClips(t, m, ana, st, 1)[0]
	token, _, err := m.Identity.CreateAPIToken(ctx, ana, "cli", []identity.Scope{identity.ScopeAccountRead})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokenFile, idFile := filepath.Join(dir, "token"), filepath.Join(dir, "id.txt")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)

	// Mistakes are told, not panicked on.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"vault", "get", "--clip", string(clip.ID), "-o", "x"}, "--server is required"},
		{[]string{"vault", "get", "--server", m.URL(), "--token-file", tokenFile, "--clip", "../etc", "-o", "x"}, "--clip must be"},
		{[]string{"vault", "get", "--server", m.URL(), "--token-file", tokenFile, "--clip", string(clip.ID), "-o", "x"}, "--identity is required"},
		{[]string{"vault", "get", "--server", "ftp://x", "--token-file", tokenFile, "--clip", string(clip.ID)}, "not an http(s) URL"},
		{[]string{"vault", "key", "export", "--server", m.URL(), "--identity-out", idFile}, "API token"},
		{[]string{"vault", "key"}, "say create or export"},
	} {
		code, _, stderr := runCLI(t, "", c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, stderr, c.want)
		}
	}
	t.Setenv("HEARTH_TOKEN", "")
	if code, _, stderr := runCLI(t, "not the passphrase\n", "vault", "key", "export", "--server", m.URL(), "--token-file", tokenFile, "--identity-out", idFile); code != 1 || !strings.Contains(stderr, "passphrase is not correct") {
		t.Fatalf("export with a wrong passphrase: %d %s", code, stderr)
	}
	if _, err := os.Stat(idFile); err == nil {
		t.Fatal("a failed export left an identity file")
	}
	if code, stdout, stderr := runCLI(t, st.Members[0].Passphrase+"\n", "vault", "key", "export", "--server", m.URL(), "--token-file", tokenFile, "--identity-out", idFile); code != 0 || !strings.Contains(stdout, "age1") {
		t.Fatalf("export: %d %s %s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "clip.gif")
	if code, _, stderr := runCLI(t, "", "vault", "get", "--server", m.URL(), "--token-file", tokenFile, "--clip", string(clip.ID), "--identity", idFile, "-o", out); code != 0 {
		t.Fatalf("vault get: %d %s", code, stderr)
	}
	plain, _ := os.ReadFile(out)
	if !bytes.HasPrefix(plain, []byte("GIF89a")) || !bytes.Contains(plain, []byte(plaintextMarker)) {
		t.Fatalf("vault get wrote %d bytes that are not the clip", len(plain))
	}
	// Someone else's identity opens nothing and leaves no output behind.
	other, _ := age.GenerateX25519Identity()
	otherFile := filepath.Join(dir, "other.txt")
	os.WriteFile(otherFile, []byte(other.String()+"\n"), 0o600)
	if code, _, stderr := runCLI(t, "", "vault", "get", "--server", m.URL(), "--token-file", tokenFile, "--clip", string(clip.ID), "--identity", otherFile, "-o", filepath.Join(dir, "nope")); code != 1 || !strings.Contains(stderr, "cannot open") {
		t.Fatalf("vault get with another identity: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("a failed decryption left output behind")
	}
	// A clip that does not exist, or is not the member's, is just not found.
	if code, _, stderr := runCLI(t, "", "vault", "get", "--server", m.URL(), "--token-file", tokenFile, "--clip", "c_doesnotexist", "--identity", idFile, "-o", "-"); code != 1 || !strings.Contains(stderr, "not") {
		t.Fatalf("unknown clip: %d %s", code, stderr)
	}

	// Ana moves to a new key. Her old clips stay closed to it until she
	// rewraps them with her old identity; nothing is uploaded again.
	writer, _, err := m.Identity.CreateAPIToken(ctx, ana, "cli-write", []identity.Scope{identity.ScopeAccountRead, identity.ScopeAccountWrite})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(tokenFile, []byte(writer), 0o600)
	newIDFile := filepath.Join(dir, "new-id.txt")
	if code, _, stderr := runCLI(t, "ana's brand new passphrase\n", "vault", "key", "create", "--server", m.URL(), "--token-file", tokenFile, "--identity-out", newIDFile); code != 1 || !strings.Contains(stderr, "already have a key") {
		t.Fatalf("key create over an existing key: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "ana's brand new passphrase\n", "vault", "key", "create", "--replace", "--server", m.URL(), "--token-file", tokenFile, "--identity-out", newIDFile); code != 0 {
		t.Fatalf("key create --replace: %d %s", code, stderr)
	}
	get := func(idf string) (int, string) {
		code, _, stderr := runCLI(t, "", "vault", "get", "--server", m.URL(), "--token-file", tokenFile, "--clip", string(clip.ID), "--identity", idf, "-o", filepath.Join(dir, "again.gif"))
		return code, stderr
	}
	if code, stderr := get(newIDFile); code != 1 || !strings.Contains(stderr, "cannot open") {
		t.Fatalf("new key before the rewrap: %d %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "", "vault", "rewrap", "--server", m.URL(), "--token-file", tokenFile, "--household", string(st.Household), "--identity", idFile)
	if code != 0 || !strings.Contains(stdout, "clips now open with age1") {
		t.Fatalf("rewrap: %d %s %s", code, stdout, stderr)
	}
	if code, stderr := get(newIDFile); code != 0 {
		t.Fatalf("new key after the rewrap: %d %s", code, stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "again.gif")); !bytes.Equal(again, plain) {
		t.Fatal("the rewrapped clip decrypts to something else")
	}

	// What the server sends opens with Debian's age tool: here the new
	// key's header in front of the payload as uploaded.
	ct := filepath.Join(dir, "clip.age")
	if code, _, stderr := runCLI(t, "", "vault", "get", "--server", m.URL(), "--token-file", tokenFile, "--clip", string(clip.ID), "--encrypted", "-o", ct); code != 0 {
		t.Fatalf("vault get --encrypted: %d %s", code, stderr)
	}
	agePath, err := exec.LookPath("age")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the age tool is not installed (apt-get install -y age)")
		}
		t.Skip("the age tool is not installed")
	}
	got, err := exec.Command(agePath, "-d", "-i", newIDFile, ct).Output()
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("age -d: %v (%d bytes)", err, len(got))
	}
}

// TestDemoRestarts stops the demo and starts it again on the same data: the
// same members and devices come back (the broker may have a new port) and
// record again.
func TestDemoRestarts(t *testing.T) {
	t.Parallel()
	m, st, _ := startTestDemo(t)
	ctx := context.Background()
	ana, _ := m.Identity.LookUp(ctx, st.Members[0].Email)
	before := len(listClips(t, m, ana, st, 1))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := m.Config
	cfg.MQTT = "127.0.0.1:0"
	m2 := NewMain(cfg, m.Logger)
	m2.IdentityConfig = m.IdentityConfig
	if err := m2.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m2.Close() })
	var out bytes.Buffer
	run := newDemoRun()
	if err := startDemo(ctx, m2, run.options(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), st.Members[0].Password) {
		t.Fatalf("the restarted demo printed other details:\n%s", out.String())
	}
	st2, err := loadDemoState(filepath.Join(cfg.Data, "demo.json"))
	if err != nil || st2.Household != st.Household {
		t.Fatalf("state after restart: %+v, %v", st2, err)
	}
	run.untilClips(t, m2, ana, st, before+3)
}
