package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/eclipse/paho.golang/paho"

	"hearth/client"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/vault"
)

const plaintextMarker = "hearth-sim-plaintext"

// apiClient calls the JSON API as one account, with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c *apiClient) do(method, path string, body io.Reader, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if p, ok := out.(*[]byte); ok {
			*p = b
		} else if len(b) > 0 {
			json.Unmarshal(b, out)
		}
	}
	return resp.StatusCode
}

// typed returns a client of the API acting as c does.
func (c *apiClient) typed() *client.Client {
	c.t.Helper()
	var opts []client.Option
	if c.token != "" {
		opts = append(opts, client.WithToken(c.token))
	}
	api, err := client.New(c.base, opts...)
	if err != nil {
		c.t.Fatal(err)
	}
	return api
}

// resident makes an account with a household and an API token.
func resident(t *testing.T, m *Main, email string) (*apiClient, *household.Household) {
	t.Helper()
	ctx := context.Background()
	u, _, _, err := m.Identity.CreateUser(ctx, email, identity.RoleResident, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := m.Identity.CreateAPIToken(ctx, u.ID, "test", []identity.Scope{identity.ScopeAccountRead, identity.ScopeAccountWrite})
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.Households.Create(ctx, u.ID, household.NewHousehold{Name: email, Home: household.Location{Lat: 48.85, Lng: 2.35}, TimeZone: "Europe/Paris", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: m.URL(), token: token}, h
}

// TestEndToEnd runs the real service with its embedded broker: a camera
// pairs, reports motion over MQTT, uploads a clip encrypted on the device to
// the household's member, and the member downloads and decrypts it. The
// server never holds the plaintext, and another household learns nothing.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	anaAPI, home := resident(t, m, "ana@example.org")
	bobAPI, _ := resident(t, m, "bob@example.org")
	ana, bob := anaAPI.typed(), bobAPI.typed()

	// Ana's key: made on her side; the server gets the recipient and the
	// passphrase-wrapped identity only.
	id, recipient, wrapped, err := vault.NewMemberKey("ana's long key passphrase", vault.WithWorkFactor(18))
	if err != nil {
		t.Fatal(err)
	}
	if err := ana.SetKey(ctx, client.Key{Recipient: recipient, WrappedIdentity: wrapped}); err != nil {
		t.Fatalf("set key: %v", err)
	}

	// Pairing: Ana gets a code; the camera exchanges it for its credential.
	anaUser, _ := m.Identity.LookUp(ctx, "ana@example.org")
	code, _, err := m.Devices.StartPairing(ctx, anaUser, home.ID, device.KindCamera, "Front door")
	if err != nil {
		t.Fatal(err)
	}
	anon := (&apiClient{t: t, base: m.URL()}).typed()
	paired, err := anon.Pair(ctx, code)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	if _, err := anon.Pair(ctx, code); !client.IsCode(err, client.NotFound) {
		t.Fatalf("second use of the pairing code: %v", err)
	}

	// The camera connects over MQTT and reports motion.
	u, err := url.Parse(paired.MQTTURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cl := paho.NewClient(paho.ClientConfig{ClientID: string(paired.DeviceID), Conn: conn})
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cl.Connect(cctx, &paho.Connect{ClientID: string(paired.DeviceID), KeepAlive: 30, CleanStart: true,
		Username: string(paired.DeviceID), UsernameFlag: true, Password: []byte(paired.Credential), PasswordFlag: true}); err != nil {
		t.Fatal(err)
	}
	defer cl.Disconnect(&paho.Disconnect{})
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := cl.Publish(cctx, &paho.Publish{QoS: 1, Topic: "hearth/d/" + string(paired.DeviceID) + "/events/motion",
		Payload: []byte(`{"type":"motion","at":"` + now.Format(time.RFC3339) + `","data":{}}`)}); err != nil {
		t.Fatal(err)
	}
	events, err := m.Devices.Events(ctx, anaUser, home.ID, now.Add(-time.Minute), now.Add(time.Minute), 10)
	if err != nil || len(events) != 1 || events[0].Type != device.EventMotion {
		t.Fatalf("events after a QoS 1 publish: %+v, %v", events, err)
	}

	// The camera records: encrypts on its side to the members, uploads.
	camera, err := client.New(m.URL(), client.WithDevice(paired.DeviceID, paired.Credential))
	if err != nil {
		t.Fatal(err)
	}
	recipients, err := camera.Recipients(ctx)
	if err != nil || len(recipients) != 1 || recipients[0] != recipient {
		t.Fatalf("recipients %v, %v", recipients, err)
	}
	plaintext := []byte(strings.Repeat(plaintextMarker+" frame at "+now.Format(time.RFC3339)+"\n", 2000))
	var ct bytes.Buffer
	r0, _ := age.ParseX25519Recipient(recipient)
	wc, err := age.Encrypt(&ct, r0)
	if err != nil {
		t.Fatal(err)
	}
	wc.Write(plaintext)
	wc.Close()
	upload := client.ClipUpload{Kind: "video", Start: now.Add(-10 * time.Second), End: now}
	clip, created, err := camera.UploadClip(ctx, upload, bytes.NewReader(ct.Bytes()))
	if err != nil || !created {
		t.Fatalf("upload: created=%v %v", created, err)
	}
	// Plaintext is refused outright.
	if _, _, err := camera.UploadClip(ctx, upload, bytes.NewReader(plaintext)); !client.IsCode(err, client.Invalid) {
		t.Fatalf("plaintext upload: %v", err)
	}

	// Ana lists, downloads and decrypts.
	list, err := ana.Clips(ctx, client.HouseholdID(home.ID), client.ClipQuery{})
	if err != nil || len(list) != 1 || list[0].ID != clip.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
	body, err := ana.ClipContent(ctx, clip.ID)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	downloaded, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	dr, err := age.Decrypt(bytes.NewReader(downloaded), id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(dr)
	if !bytes.Equal(got, plaintext) {
		t.Fatal("decrypted clip differs")
	}
	// The standard age tool decrypts it too (CI installs Debian's age).
	if agePath, err := exec.LookPath("age"); err == nil {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "id.txt"), []byte(id.String()+"\n"), 0o600)
		os.WriteFile(filepath.Join(dir, "clip.age"), downloaded, 0o600)
		out, err := exec.Command(agePath, "-d", "-i", filepath.Join(dir, "id.txt"), filepath.Join(dir, "clip.age")).Output()
		if err != nil || !bytes.Equal(out, plaintext) {
			t.Fatalf("age -d: %v (%d bytes)", err, len(out))
		}
	} else if os.Getenv("CI") != "" {
		t.Fatal("the age tool is not installed (apt-get install -y age)")
	}

	// Bob, of another household, learns nothing of Ana's: every answer is
	// the one for something that does not exist.
	if _, err := bob.Clips(ctx, client.HouseholdID(home.ID), client.ClipQuery{}); !client.IsCode(err, client.NotFound) {
		t.Fatalf("bob lists ana's clips: %v", err)
	}
	if _, err := bob.ClipContent(ctx, clip.ID); !client.IsCode(err, client.NotFound) {
		t.Fatalf("bob downloads ana's clip: %v", err)
	}
	if err := bob.DeleteClip(ctx, clip.ID); !client.IsCode(err, client.NotFound) {
		t.Fatalf("bob deletes ana's clip: %v", err)
	}
	if _, err := bob.Devices(ctx, client.HouseholdID(home.ID)); !client.IsCode(err, client.NotFound) {
		t.Fatalf("bob lists ana's devices: %v", err)
	}

	// No file the server keeps holds the plaintext.
	err = filepath.WalkDir(m.Config.Data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(plaintextMarker)) {
			t.Errorf("%s holds plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
