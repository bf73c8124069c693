package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"hearth/internal/access"
	"hearth/internal/blobstore"
	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/jobs"
	"hearth/internal/legal"
	"hearth/internal/mqttgw"
	"hearth/internal/neighbors"
	"hearth/internal/notice"
	"hearth/internal/sqlstore"
	"hearth/internal/translog"
	"hearth/internal/transparency"
	"hearth/internal/vault"
	"hearth/internal/web"
)

// Main is the whole running service, wired by hand. Tests build one with a
// Config pointing at a temp directory and port 0, and run the real thing.
type Main struct {
	Config Config
	Clock  clock.Clock
	Logger *slog.Logger
	// IdentityConfig tunes the identity rules; tests lower the argon2 cost.
	IdentityConfig identity.Config

	DB         *sqlstore.DB
	Identity   *identity.Service
	Log        *translog.Log
	Notices    *notice.Service
	Access     *access.Service
	Households *household.Service
	Neighbors  *neighbors.Service
	Feed       *feed.Service
	Legal      *legal.Service
	Report     *transparency.Service
	Devices    *device.Service
	Gateway    *mqttgw.Gateway
	Blobs      *blobstore.Store
	Vault      *vault.Service
	Web        *web.Server
	Registry   *prometheus.Registry
	Jobs       *jobs.Runner // every domain's periodic work

	listener net.Listener
	server   *http.Server
	jobs     context.Context // background work; cancelled first by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closed   bool
}

// NewMain returns a Main with production defaults.
func NewMain(cfg Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Clock: clock.Real{}, Logger: log, IdentityConfig: identity.DefaultConfig()}
}

