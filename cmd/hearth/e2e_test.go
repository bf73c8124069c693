package main

import (
	"bytes"
	"context"
	"encoding/base64"
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
	m := startMain(t, "")
	ctx := context.Background()
	ana, home := resident(t, m, "ana@example.org")
	bob, _ := resident(t, m, "bob@example.org")

	// Ana's key: made on her side; the server gets the recipient and the
	// passphrase-wrapped identity only.
	id, recipient, wrapped, err := vault.NewMemberKey("ana's long key passphrase", vault.WithWorkFactor(18))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"recipient": recipient, "wrapped_identity": base64.StdEncoding.EncodeToString(wrapped)})
	if st := ana.do("PUT", "/api/v1/me/key", bytes.NewReader(body), nil); st != http.StatusNoContent {
		t.Fatalf("set key: %d", st)
	}

	// Pairing: Ana gets a code; the camera exchanges it for its credential.
	anaUser, _ := m.Identity.LookUp(ctx, "ana@example.org")
	code, _, err := m.Devices.StartPairing(ctx, anaUser, home.ID, device.KindCamera, "Front door")
	if err != nil {
		t.Fatal(err)
	}
	var paired struct {
		DeviceID   device.ID `json:"device_id"`
		Credential string    `json:"credential"`
		MQTTURL    string    `json:"mqtt_url"`
	}
	anon := &apiClient{t: t, base: m.URL()}
	if st := anon.do("POST", "/api/v1/devices/pair", strings.NewReader(`{"code":"`+code+`"}`), &paired); st != http.StatusCreated {
		t.Fatalf("pair: %d", st)
	}
	if st := anon.do("POST", "/api/v1/devices/pair", strings.NewReader(`{"code":"`+code+`"}`), nil); st != http.StatusNotFound {
		t.Fatalf("second use of the pairing code: %d", st)
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
	req := func(method, path string, body io.Reader) *http.Request {
		r, _ := http.NewRequest(method, m.URL()+path, body)
		r.SetBasicAuth(string(paired.DeviceID), paired.Credential)
		return r
	}
	resp, err := http.DefaultClient.Do(req("GET", "/api/v1/device/recipients", nil))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Recipients []string }
	json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	if len(rec.Recipients) != 1 || rec.Recipients[0] != recipient {
		t.Fatalf("recipients %v", rec.Recipients)
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
	q := url.Values{"kind": {"video"}, "start": {now.Add(-10 * time.Second).Format(time.RFC3339)}, "end": {now.Format(time.RFC3339)}}
	resp, err = http.DefaultClient.Do(req("POST", "/api/v1/device/clips?"+q.Encode(), bytes.NewReader(ct.Bytes())))
	if err != nil {
		t.Fatal(err)
	}
	var clip struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&clip)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || clip.ID == "" {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	// Plaintext is refused outright.
	resp, _ = http.DefaultClient.Do(req("POST", "/api/v1/device/clips?"+q.Encode(), bytes.NewReader(plaintext)))
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plaintext upload: %d", resp.StatusCode)
	}

	// Ana lists, downloads and decrypts.
	var list struct{ Clips []struct{ ID string } }
	if st := ana.do("GET", "/api/v1/households/"+string(home.ID)+"/clips", nil, &list); st != 200 || len(list.Clips) != 1 || list.Clips[0].ID != clip.ID {
		t.Fatalf("list: %d %+v", st, list)
	}
	var downloaded []byte
	if st := ana.do("GET", "/api/v1/clips/"+clip.ID+"/content", nil, &downloaded); st != 200 {
		t.Fatalf("download: %d", st)
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

	// Bob, of another household, learns nothing of Ana's.
	if st := bob.do("GET", "/api/v1/households/"+string(home.ID)+"/clips", nil, nil); st != http.StatusNotFound {
		t.Fatalf("bob lists ana's clips: %d", st)
	}
	if st := bob.do("GET", "/api/v1/clips/"+clip.ID+"/content", nil, nil); st != http.StatusNotFound {
		t.Fatalf("bob downloads ana's clip: %d", st)
	}
	if st := bob.do("DELETE", "/api/v1/clips/"+clip.ID, nil, nil); st != http.StatusNotFound {
		t.Fatalf("bob deletes ana's clip: %d", st)
	}
	if st := bob.do("GET", "/api/v1/households/"+string(home.ID)+"/devices", nil, nil); st != http.StatusNotFound {
		t.Fatalf("bob lists ana's devices: %d", st)
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
