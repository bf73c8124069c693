// Command benchseed fills an empty Hearth store with what scripts/bench-api.sh
// measures: one resident with a number of signed-in sessions and an API
// token, a household they own with a camera, and a number of clips the
// camera uploaded. Everything goes through the real services, as it would in
// production, so the rows, indexes and blobs are the ones a server holds.
//
//	go run ./scripts/benchseed --data DIR [--db URL] [--sessions 20] [--clips 20]
//
// It prints shell-readable KEY=value lines (the token, the household's id, …);
// `hearth serve --data DIR [--db URL]` then serves that data.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/pquerna/otp/totp"

	"hearth/internal/blobstore"
	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sqlstore"
	"hearth/internal/vault"
)

// Limits on what the command seeds: enough for any list benchmark, and
// small enough that a mistyped count does not fill a disk.
const maxCount = 1000

// clipBytes is the plaintext size of each clip: the list never reads the
// blobs, so a small one keeps seeding quick.
const clipBytes = 4 << 10

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchseed:", err)
		os.Exit(1)
	}
}

// options are the command line, checked.
type options struct {
	data     string
	db       string
	sessions int
	clips    int
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("benchseed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.data, "data", "", "data directory the server will use (blobs go to <data>/blobs); created if missing")
	fs.StringVar(&o.db, "db", "", "database URL: postgres://… or sqlite:PATH (default SQLite in the data directory, as hearth serve)")
	fs.IntVar(&o.sessions, "sessions", 20, "signed-in sessions of the resident (the session list)")
	fs.IntVar(&o.clips, "clips", 20, "clips in the household (the clip list)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case strings.TrimSpace(o.data) == "":
		return o, errors.New("--data must name a directory")
	case o.sessions < 1 || o.sessions > maxCount:
		return o, fmt.Errorf("--sessions %d: use 1 to %d", o.sessions, maxCount)
	case o.clips < 0 || o.clips > maxCount:
		return o, fmt.Errorf("--clips %d: use 0 to %d", o.clips, maxCount)
	}
	if o.db == "" {
		o.db = "sqlite:" + filepath.Join(o.data, "hearth.db")
	}
	return o, nil
}

// seeded is what the benchmark needs to know of the data.
type seeded struct {
	user      identity.UserID
	token     string
	household household.ID
	device    device.ID
	sessions  int
	clips     int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	s, err := seed(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "HEARTH_USER=%s\nHEARTH_TOKEN=%s\nHEARTH_HOUSEHOLD=%s\nHEARTH_DEVICE=%s\nHEARTH_SESSIONS=%d\nHEARTH_CLIPS=%d\n",
		s.user, s.token, s.household, s.device, s.sessions, s.clips)
	return nil
}

// services are the domain services over one store, built as cmd/hearth
// builds them (with the production identity cost, so that password hashes
// are the real ones).
type services struct {
	db         *sqlstore.DB
	blobs      *blobstore.Store
	identity   *identity.Service
	households *household.Service
	devices    *device.Service
	vault      *vault.Service
}

func open(ctx context.Context, o options) (*services, error) {
	db, err := sqlstore.Open(ctx, o.db)
	if err != nil {
		return nil, err
	}
	blobsDir, err := filepath.Abs(filepath.Join(o.data, "blobs"))
	if err != nil {
		db.Close()
		return nil, err
	}
	blobs, err := blobstore.Open(ctx, "file://"+filepath.ToSlash(blobsDir))
	if err != nil {
		db.Close()
		return nil, err
	}
	ids, err := identity.NewService(identity.Deps{Store: sqlstore.NewIdentityStore(db), Clock: clock.Real{}, Config: identity.DefaultConfig()})
	if err != nil {
		blobs.Close()
		db.Close()
		return nil, err
	}
	hs := household.NewService(household.Deps{Store: sqlstore.NewHouseholdStore(db), Clock: clock.Real{}})
	// No gateway: nothing here sends a device a command.
	devs := device.NewService(device.Deps{Store: sqlstore.NewDeviceStore(db), Members: hs, Gateway: &device.Relay{}, Clock: clock.Real{}})
	v := vault.NewService(vault.Deps{Store: sqlstore.NewVaultStore(db), Blobs: blobs, Households: hs, Clock: clock.Real{}})
	return &services{db: db, blobs: blobs, identity: ids, households: hs, devices: devs, vault: v}, nil
}

func (s *services) close() error { return errors.Join(s.blobs.Close(), s.db.Close()) }

func seed(ctx context.Context, o options) (out *seeded, err error) {
	svc, err := open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, svc.close()) }()
	out = &seeded{}

	email := "bench-" + randomHex(4) + "@example.org"
	password := "bench " + randomHex(16)
	u, enrollment, _, err := svc.identity.CreateUser(ctx, email, identity.RoleResident, password)
	if err != nil {
		return nil, fmt.Errorf("create the resident: %w", err)
	}
	out.user = u.ID
	// The first sign-in goes through the second factor; the resident then
	// turns it off, as they could on the account page, so that the other
	// sessions need only the password.
	first, err := signIn(ctx, svc.identity, email, password, enrollment.Secret, 0)
	if err != nil {
		return nil, err
	}
	if err := svc.identity.DisableSecondFactor(ctx, first.Session, password, clientInfo(0)); err != nil {
		return nil, fmt.Errorf("turn off two-step sign-in: %w", err)
	}
	out.token, _, err = svc.identity.IssueAPIToken(ctx, first.Session, "benchmark", []identity.Scope{identity.ScopeAccountRead})
	if err != nil {
		return nil, fmt.Errorf("issue the API token: %w", err)
	}
	for i := 1; i < o.sessions; i++ {
		if _, err := signIn(ctx, svc.identity, email, password, "", i); err != nil {
			return nil, err
		}
	}
	out.sessions = o.sessions

	h, err := svc.households.Create(ctx, u.ID, household.NewHousehold{
		Name: "Benchmark home", Address: "1 Example Street", Home: household.Location{Lat: 48.8566, Lng: 2.3522},
		TimeZone: "Europe/Paris", RetentionDays: 30,
	})
	if err != nil {
		return nil, fmt.Errorf("create the household: %w", err)
	}
	out.household = h.ID
	code, _, err := svc.devices.StartPairing(ctx, u.ID, h.ID, device.KindCamera, "Front door")
	if err != nil {
		return nil, fmt.Errorf("start pairing: %w", err)
	}
	dev, _, err := svc.devices.Pair(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("pair the camera: %w", err)
	}
	out.device = dev.ID
	if err := uploadClips(ctx, svc.vault, h.ID, dev.ID, o.clips); err != nil {
		return nil, err
	}
	out.clips = o.clips
	return out, nil
}

