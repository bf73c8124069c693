package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"hearth/internal/apperr"
	"hearth/internal/mail"
	"hearth/internal/web"
)

// Config is the effective configuration of serve and admin. Each setting
// comes from, in order of precedence: a command-line flag, a HEARTH_*
// environment variable, the config file, the default.
type Config struct {
	Data           string
	HTTP           string
	PublicURL      string
	Blobs          string
	MQTT           string
	MQTTExternal   string
	MQTTUser       string
	MQTTPassword   string
	DB             string
	SecretFile     string
	SecureCookies  bool
	TrustForwarded bool
	TLSCert        string
	TLSKey         string
	LogLevel       string
	SMTPURL        string
	MapTiles       string
	// Overload: how many requests run at once, and how many wait how long.
	MaxRequests       int
	MaxDeviceRequests int
	MaxQueued         int
	QueueWait         time.Duration

	sources map[string]string // setting name -> where its value came from
}

// setting describes one configuration setting shared by flag, env and file.
type setting struct {
	name   string // flag name; env HEARTH_<NAME>; file key <name> with '_' for '-'
	help   string
	secret bool // value is redacted by --print-config
}

func (s setting) env() string {
	return "HEARTH_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}
func (s setting) key() string { return strings.ReplaceAll(s.name, "-", "_") }

// storeSettings are shared by every command that opens the data directory.
var storeSettings = []setting{
	{name: "data", help: "data directory"},
	{name: "db", help: "database URL: postgres://… for PostgreSQL; empty for SQLite in the data directory", secret: true},
	{name: "secret-file", help: "file holding the server secret (default <data>/secret.key, created on first start)"},
	{name: "blobs", help: "where encrypted media goes: file:///dir or s3://bucket?region=…&endpoint=… (default file://<data>/blobs)", secret: true},
}

var serveSettings = []setting{
	{name: "http", help: "HTTP listen address"},
	{name: "public-url", help: "URL people reach this service at; its host name is the transparency log's origin"},
	{name: "mqtt", help: "embedded MQTT broker's listen address (devices learn it when they pair)"},
	{name: "mqtt-external", help: "mqtt://host:port of an external broker to use instead of the embedded one"},
	{name: "mqtt-user", help: "user name on the external broker"},
	{name: "mqtt-password", help: "password on the external broker", secret: true},
	{name: "tls-cert", help: "TLS certificate file (serve HTTPS when set with --tls-key)"},
	{name: "tls-key", help: "TLS private key file"},
	{name: "secure-cookies", help: "mark cookies Secure even without TLS here (a TLS proxy is in front)"},
	{name: "trust-forwarded", help: "trust X-Forwarded-For/-Proto from a reverse proxy"},
	{name: "log-level", help: "log level: debug, info, warn, error"},
	{name: "smtp-url", help: "smtp://[user:password@]host[:port]?from=address (or smtps://) to send e-mail; empty keeps it in the admins' outbox", secret: true},
	{name: "map-tiles", help: "tile URL template for the pages' maps, like https://tile.openstreetmap.org/{z}/{x}/{y}.png (default none: the tile server would learn where people look)"},
	{name: "max-requests", help: "people's requests (pages, API) served at once; more wait in a queue (default from the number of CPUs)"},
	{name: "max-device-requests", help: "devices' requests (clip uploads, pairing) served at once, apart from people's (default from the number of CPUs)"},
	{name: "max-queued", help: "requests that may wait for a place, per lane; beyond it a request is refused at once with 503"},
	{name: "queue-wait", help: "how long a request waits for a place while nothing in its lane finishes (at most 4 times as long while it moves) before it is refused with 503 and Retry-After"},
}

// bind registers the settings' flags on fs, with the defaults.
func (c *Config) bind(fs *flag.FlagSet, settings []setting) {
	for _, s := range settings {
		switch s.name {
		case "data":
			fs.StringVar(&c.Data, s.name, "./hearth-data", s.help)
		case "db":
			fs.StringVar(&c.DB, s.name, "", s.help)
		case "blobs":
			fs.StringVar(&c.Blobs, s.name, "", s.help)
		case "secret-file":
			fs.StringVar(&c.SecretFile, s.name, "", s.help)
		case "http":
			fs.StringVar(&c.HTTP, s.name, "127.0.0.1:8080", s.help)
		case "public-url":
			fs.StringVar(&c.PublicURL, s.name, "http://localhost:8080", s.help)
		case "mqtt":
			fs.StringVar(&c.MQTT, s.name, "127.0.0.1:1883", s.help)
		case "mqtt-external":
			fs.StringVar(&c.MQTTExternal, s.name, "", s.help)
		case "mqtt-user":
			fs.StringVar(&c.MQTTUser, s.name, "", s.help)
		case "mqtt-password":
			fs.StringVar(&c.MQTTPassword, s.name, "", s.help)
		case "tls-cert":
			fs.StringVar(&c.TLSCert, s.name, "", s.help)
		case "tls-key":
			fs.StringVar(&c.TLSKey, s.name, "", s.help)
		case "secure-cookies":
			fs.BoolVar(&c.SecureCookies, s.name, false, s.help)
		case "trust-forwarded":
			fs.BoolVar(&c.TrustForwarded, s.name, false, s.help)
		case "log-level":
			fs.StringVar(&c.LogLevel, s.name, "info", s.help)
		case "smtp-url":
			fs.StringVar(&c.SMTPURL, s.name, "", s.help)
		case "map-tiles":
			fs.StringVar(&c.MapTiles, s.name, "", s.help)
		case "max-requests":
			fs.IntVar(&c.MaxRequests, s.name, web.DefaultAdmission().InProgress, s.help)
		case "max-device-requests":
			fs.IntVar(&c.MaxDeviceRequests, s.name, web.DefaultAdmission().DeviceInProgress, s.help)
		case "max-queued":
			fs.IntVar(&c.MaxQueued, s.name, web.DefaultAdmission().Queue, s.help)
		case "queue-wait":
			fs.DurationVar(&c.QueueWait, s.name, web.DefaultAdmission().QueueWait, s.help)
		default:
			panic("unbound setting " + s.name) // a programming error, caught by any test
		}
	}
}

// resolve fills every setting not given as a flag from the environment, then
// from the config file (path from --config or HEARTH_CONFIG), and checks the result.
func (c *Config) resolve(fs *flag.FlagSet, settings []setting, configPath string, getenv func(string) string) error {
	c.sources = map[string]string{}
	for _, s := range settings {
		c.sources[s.name] = "default"
	}
	fs.Visit(func(f *flag.Flag) { c.sources[f.Name] = "flag" })
	if configPath == "" {
		configPath = getenv("HEARTH_CONFIG")
	}
	file := map[string]any{}
	if configPath != "" {
		md, err := toml.DecodeFile(configPath, &file)
		if err != nil {
			return fmt.Errorf("read config file %s: %w", configPath, err)
		}
		known := map[string]bool{}
		for _, s := range settings {
			known[s.key()] = true
		}
		for _, k := range md.Keys() {
			if !known[k.String()] {
				return fmt.Errorf("config file %s: unknown setting %q", configPath, k.String())
			}
		}
	}
	for _, s := range settings {
		if c.sources[s.name] == "flag" {
			continue
		}
		if v := getenv(s.env()); v != "" {
			if err := fs.Set(s.name, v); err != nil {
				return fmt.Errorf("%s: %w", s.env(), err)
			}
			c.sources[s.name] = "env " + s.env()
			continue
		}
		if v, ok := file[s.key()]; ok {
			if err := fs.Set(s.name, fmt.Sprint(v)); err != nil {
				return fmt.Errorf("config file %s: %s: %w", configPath, s.key(), err)
			}
			c.sources[s.name] = "file"
		}
	}
	return c.validate()
}

func (c *Config) validate() error {
	if strings.TrimSpace(c.Data) == "" {
		return usageError{"--data must name a directory"}
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") &&
		!strings.HasPrefix(c.DB, "sqlite:") && !strings.HasPrefix(c.DB, "file:") {
		return usageError{fmt.Sprintf("--db %q: use postgres://… or sqlite:PATH", redactURL(c.DB))}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			return usageError{fmt.Sprintf("--public-url %q: use http(s)://host[:port]", c.PublicURL)}
		}
	}
	if c.MQTTExternal != "" {
		u, err := url.Parse(c.MQTTExternal)
		if err != nil || (u.Scheme != "mqtt" && u.Scheme != "tcp" && u.Scheme != "mqtts" && u.Scheme != "ssl") || u.Host == "" {
			return usageError{fmt.Sprintf("--mqtt-external %q: use mqtt://host:port", redactURL(c.MQTTExternal))}
		}
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseURL(c.SMTPURL); err != nil {
			return usageError{fmt.Sprintf("--smtp-url %q: %v", redactURL(c.SMTPURL), err)}
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return usageError{"--tls-cert and --tls-key go together"}
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		return usageError{fmt.Sprintf("--log-level %q: use debug, info, warn or error", c.LogLevel)}
	}
	if _, err := web.TileOrigin(c.MapTiles); err != nil {
		return usageError{"--map-tiles " + err.Error()}
	}
	switch {
	case c.MaxRequests < 0:
		return usageError{fmt.Sprintf("--max-requests %d: at least 1 (0 for the default)", c.MaxRequests)}
	case c.MaxDeviceRequests < 0:
		return usageError{fmt.Sprintf("--max-device-requests %d: at least 1 (0 for the default)", c.MaxDeviceRequests)}
	case c.MaxQueued < 0:
		return usageError{fmt.Sprintf("--max-queued %d: at least 1 (0 for the default)", c.MaxQueued)}
	case c.QueueWait < 0 || c.QueueWait > time.Minute:
		return usageError{fmt.Sprintf("--queue-wait %s: at most 1m, e.g. 500ms (0 for the default)", c.QueueWait)}
	}
	return nil
}

// Admission is the overload bounds the web serves with; zero values take
// the web's defaults.
func (c *Config) Admission() web.Admission {
	return web.Admission{InProgress: c.MaxRequests, DeviceInProgress: c.MaxDeviceRequests, Queue: c.MaxQueued, QueueWait: c.QueueWait}
}

// DatabaseURL is the store to open: the --db URL, or SQLite in the data directory.
func (c *Config) DatabaseURL() string {
	if c.DB != "" {
		return c.DB
	}
	return "sqlite:" + filepath.Join(c.Data, "hearth.db")
}

// LogOrigin is the transparency log's origin: the public URL's host name.
func (c *Config) LogOrigin() string {
	u, err := url.Parse(c.PublicURL)
	if err != nil || u.Hostname() == "" {
		return "localhost"
	}
	return u.Hostname()
}

// LogDir is where the transparency log's public files live.
func (c *Config) LogDir() string { return filepath.Join(c.Data, "log") }

// LogKeyPath is the log's private signing key, outside the public directory.
func (c *Config) LogKeyPath() string { return filepath.Join(c.Data, "log.key") }

// BlobsURL is where encrypted media goes.
func (c *Config) BlobsURL() (string, error) {
	if c.Blobs != "" {
		return c.Blobs, nil
	}
	dir, err := filepath.Abs(filepath.Join(c.Data, "blobs"))
	if err != nil {
		return "", err
	}
	return "file://" + filepath.ToSlash(dir), nil
}

// SecretPath is where the server secret lives.
func (c *Config) SecretPath() string {
	if c.SecretFile != "" {
		return c.SecretFile
	}
	return filepath.Join(c.Data, "secret.key")
}

// print writes the effective configuration, secrets redacted, as a config file
// that could be fed back with --config.
func (c *Config) print(w io.Writer, fs *flag.FlagSet, settings []setting) {
	sorted := append([]setting(nil), settings...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, s := range sorted {
		v := fs.Lookup(s.name).Value.String()
		if s.secret {
			v = redactURL(v)
		}
		if f := fs.Lookup(s.name); f != nil {
			if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
				fmt.Fprintf(w, "%s = %s # %s\n", s.key(), v, c.sources[s.name])
				continue
			}
		}
		fmt.Fprintf(w, "%s = %q # %s\n", s.key(), v, c.sources[s.name])
	}
}

// redactURL hides the password of a URL, and any query parameter that looks secret.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		if s == "" {
			return s
		}
		return "REDACTED"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") || strings.Contains(strings.ToLower(k), "secret") {
			q.Set(k, "REDACTED")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// errorText is what the CLI prints for err: the safe message, and for
// internal failures the cause, since the operator is the one reading it.
func errorText(err error) string {
	if apperr.CodeOf(err) == apperr.Internal || apperr.CodeOf(err) == apperr.Unavailable {
		return err.Error()
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		return apperr.MessageOf(err)
	}
	return err.Error()
}
