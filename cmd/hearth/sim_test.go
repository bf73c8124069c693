package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/gif"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sim"
	"hearth/internal/testkit"
	"hearth/internal/vault"
)

// simClock is a fake clock for a virtual device, some minutes back so that
// its events and clips are never dated ahead of the server's clock.
func simClock() *clock.Fake {
	return clock.NewFake(time.Now().Add(-10 * time.Minute).Truncate(time.Second))
}

// simConnected waits until a virtual device on clk is connected: it sets
// its heartbeat and event timers only once the broker has taken it, its
// online mark is stored and its first heartbeat acknowledged.
func simConnected(t *testing.T, clk *clock.Fake) {
	t.Helper()
	if err := clk.WaitTimers(testkit.Deadline(t), 2); err != nil {
		t.Fatalf("the device did not connect: %v", err)
	}
}

// simLog collects a virtual device's log for failure messages, and tells
// when a line holding a given text is written.
type simLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed, and replaced, at each write
}

func (l *simLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return l.buf.Write(p)
}

// await waits until the log holds text, failing the test if the test's
// deadline comes first.
func (l *simLog) await(t *testing.T, text string) {
	t.Helper()
	ctx := testkit.Deadline(t)
	for {
		l.mu.Lock()
		if strings.Contains(l.buf.String(), text) {
			l.mu.Unlock()
			return
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the log never said %q:\n%s", text, l)
		}
	}
}

func (l *simLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// simHousehold makes a resident with a household and, if withKey, an age
// key set through the API as a browser would.
func simHousehold(t *testing.T, m *Main, email string, withKey bool) (*apiClient, *household.Household, identity.UserID, *age.X25519Identity) {
	t.Helper()
	api, home := resident(t, m, email)
	user, err := m.Identity.LookUp(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if !withKey {
		return api, home, user, nil
	}
	id, recipient, wrapped, err := vault.NewMemberKey("a long key passphrase", vault.WithWorkFactor(18))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"recipient": recipient, "wrapped_identity": base64.StdEncoding.EncodeToString(wrapped)})
	if st := api.do("PUT", "/api/v1/me/key", bytes.NewReader(body), nil); st != http.StatusNoContent {
		t.Fatalf("set key: %d", st)
	}
	return api, home, user, id
}

func simOnline(t *testing.T, m *Main, user identity.UserID, hh household.ID, id string) bool {
	t.Helper()
	list, err := m.Devices.List(context.Background(), user, hh)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		if string(d.ID) == id {
			return d.Online
		}
	}
	t.Fatalf("device %s not listed", id)
	return false
}

