package web

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/clock"
	"hearth/internal/identity"
)

//go:embed templates static
var assets embed.FS

// Config holds what the web adapter needs to know about its deployment.
type Config struct {
	Version   string
	StoreKind string
	// PublicURL is where people reach this service, e.g. https://hearth.example.org.
	PublicURL string
	// MQTTURL is where devices connect, told to them when they pair.
	MQTTURL string
	// CSRFKey signs anti-forgery tokens; at least 32 random bytes, stable
	// across restarts and shared by every node.
	CSRFKey []byte
	// SecureCookies forces the Secure flag, for deployments behind a TLS
	// terminating proxy; cookies are always Secure on a TLS connection.
	SecureCookies bool
	// TrustForwarded takes the client address and scheme from
	// X-Forwarded-For and X-Forwarded-Proto, set by a trusted reverse proxy.
	TrustForwarded bool
	// MapTiles is a tile server's URL template for the pages' maps, like
	// https://tile.openstreetmap.org/{z}/{x}/{y}.png; its origin is then
	// allowed in img-src. Empty (the default) means maps have no tiles, so
	// no tile server learns which places people look at.
	MapTiles string
	// Admission bounds the requests served at once and how long others
	// wait; zero fields take DefaultAdmission's values.
	Admission Admission
}

// PublicLog is the transparency log as the web serves it.
type PublicLog interface {
	// ReadResource returns a public log resource and whether it is immutable.
	ReadResource(ctx context.Context, path string) ([]byte, bool, error)
	// VerifierKey returns the checkpoint verifier key.
	VerifierKey() string
}

// Services are the domain services the web adapter carries requests to.
type Services struct {
	Identity   Identity
	Access     Access
	Notices    Notices
	Log        PublicLog
	Households Households
	Devices    Devices
	Vault      Vault
	Neighbors  Neighbors
	Feed       Feed
	Legal      Legal
	Report     Report
	// Clock tells the pages what "today" is; nil means the real clock.
	Clock clock.Clock
}

// Server serves Hearth over HTTP.
type Server struct {
	cfg        Config
	identity   Identity
	access     Access
	notices    Notices
	log        PublicLog
	households Households
	devices    Devices
	vault      Vault
	neighbors  Neighbors
	feed       Feed
	legal      Legal
	report     Report
	clock      clock.Clock

	pairLimiter *limiter
	admission   *admission
	health      func(context.Context) error
	logger      *slog.Logger
	pages       map[string]*template.Template
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
}

// New returns a Server. health reports whether the store answers; registry
// receives the HTTP metrics and is served at /metrics.
func New(cfg Config, svc Services, health func(context.Context) error, logger *slog.Logger, registry *prometheus.Registry) (*Server, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	if _, err := TileOrigin(cfg.MapTiles); err != nil {
		return nil, fmt.Errorf("map tiles %w", err)
	}
	s := &Server{
		cfg: cfg, identity: svc.Identity, access: svc.Access, notices: svc.Notices, log: svc.Log, households: svc.Households, devices: svc.Devices, vault: svc.Vault,
		neighbors: svc.Neighbors, feed: svc.Feed, legal: svc.Legal, report: svc.Report,
		clock:       svc.Clock,
		pairLimiter: newLimiter(10),
		health:      health, logger: logger, pages: pages, registry: registry,
	}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_http_requests_total", Help: "HTTP requests by route and status.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hearth_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"route"})
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.admission, err = newAdmission(cfg.Admission, s.clock, registry); err != nil {
		return nil, err
	}
	if err := registry.Register(s.requests); err != nil {
		return nil, err
	}
	if err := registry.Register(s.latency); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the whole HTTP surface.
func (s *Server) Handler() http.Handler {
	mux := s.routes()
	cop := http.NewCrossOriginProtection()
	tiles, _ := TileOrigin(s.cfg.MapTiles) // checked by New
	return s.instrument(securityHeaders(s.admit(cop.Handler(mux)), tiles))
}

func staticFS() fs.FS {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// TileOrigin returns the origin of a map tile URL template ("" for none), or
// an error saying what is wrong with it: it must be an http(s) URL with a
// fixed host (no {s} subdomains, so the policy can name it) and the {z},
// {x} and {y} placeholders.
func TileOrigin(template string) (string, error) {
	if template == "" {
		return "", nil
	}
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%q: %s; use a URL template like https://tile.openstreetmap.org/{z}/{x}/{y}.png", template, why)
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{r}", "").Replace(template))
	switch {
	case err != nil:
		return bad("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("not an http(s) URL")
	case u.Host == "" || strings.ContainsAny(u.Host, "{}") || u.User != nil:
		return bad("the host must be fixed")
	case !strings.Contains(template, "{z}") || !strings.Contains(template, "{x}") || !strings.Contains(template, "{y}"):
		return bad("it lacks {z}, {x} or {y}")
	}
	return u.Scheme + "://" + u.Host, nil
}

// securityHeaders sets a strict Content-Security-Policy (no inline script or
// style, nothing from elsewhere but the map tile server, when one is set) and
// the usual hardening headers.
func securityHeaders(next http.Handler, tileOrigin string) http.Handler {
	img := "img-src 'self' data: blob:"
	if tileOrigin != "" {
		img += " " + tileOrigin
	}
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; " + img + "; media-src blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	route  string // the route's label when no pattern matched it, e.g. "refused"
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// instrument counts requests by route pattern, never by raw path, so that
// identifiers in URLs neither leak into metrics nor explode their cardinality.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = rec.route
		}
		if route == "" {
			route = "unmatched"
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		s.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// clientInfo returns where the request comes from.
func (s *Server) clientInfo(r *http.Request) identity.ClientInfo {
	addr := r.RemoteAddr
	if s.cfg.TrustForwarded {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			addr = strings.TrimSpace(strings.Split(f, ",")[0])
		}
	}
	if host, _, ok := strings.Cut(addr, "]:"); ok && strings.HasPrefix(host, "[") {
		addr = host[1:]
	} else if i := strings.LastIndexByte(addr, ':'); i > 0 && strings.Count(addr, ":") == 1 {
		addr = addr[:i]
	}
	return identity.ClientInfo{Addr: addr, UserAgent: r.UserAgent()}
}

// baseURL is where people reach the service: the configured public URL, or
// else the address this request came to.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if s.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil || s.cfg.SecureCookies {
		return true
	}
	return s.cfg.TrustForwarded && r.Header.Get("X-Forwarded-Proto") == "https"
}
