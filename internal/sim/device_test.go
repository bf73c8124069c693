package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/gif"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/apperr"
)

func testCredentials() *Credentials {
	return &Credentials{DeviceID: "d_test", Credential: "hdc_secret", MQTTURL: "mqtt://127.0.0.1:1", Kind: "camera", HouseholdID: "h_test", Name: "Porch"}
}

func TestSimNew(t *testing.T) {
	ok := func(c *Config) {}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string // in the error; "" for success
	}{
		{"OK", ok, ""},
		{"ErrNoCredentials", func(c *Config) { c.Credentials = nil }, "pair"},
		{"ErrNoDeviceID", func(c *Config) { c.Credentials.DeviceID = "" }, "device_id"},
		{"ErrKind", func(c *Config) { c.Credentials.Kind = "toaster" }, "toaster"},
		{"ErrServer", func(c *Config) { c.Server = "127.0.0.1:8080" }, "http(s) URL"},
		{"ErrBrokerScheme", func(c *Config) { c.Credentials.MQTTURL = "ws://127.0.0.1:1" }, "scheme"},
		{"ErrBrokerURL", func(c *Config) { c.Credentials.MQTTURL = "127.0.0.1" }, "not a URL"},
		{"ErrNegative", func(c *Config) { c.Heartbeat = -time.Second }, "negative"},
		{"ErrLongClip", func(c *Config) { c.ClipLength = MaxClipLength + time.Second }, "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Server: "http://127.0.0.1:8080/", Credentials: testCredentials()}
			tc.change(&cfg)
			d, err := New(cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d.cfg.Heartbeat != DefaultHeartbeat || d.cfg.EventEvery != DefaultEventEvery || d.cfg.ClipLength != DefaultClipLength || d.name != "Porch" || d.server != "http://127.0.0.1:8080" {
					t.Fatalf("defaults: %+v, name %q, server %q", d.cfg, d.name, d.server)
				}
				return
			}
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), tc.want) {
				t.Fatalf("got %v, want Invalid mentioning %q", err, tc.want)
			}
		})
	}
}

func TestSimParseBroker(t *testing.T) {
	for _, tc := range []struct{ url, server, addr string }{
		{"mqtt://127.0.0.1:1883", "http://hearth.lan:8080", "127.0.0.1:1883"},
		{"mqtt://[::]:1883", "http://hearth.lan:8080", "hearth.lan:1883"},
		{"mqtt://0.0.0.0:1884", "https://192.0.2.7", "192.0.2.7:1884"},
		{"mqtts://broker.example", "https://hearth.example", "broker.example:8883"},
		{"tcp://broker.example", "https://hearth.example", "broker.example:1883"},
	} {
		b, err := parseBroker(tc.url, tc.server)
		if err != nil || b.addr != tc.addr {
			t.Errorf("%s via %s: %q %v, want %q", tc.url, tc.server, b.addr, err, tc.addr)
		}
	}
}

func TestSimTriggerNotConnected(t *testing.T) {
	d, err := New(Config{Server: "http://127.0.0.1:8080", Credentials: testCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Trigger(context.Background(), "motion"); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("trigger while not connected: %v", err)
	}
	if _, err := d.Trigger(context.Background(), "explosion"); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("unknown type: %v", err)
	}
}

// fakeVault answers a device's recipients and upload calls as Hearth does.
type fakeVault struct {
	mu         sync.Mutex
	recipients []string
	refuse     bool
	uploads    [][]byte
	queries    []string
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, secret, _ := r.BasicAuth()
	if f.refuse || id != "d_test" || secret != "hdc_secret" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"code":"unauthenticated","message":"Unknown device or wrong credential."}}`)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/device/recipients":
		json.NewEncoder(w).Encode(map[string]any{"recipients": f.recipients})
	case "POST /api/v1/device/clips":
		b, _ := io.ReadAll(r.Body)
		f.uploads = append(f.uploads, b)
		f.queries = append(f.queries, r.URL.RawQuery)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"c_1"}`)
	default:
		http.NotFound(w, r)
	}
}

func TestSimRecordClip(t *testing.T) {
	ctx := context.Background()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	fv := &fakeVault{}
	srv := httptest.NewServer(fv)
	defer srv.Close()
	d, err := New(Config{Server: srv.URL, Credentials: testCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	end := clipStart.Add(3 * time.Second)

	t.Run("NoRecipients", func(t *testing.T) {
		clip, err := d.recordClip(ctx, clipStart, end)
		if err != nil || clip != "" || len(fv.uploads) != 0 {
			t.Fatalf("clip %q, err %v, %d uploads", clip, err, len(fv.uploads))
		}
	})
	t.Run("OK", func(t *testing.T) {
		fv.recipients = []string{id.Recipient().String()}
		clip, err := d.recordClip(ctx, clipStart, end)
		if err != nil || clip != "c_1" || len(fv.uploads) != 1 {
			t.Fatalf("clip %q, err %v, %d uploads", clip, err, len(fv.uploads))
		}
		if want := "end=2026-03-01T10%3A00%3A03Z&kind=video&start=2026-03-01T10%3A00%3A00Z"; fv.queries[0] != want {
			t.Fatalf("query %s, want %s", fv.queries[0], want)
		}
		if bytes.Contains(fv.uploads[0], []byte(PlaintextMarker)) {
			t.Fatal("plaintext uploaded")
		}
		r, err := age.Decrypt(bytes.NewReader(fv.uploads[0]), id)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(r)
		g, err := gif.DecodeAll(bytes.NewReader(plain))
		if err != nil || len(g.Image) != 3*FramesPerSecond || !bytes.Contains(plain, []byte(PlaintextMarker+` device="Porch"`)) {
			t.Fatalf("decrypted clip: %v", err)
		}
	})
	t.Run("ErrRefused", func(t *testing.T) {
		fv.refuse = true
		_, err := d.recordClip(ctx, clipStart, end)
		if !errors.Is(err, ErrRefused) || !apperr.Is(err, apperr.Unauthenticated) || apperr.MessageOf(err) != "Unknown device or wrong credential." {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSimPairErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/devices/pair":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"not_found","message":"This pairing code is not valid."}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	if _, err := Pair(ctx, nil, srv.URL, "AAAA-BBBB"); !apperr.Is(err, apperr.NotFound) || apperr.MessageOf(err) != "This pairing code is not valid." {
		t.Fatalf("bad code: %v", err)
	}
	if _, err := Pair(ctx, nil, srv.URL+"/elsewhere", "AAAA-BBBB"); !strings.Contains(apperr.MessageOf(err), "is this a Hearth server") {
		t.Fatalf("not Hearth: %v", err)
	}
	if _, err := Pair(ctx, nil, "ftp://x", "AAAA-BBBB"); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("bad URL: %v", err)
	}
	srv.Close()
	if _, err := Pair(ctx, nil, srv.URL, "AAAA-BBBB"); !apperr.Is(err, apperr.Unavailable) {
		t.Fatalf("server down: %v", err)
	}
}