type simClip struct {
	ID     string    `json:"id"`
	Device string    `json:"device_id"`
	Kind   string    `json:"kind"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

func simClips(t *testing.T, api *apiClient, hh household.ID) []simClip {
	t.Helper()
	var list struct{ Clips []simClip }
	if st := api.do("GET", "/api/v1/households/"+string(hh)+"/clips", nil, &list); st != http.StatusOK {
		t.Fatalf("list clips: %d", st)
	}
	return list.Clips
}

// TestSimDeviceEndToEnd runs a virtual doorbell against the real service:
// it pairs over HTTP, comes online over MQTT, reports motion, and the clip
// it records reaches the member encrypted; the member decrypts a GIF that
// the server never held in the clear. A record command makes another clip;
// revoking the device stops it.
func TestSimDeviceEndToEnd(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	ana, home, anaID, key := simHousehold(t, m, "ana@example.org", true)

	code, _, err := m.Devices.StartPairing(ctx, anaID, home.ID, device.KindDoorbell, "Front door")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := sim.Pair(ctx, nil, m.URL(), code)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Kind != "doorbell" || creds.Name != "Front door" || creds.HouseholdID != string(home.ID) || !strings.HasPrefix(creds.Credential, "hdc_") {
		t.Fatalf("credentials %+v", creds)
	}
	logs := &simLog{}
	clk, reports := simClock(), make(chan sim.Report, 10)
	d, err := sim.New(sim.Config{
		Server: m.URL(), Credentials: creds, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Heartbeat: time.Hour, EventEvery: time.Hour, // only what the test triggers
		Clock: clk, OnReport: func(r sim.Report) { reports <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	defer func() {
		if t.Failed() {
			t.Logf("device log:\n%s", logs)
		}
	}()

	simConnected(t, clk)
	if !simOnline(t, m, anaID, home.ID, creds.DeviceID) {
		t.Fatal("the connected device does not show online")
	}
	clipID, err := d.Trigger(ctx, "motion")
	if err != nil || clipID == "" {
		t.Fatalf("trigger motion: clip %q, %v", clipID, err)
	}

	// Acknowledged means stored: no waiting for the event.
	events, err := m.Devices.Events(ctx, anaID, home.ID, time.Now().Add(-time.Hour), time.Now().Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	var motions []*device.Event
	for _, e := range events {
		if string(e.Device) == creds.DeviceID && e.Type == device.EventMotion {
			motions = append(motions, e)
		}
	}
	if len(motions) != 1 || motions[0].Data["zone"] == nil {
		t.Fatalf("motion events: %+v", motions)
	}

	clips := simClips(t, ana, home.ID)
	if len(clips) != 1 || clips[0].ID != clipID || clips[0].Device != creds.DeviceID || clips[0].Kind != "video" ||
		clips[0].End.Sub(clips[0].Start) != sim.DefaultClipLength || !clips[0].End.Equal(motions[0].At) {
		t.Fatalf("clips %+v, motion at %v", clips, motions[0].At)
	}
	var ciphertext []byte
	if st := ana.do("GET", "/api/v1/clips/"+clipID+"/content", nil, &ciphertext); st != http.StatusOK {
		t.Fatalf("download: %d", st)
	}
	r, err := age.Decrypt(bytes.NewReader(ciphertext), key)
	if err != nil {
		t.Fatal(err)
	}
	plaintext, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(plaintext))
	if err != nil {
		t.Fatalf("the decrypted clip is not a GIF: %v", err)
	}
	if len(g.Image) != int(sim.DefaultClipLength/time.Second)*sim.FramesPerSecond || !bytes.Contains(plaintext, []byte(`hearth-sim-plaintext device="Front door"`)) {
		t.Fatalf("decrypted clip: %d frames, marker %v", len(g.Image), bytes.Contains(plaintext, []byte(plaintextMarker)))
	}

	// A ring records too; a battery report does not.
	if id, err := d.Trigger(ctx, "ding"); err != nil || id == "" || id == clipID {
		t.Fatalf("trigger ding: %q %v", id, err)
	}
	if id, err := d.Trigger(ctx, "battery"); err != nil || id != "" {
		t.Fatalf("trigger battery: %q %v", id, err)
	}
	if _, err := d.Trigger(ctx, "explosion"); err == nil {
		t.Fatal("an unknown event type was sent")
	}

	// A member's record command makes the device record for that long.
	if err := m.Devices.SendCommand(ctx, anaID, device.ID(creds.DeviceID), device.Command{Name: device.CommandRecord, Args: map[string]any{"seconds": float64(1)}}); err != nil {
		t.Fatal(err)
	}
	// It records for a second of its clock from when the command arrives,
	// which its timer for the end of the recording tells.
	if err := clk.WaitTimers(testkit.Deadline(t), 3); err != nil {
		t.Fatalf("the device did not start recording: %v", err)
	}
	clk.Advance(time.Second)
	select {
	case r := <-reports:
		if r.Event != "" || r.Clip == "" || r.Err != nil {
			t.Fatalf("recording on command: %+v", r)
		}
	case <-testkit.Deadline(t).Done():
		t.Fatal("the recording on command was not uploaded")
	}
	if n := len(simClips(t, ana, home.ID)); n != 3 {
		t.Fatalf("%d clips after the recording on command, want 3", n)
	}

	// No file the server keeps holds the plaintext.
	err = filepath.WalkDir(m.Config.Data, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(sim.PlaintextMarker)) {
			t.Errorf("%s holds plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Revoked, the device is cut off and Run gives up with the reason.
	if err := m.Devices.Revoke(ctx, anaID, device.ID(creds.DeviceID)); err != nil {
		t.Fatal(err)
	}
	// The broker drops the device at once. The device says so, then waits
	// on its clock to try again, and is refused.
	logs.await(t, "retrying")
	if err := clk.WaitTimers(testkit.Deadline(t), 1); err != nil {
		t.Fatalf("the revoked device did not wait to reconnect: %v", err)
	}
	clk.Advance(time.Minute)
	select {
	case err := <-done:
		if !errors.Is(err, sim.ErrRefused) {
			t.Fatalf("Run after revocation: %v", err)
		}
	case <-testkit.Deadline(t).Done():
		t.Fatal("Run goes on after the device was revoked")
	}
}

// TestSimDeviceWithoutKeys: with no member key there is nobody to encrypt
// to, so the event is reported and the clip skipped, not failed.
func TestSimDeviceWithoutKeys(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	ana, home, anaID, _ := simHousehold(t, m, "ana@example.org", false)
	code, _, err := m.Devices.StartPairing(ctx, anaID, home.ID, device.KindCamera, "Garden")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := sim.Pair(ctx, nil, m.URL(), code)
	if err != nil {
		t.Fatal(err)
	}
	clk := simClock()
	d, err := sim.New(sim.Config{Server: m.URL(), Credentials: creds, Heartbeat: time.Hour, EventEvery: time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	simConnected(t, clk)
	clipID, err := d.Trigger(ctx, "motion")
	if err != nil || clipID != "" {
		t.Fatalf("trigger without keys: clip %q, %v", clipID, err)
	}
	if clips := simClips(t, ana, home.ID); len(clips) != 0 {
		t.Fatalf("clips %+v", clips)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if _, err := d.Trigger(ctx, "motion"); !errors.Is(err, sim.ErrNotConnected) {
		t.Fatalf("trigger after Run: %v", err)
	}
}

// runSimCLI runs hearth sim with ctx, for commands that run until cancelled.
func runSimCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, append([]string{"sim"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSimCommandFlags(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--server is required"},
		{[]string{"--server", "127.0.0.1:8080", "--pairing-code", "ABCD-EFGH", "--kind", "camera"}, "not an http(s) URL"},
		{[]string{"--server", "http://127.0.0.1:1", "--pairing-code", "ABCD-EFGH", "--kind", "toaster"}, `--kind "toaster": use one of doorbell, camera`},
		{[]string{"--server", "http://127.0.0.1:1", "--kind", "camera"}, "--pairing-code is required"},
		{[]string{"--server", "http://127.0.0.1:1", "--pairing-code", "ABCD-EFGH"}, "--kind is required"},
		{[]string{"--server", "http://127.0.0.1:1", "--state", missing}, "does not exist yet"},
		{[]string{"--server", "http://127.0.0.1:1", "--pairing-code", "ABCD-EFGH", "--kind", "camera", "--heartbeat", "0s"}, "--heartbeat"},
		{[]string{"--server", "http://127.0.0.1:1", "--pairing-code", "ABCD-EFGH", "--kind", "camera", "--every", "10ms"}, "--every"},
		{[]string{"--server", "http://127.0.0.1:1", "--pairing-code", "ABCD-EFGH", "--kind", "camera", "--name", strings.Repeat("n", 65)}, "--name"},
		{[]string{"--server", "http://127.0.0.1:1", "camera"}, "unexpected argument"},
	} {
		code, _, errs := runSimCLI(context.Background(), tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q lacks %q", tc.args, code, errs, tc.want)
		}
	}
	// The flag package's own complaints exit 1, as for every command.
	if code, _, errs := runSimCLI(context.Background(), "--server", "http://127.0.0.1:1", "--every"); code == 0 || !strings.Contains(errs, "flag needs an argument") {
		t.Errorf("--every without a value: exit %d %q", code, errs)
	}
	if code, _, errs := runSimCLI(context.Background(), "--help"); code != 0 || !strings.Contains(errs, "Usage: hearth sim") {
		t.Errorf("--help: exit %d %q", code, errs)
	}
	if _, out, _ := runCLI(t, "", "--help"); !strings.Contains(out, "sim ") {
		t.Errorf("hearth --help does not list sim:\n%s", out)
	}
	nowhere := filepath.Join(t.TempDir(), "no-such-dir", "state.json")
	if code, _, errs := runSimCLI(context.Background(), "--server", "http://127.0.0.1:1", "--pairing-code", "ABCD-EFGH", "--kind", "camera", "--state", nowhere); code != 1 || !strings.Contains(errs, "directory does not exist") {
		t.Errorf("state in a missing directory: exit %d %q", code, errs)
	}
	if code, _, errs := runSimCLI(context.Background(), "--server", "http://127.0.0.1:1", "--pairing-code", "ABCD-EFGH", "--kind", "camera"); code != 1 || !strings.Contains(errs, "Cannot reach Hearth") {
		t.Errorf("server down: exit %d %q", code, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{}"), 0o600)
	if code, _, errs := runSimCLI(context.Background(), "--server", "http://127.0.0.1:1", "--state", bad); code != 1 || !strings.Contains(errs, "does not hold a device's credentials") {
		t.Errorf("state file without credentials: exit %d %q", code, errs)
	}
}

// TestSimCommand pairs and runs a device from the command line, keeps its
// credentials, and runs it again from them.
func TestSimCommand(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	_, home, anaID, _ := simHousehold(t, m, "ana@example.org", false)

	if code, _, errs := runSimCLI(ctx, "--server", m.URL(), "--pairing-code", "ABCD-EFGH", "--kind", "camera"); code != 1 || !strings.Contains(errs, "pairing code is not valid") {
		t.Fatalf("wrong code: exit %d %q", code, errs)
	}

	// A code made for a camera, run as a doorbell: refused, but the
	// credentials are kept.
	code, _, err := m.Devices.StartPairing(ctx, anaID, home.ID, device.KindCamera, "Garage")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "garage.json")
	exit, out, errs := runSimCLI(ctx, "--server", m.URL(), "--pairing-code", strings.ToLower(code), "--kind", "doorbell", "--state", state)
	if exit != 1 || !strings.Contains(errs, "is of kind camera, not doorbell") || !strings.Contains(out, "Paired") {
		t.Fatalf("kind mismatch: exit %d\n%s%s", exit, out, errs)
	}
	fi, err := os.Stat(state)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	var saved sim.Credentials
	b, _ := os.ReadFile(state)
	if err := json.Unmarshal(b, &saved); err != nil || saved.Kind != "camera" || saved.Credential == "" {
		t.Fatalf("state %s: %v", b, err)
	}
	if exit, _, errs := runSimCLI(ctx, "--server", m.URL(), "--pairing-code", code, "--kind", "camera", "--state", state); exit != 2 || !strings.Contains(errs, "already holds device") {
		t.Fatalf("pairing over a state file: exit %d %q", exit, errs)
	}

	// Run from the state file until interrupted.
	runCtx, stop := context.WithCancel(ctx)
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	logs := &simLog{}
	go func() {
		var out bytes.Buffer
		c := run(runCtx, []string{"sim", "--server", m.URL(), "--state", state, "--kind", "camera", "--heartbeat", "1s"}, strings.NewReader(""), &out, logs)
		done <- result{c, out.String(), logs.String()}
	}()
	// The device says it is connected once the broker has taken it, after
	// its online mark is stored.
	logs.await(t, "msg=connected")
	if !simOnline(t, m, anaID, home.ID, saved.DeviceID) {
		t.Fatal("the connected device does not show online")
	}
	stop()
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.out, "is running") || !strings.Contains(r.err, "connected") {
			t.Fatalf("run from state: exit %d\n%s%s", r.code, r.out, r.err)
		}
	case <-testkit.Deadline(t).Done():
		t.Fatal("hearth sim does not stop when interrupted")
	}
}
