package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"k8s.io/klog/v2"
)

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated in Config.validate
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	settings := append(append([]setting{}, storeSettings...), serveSettings...)
	cfg.bind(fs, settings)
	configPath := fs.String("config", "", "config file (TOML; keys as the flags, with _ for -); also HEARTH_CONFIG")
	printConfig := fs.Bool("print-config", false, "print the effective configuration (secrets redacted) and exit")
	demo := fs.Bool("demo", false, "run a demo household with virtual devices (data in "+demoDataDir+" unless --data is given)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hearth serve [flags]

Runs Hearth. With no flags it keeps everything in ./hearth-data (SQLite) and
listens on http://127.0.0.1:8080. With --demo it also runs a demo household
whose doorbell and cameras are virtual, and prints how to sign in. Each flag can also be set as an environment
variable HEARTH_<FLAG> (e.g. HEARTH_HTTP=:8080) or in the config file; flags win
over the environment, which wins over the file.

Flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.resolve(fs, settings, *configPath, os.Getenv); err != nil {
		return err
	}
	if *demo && cfg.sources["data"] == "default" {
		cfg.Data, cfg.sources["data"] = demoDataDir, "--demo"
	}
	if *printConfig {
		cfg.print(stdout, fs, settings)
		return nil
	}

	log := newLogger(stderr, cfg.LogLevel)
	// The log library reports through klog, a process-wide logger: route it
	// into ours once, here, where the process is set up.
	klog.SetSlogLogger(log.With("component", "tessera"))
	m := NewMain(cfg, log)
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	log.Info("hearth is serving", "url", m.URL(), "store", m.DB.Kind(), "data", cfg.Data, "log_origin", cfg.LogOrigin(), "version", Version())
	if *demo {
		if err := startDemo(ctx, m, demoOptions{}, stdout); err != nil {
			m.Close()
			return err
		}
	}
	// Starting leaves garbage the running server never needs again (the
	// identity service's reference hash, the geo index's build, parsed
	// templates, and the demo's seeding): collect it and hand the pages back
	// now, rather than letting the heap's size be judged by the start.
	debug.FreeOSMemory()
	fmt.Fprintf(stdout, "Hearth is running at %s — press Ctrl-C to stop.\n", m.URL())
	<-ctx.Done()
	log.Info("shutting down")
	return m.Close()
}

// newHTTPServer returns the HTTP server around handler. Its limits keep a
// flood of connections from holding memory for nothing: a client has 10 s
// to send its headers (64 KiB at most) and an idle keep-alive connection
// is closed after a minute. Connections are not capped here: a listener
// that stops accepting leaves new clients in the kernel's backlog until
// they time out, and could not tell a health check or a camera's upload
// from the rest; the web's admission lanes refuse what is too much, with
// 503 and Retry-After, once the request is read.
func newHTTPServer(handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
