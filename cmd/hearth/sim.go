package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"hearth/internal/device"
	"hearth/internal/sim"
)

func runSim(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hearth sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "Hearth's base URL, e.g. http://127.0.0.1:8080 (required)")
	code := fs.String("pairing-code", "", "pairing code from the household's devices page; without it, --state must hold a device paired before")
	kind := fs.String("kind", "", "the device to simulate, as chosen for the pairing code: "+simKinds()+" (required to pair)")
	name := fs.String("name", "", "name drawn on the clips; default: the name given with the pairing code")
	state := fs.String("state", "", "file that keeps the device's credentials (JSON, mode 0600), to run it again without pairing")
	heartbeat := fs.Duration("heartbeat", sim.DefaultHeartbeat, "time between heartbeats")
	every := fs.Duration("every", sim.DefaultEventEvery, "mean time between events")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: hearth sim --server URL --pairing-code CODE --kind KIND [--state FILE] [flags]
       hearth sim --server URL --state FILE

Runs a virtual device: it pairs with the code a member made on the
household's devices page, connects over MQTT, sends heartbeats and events of
its kind (motion, rings, doors opening, alarms, battery levels), and for each
motion or ring of a device with a camera records a short synthetic clip,
encrypts it to the household's members and uploads it. It runs until
interrupted (Ctrl-C).

A pairing code works once: keep the credentials with --state to run the same
device again later (then leave out --pairing-code).

Flags:`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *server == "" {
		return usageError{"--server is required"}
	}
	if u, err := url.Parse(*server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Sprintf("--server %q is not an http(s) URL such as http://127.0.0.1:8080", *server)}
	}
	if *kind != "" && !device.Kind(*kind).Valid() {
		return usageError{fmt.Sprintf("--kind %q: use one of %s", *kind, simKinds())}
	}
	if *heartbeat < time.Second {
		return usageError{fmt.Sprintf("--heartbeat %v: give a duration of at least 1s, such as 30s", *heartbeat)}
	}
	if *every < time.Second {
		return usageError{fmt.Sprintf("--every %v: give a duration of at least 1s, such as 20s", *every)}
	}
	if utf8.RuneCountInString(*name) > device.MaxNameLen {
		return usageError{fmt.Sprintf("--name is at most %d characters", device.MaxNameLen)}
	}
	*code = strings.TrimSpace(*code)

	var creds *sim.Credentials
	saved, err := readSimState(*state)
	switch {
	case err != nil:
		return err
	case *code == "" && *state == "":
		return usageError{"--pairing-code is required (or --state FILE of a device paired before)"}
	case *code == "" && saved == nil:
		return usageError{fmt.Sprintf("--state %s does not exist yet: give --pairing-code to pair a new device", *state)}
	case *code != "" && saved != nil:
		return usageError{fmt.Sprintf("--state %s already holds device %s: leave out --pairing-code to run it, or use another file to pair a new one", *state, saved.DeviceID)}
	case *code != "" && *kind == "":
		return usageError{"--kind is required to pair: the kind chosen with the pairing code"}
	case saved != nil:
		creds = saved
	default:
		// A code works once: make sure the credentials can be kept before
		// spending it.
		if *state != "" {
			if fi, err := os.Stat(filepath.Dir(*state)); err != nil || !fi.IsDir() {
				return fmt.Errorf("--state %s: its directory does not exist", *state)
			}
		}
		if creds, err = sim.Pair(ctx, nil, *server, *code); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Paired as device %s (kind %s, named %q).\n", creds.DeviceID, creds.Kind, creds.Name)
		// Saved before the kind is checked: the code is spent either way,
		// and with the credentials kept the device can still be run.
		if *state != "" {
			if err := writeSimState(*state, creds); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Credentials saved in %s.\n", *state)
		}
	}
	if *kind != "" && creds.Kind != *kind {
		how := "remove the device on the household's devices page"
		if *state != "" {
			how = "run it with --kind " + creds.Kind + " --state " + *state + ", or " + how
		}
		return fmt.Errorf("device %s is of kind %s, not %s: the kind was chosen with the pairing code; %s", creds.DeviceID, creds.Kind, *kind, how)
	}

	d, err := sim.New(sim.Config{
		Server: *server, Credentials: creds, Heartbeat: *heartbeat, EventEvery: *every, Name: *name,
		Logger: newLogger(stderr, "info"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Device %s (%s) is running — press Ctrl-C to stop.\n", creds.DeviceID, creds.Kind)
	return d.Run(ctx)
}

// readSimState returns the credentials kept in path, nil if path is "" or
// does not exist.
func readSimState(path string) (*sim.Credentials, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the device state: %w", err)
	}
	var c sim.Credentials
	if err := json.Unmarshal(b, &c); err != nil || c.DeviceID == "" || c.Credential == "" {
		return nil, fmt.Errorf("%s does not hold a device's credentials (as saved by hearth sim --state)", path)
	}
	return &c, nil
}

// writeSimState saves the credentials readable by the owner only: they
// are the device's password. The file appears whole or not at all.
func writeSimState(path string, c *sim.Credentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*") // created 0600
	if err != nil {
		return fmt.Errorf("save the device state: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("save the device state: %w", err)
	}
	return nil
}

func simKinds() string {
	names := make([]string, len(device.Kinds))
	for i, k := range device.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