// signIn signs the resident in from the i-th client; totpSecret is given
// while two-step sign-in is on.
func signIn(ctx context.Context, ids *identity.Service, email, password, totpSecret string, i int) (identity.Grant, error) {
	g, err := ids.LogIn(ctx, email, password, clientInfo(i))
	if err != nil {
		return g, fmt.Errorf("sign in: %w", err)
	}
	if totpSecret == "" {
		return g, nil
	}
	code, err := totp.GenerateCode(totpSecret, time.Now())
	if err != nil {
		return g, err
	}
	g, err = ids.VerifySecondFactor(ctx, g.Session, code, clientInfo(i))
	if err != nil {
		return g, fmt.Errorf("second factor: %w", err)
	}
	return g, nil
}

// clientInfo varies the address and browser of each session, as a real
// list would show.
func clientInfo(i int) identity.ClientInfo {
	return identity.ClientInfo{
		Addr:      fmt.Sprintf("192.0.2.%d", 1+i%250),
		UserAgent: fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) Firefox/%d.0", 120+i),
	}
}

// uploadClips stores n clips as the camera would: age files encrypted to
// one X25519 recipient, a minute each, ending in the last hours.
func uploadClips(ctx context.Context, v *vault.Service, hh household.ID, dev device.ID, n int) error {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	end := time.Now().Add(-time.Minute).Truncate(time.Second)
	for i := 0; i < n; i++ {
		var ct bytes.Buffer
		w, err := age.Encrypt(&ct, id.Recipient())
		if err != nil {
			return err
		}
		plain := make([]byte, clipBytes)
		rand.Read(plain)
		if _, err := w.Write(plain); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		up := vault.Upload{Household: hh, Device: dev, Kind: vault.KindVideo, Start: end.Add(-time.Minute), End: end}
		if _, _, err := v.Put(ctx, up, &ct, int64(ct.Len())); err != nil {
			return fmt.Errorf("upload clip %d: %w", i+1, err)
		}
		end = end.Add(-7 * time.Minute)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