// openDB opens the data directory and the database.
func (m *Main) openDB(ctx context.Context) error {
	if err := os.MkdirAll(m.Config.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	db, err := sqlstore.Open(ctx, m.Config.DatabaseURL())
	if err != nil {
		return err
	}
	m.DB = db
	return nil
}

// openStore opens the database and an identity service with no log and no
// e-mail: what the admin commands need. They read no one else's address
// and send no sign-up mail.
func (m *Main) openStore(ctx context.Context) error {
	if err := m.openDB(ctx); err != nil {
		return err
	}
	ids, err := identity.NewService(identity.Deps{Store: sqlstore.NewIdentityStore(m.DB), Clock: m.Clock, Config: m.IdentityConfig})
	if err != nil {
		return err
	}
	m.Identity = ids
	return nil
}

// Open starts everything: store, services, background jobs and the HTTP
// listener. Services are built in the order of their dependencies, each
// with everything it needs; the two cycles (identity and notices, devices
// and their gateway) go through a relay made first.
func (m *Main) Open(ctx context.Context) error {
	if err := m.openDB(ctx); err != nil {
		return err
	}
	// The server secret is read once; every key is derived from it.
	secret, err := loadOrCreateSecret(m.Config.SecretPath())
	if err != nil {
		return err
	}
	m.Log, err = translog.Open(ctx, translog.Config{
		Dir: m.Config.LogDir(), KeyFile: m.Config.LogKeyPath(), Origin: m.Config.LogOrigin(),
	})
	if err != nil {
		return err
	}
	gate := access.NewGate(access.GateDeps{Log: m.Log, Store: sqlstore.NewAccessStore(m.DB),
		Pseudonyms: access.NewPseudonyms(deriveKey(secret, "log subject"), deriveKey(secret, "log actor")), Clock: m.Clock})
	if err := m.wireMail(gate); err != nil {
		return err
	}
	m.Access = access.NewService(access.Deps{Gate: gate, Accounts: m.Identity, Notifier: m.Notices})
	m.Households = household.NewService(household.Deps{Store: sqlstore.NewHouseholdStore(m.DB), Clock: m.Clock})
	gateway := &device.Relay{} // the gateway is attached once built: it needs the device service
	m.Devices = device.NewService(device.Deps{Store: sqlstore.NewDeviceStore(m.DB), Members: m.Households, Gateway: gateway, Clock: m.Clock})
	blobsURL, err := m.Config.BlobsURL()
	if err != nil {
		return err
	}
	if m.Blobs, err = blobstore.Open(ctx, blobsURL); err != nil {
		return err
	}
	m.Vault = vault.NewService(vault.Deps{Store: sqlstore.NewVaultStore(m.DB), Blobs: m.Blobs, Households: m.Households, Clock: m.Clock})
	if err := m.wireNeighbors(ctx, gate); err != nil {
		return err
	}
	m.wireLegal(secret)
	m.wireFeed()

	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := m.startGateway(ctx, gateway); err != nil {
		return err
	}
	m.Web, err = web.New(web.Config{
		Version:        Version(),
		StoreKind:      string(m.DB.Kind()),
		PublicURL:      strings.TrimSuffix(m.Config.PublicURL, "/"),
		MQTTURL:        m.mqttURL(),
		CSRFKey:        deriveKey(secret, "csrf"),
		SecureCookies:  m.Config.SecureCookies,
		TrustForwarded: m.Config.TrustForwarded,
		MapTiles:       m.Config.MapTiles,
		Admission:      m.Config.Admission(),
	}, web.Services{Identity: m.Identity, Access: m.Access, Notices: m.Notices, Log: m.Log, Households: m.Households, Devices: m.Devices, Vault: m.Vault,
		Neighbors: m.Neighbors, Feed: m.Feed, Legal: m.Legal, Report: m.Report, Clock: m.Clock}, m.DB.Ping, m.Logger, m.Registry)
	if err != nil {
		return err
	}

	m.listener, err = net.Listen("tcp", m.Config.HTTP)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.HTTP, err)
	}
	m.server = newHTTPServer(m.Web.Handler(), m.Logger)
	background, cancel := context.WithCancel(context.Background())
	m.jobs, m.cancel = background, cancel
	if err := m.startJobs(background); err != nil {
		return err
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		var err error
		if m.Config.TLSCert != "" {
			err = m.server.ServeTLS(m.listener, m.Config.TLSCert, m.Config.TLSKey)
		} else {
			err = m.server.Serve(m.listener)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// startGateway starts the device gateway: the embedded MQTT broker, or a
// client of an external one. When the default port is taken (another broker
// runs on this machine), the embedded broker takes a free port instead and
// says so: devices learn the address when they pair.
func (m *Main) startGateway(ctx context.Context, relay *device.Relay) error {
	listen := m.Config.MQTT
	if m.Config.MQTTExternal == "" && m.Config.sources["mqtt"] == "default" {
		if l, err := net.Listen("tcp", listen); err != nil {
			m.Logger.Warn("the default MQTT port is taken; the embedded broker listens on a free port", "wanted", listen, "err", err)
			listen = hostPort(listen, "0")
		} else {
			l.Close()
		}
	}
	gw, err := mqttgw.New(mqttgw.Config{
		Listen: listen, External: m.Config.MQTTExternal,
		ExternalUser: m.Config.MQTTUser, ExternalPassword: m.Config.MQTTPassword,
	}, m.Devices, m.Logger.With("component", "mqtt"), m.Registry)
	if err != nil {
		return err
	}
	relay.Attach(gw)
	if err := gw.Start(ctx); err != nil {
		gw.Close()
		return fmt.Errorf("start the device gateway on %s: %w", listen, err)
	}
	m.Gateway = gw
	return nil
}

// mqttURL is the broker address devices are told when they pair.
func (m *Main) mqttURL() string {
	if m.Config.MQTTExternal != "" {
		return m.Config.MQTTExternal
	}
	return "mqtt://" + m.Gateway.Addr()
}

// hostPort replaces the port of addr.
func hostPort(addr, port string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// URL is the base URL the service answers on.
func (m *Main) URL() string {
	scheme := "http"
	if m.Config.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + m.listener.Addr().String()
}

// Close stops background jobs, stops accepting requests, lets those in
// flight finish (up to 10 s) and closes the store.
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	if m.cancel != nil {
		m.cancel() // background work first: it may itself be calling the HTTP API
	}
	if m.Jobs != nil {
		errs = append(errs, m.Jobs.Close()) // waits for runs in progress, which use the store
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
	}
	m.wg.Wait()
	if m.Gateway != nil {
		// Before the store closes: it writes the events it holds, and
		// disconnecting devices marks them offline.
		errs = append(errs, m.Gateway.Close())
	}
	if m.Log != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.Log.Close(ctx))
		cancel()
	}
	if m.Blobs != nil {
		errs = append(errs, m.Blobs.Close())
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

// purgeEvery is how often expired sign-in state and media past retention
// are deleted.
const purgeEvery = 10 * time.Minute

// purgeJobs delete expired sessions and stale throttles, and media past its
// household's retention.
func (m *Main) purgeJobs() []jobs.Job {
	return []jobs.Job{
		{Name: "identity.purge", Every: purgeEvery, Run: func(ctx context.Context) error {
			sessions, throttles, err := m.Identity.PurgeExpired(ctx)
			if sessions+throttles > 0 {
				m.Logger.Debug("purged expired sign-in state", "sessions", sessions, "throttles", throttles)
			}
			return err
		}},
		{Name: "vault.purge", Every: purgeEvery, Run: func(ctx context.Context) error {
			n, err := m.Vault.PurgeExpired(ctx)
			if n > 0 {
				m.Logger.Info("deleted media past its retention", "clips", n)
			}
			return err
		}},
		{Name: "vault.sweep", Every: purgeEvery, Run: func(ctx context.Context) error {
			n, err := m.Vault.SweepOrphans(ctx)
			if n > 0 {
				m.Logger.Info("deleted blobs no clip references", "blobs", n)
			}
			return err
		}},
	}
}

// loadOrCreateSecret reads the server secret, creating it (256 random bits,
// hex, mode 0600) on first start. Every key the server needs is derived from it.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return loadOrCreateSecret(path) // another process made it first
		} else if err != nil {
			return nil, fmt.Errorf("create server secret: %w", err)
		}
		if _, err := io.WriteString(f, hex.EncodeToString(raw)+"\n"); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		return raw, f.Close()
	} else if err != nil {
		return nil, fmt.Errorf("read server secret: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) < 32 {
		return nil, fmt.Errorf("server secret %s must hold at least 64 hex digits", path)
	}
	return raw, nil
}

// deriveKey returns a purpose-specific key, so no two uses share one.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hearth key: " + purpose))
	return m.Sum(nil)
}

// The real services are what the web's interfaces describe.
var (
	_ web.Identity   = (*identity.Service)(nil)
	_ web.Access     = (*access.Service)(nil)
	_ web.Notices    = (*notice.Service)(nil)
	_ web.Households = (*household.Service)(nil)
	_ web.Devices    = (*device.Service)(nil)
	_ web.Vault      = (*vault.Service)(nil)
	_ web.Neighbors  = (*neighbors.Service)(nil)
	_ web.Feed       = (*feed.Service)(nil)
	_ web.Legal      = (*legal.Service)(nil)
	_ web.Report     = (*transparency.Service)(nil)
	_ web.PublicLog  = (*translog.Log)(nil)
)
