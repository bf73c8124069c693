package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pquerna/otp/totp"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sim"
	"hearth/internal/vault"
)

// The demo's default data directory: never the production default, so that
// --demo cannot seed made-up people into a real installation by accident.
const demoDataDir = "./hearth-demo"

// demoState is what the demo remembers between runs, in <data>/demo.json
// (mode 0600): the made-up members' sign-in details and the virtual devices'
// credentials. They are throwaway secrets of a demo, printed at every start.
type demoState struct {
	Household     household.ID       `json:"household"`
	Members       []demoMember       `json:"members"`
	Devices       []sim.Credentials  `json:"devices"`
	Neighbours    []demoMember       `json:"neighbours,omitempty"`
	Neighbourhood *demoNeighbourhood `json:"neighbourhood,omitempty"`
}

type demoMember struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	Passphrase string `json:"passphrase"`
}

// demoDevices are the virtual devices the demo household runs.
var demoDevices = []struct {
	kind device.Kind
	name string
}{
	{device.KindDoorbell, "Front door"},
	{device.KindCamera, "Driveway"},
	{device.KindCamera, "Back garden"},
}

// demoOptions tune the virtual devices; tests run them on a fake clock
// and hear what they do.
type demoOptions struct {
	EventEvery time.Duration
	Heartbeat  time.Duration
	Clock      clock.Clock      // the devices' clock; nil: the system clock
	OnReport   func(sim.Report) // told of each device's scheduled events and recordings
}

// startDemo seeds the demo household on first start (or loads it), runs its
// virtual devices against m's own HTTP and MQTT endpoints until m closes,
// and prints how to sign in.
func startDemo(ctx context.Context, m *Main, opts demoOptions, stdout io.Writer) error {
	path := filepath.Join(m.Config.Data, "demo.json")
	st, err := loadDemoState(path)
	fresh := errors.Is(err, fs.ErrNotExist)
	if fresh {
		if st, err = seedDemo(ctx, m); err != nil {
			return fmt.Errorf("seed the demo: %w", err)
		}
	} else if err != nil {
		return err
	}
	var devices []*sim.Device
	for _, creds := range st.Devices {
		// The broker may be on another port than when the device paired
		// (the default port was taken, and a free one chosen).
		creds.MQTTURL = m.mqttURL()
		d, err := sim.New(sim.Config{
			Server: m.URL(), Credentials: &creds, Heartbeat: opts.Heartbeat, EventEvery: opts.EventEvery,
			Logger: m.Logger.With("component", "demo"),
			Clock:  opts.Clock, OnReport: opts.OnReport,
		})
		if err != nil {
			return err
		}
		devices = append(devices, d)
	}
	if fresh {
		if st.Neighbourhood, err = seedDemoNeighbourhood(ctx, m, st, devices); err != nil {
			return fmt.Errorf("seed the demo's neighbourhood: %w", err)
		}
		if err := saveDemoState(path, st); err != nil {
			return err
		}
	}
	for _, d := range devices {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			if err := d.Run(m.jobs); err != nil {
				m.Logger.Warn("demo device stopped", "device", d.ID(), "err", err)
			}
		}()
	}
	fmt.Fprintf(stdout, `
Demo household "Demo home": a doorbell and two cameras, all virtual, report
events and record clips every few seconds. Sign in at %s
as either member (two-step sign-in is off for these demo accounts), open the
household's timeline, and unlock the key to play clips in your browser:
`, m.URL())
	for _, mem := range st.Members {
		fmt.Fprintf(stdout, "  %-18s password %s   key passphrase %s\n", mem.Email, mem.Password, mem.Passphrase)
	}
	if st.Neighbourhood != nil {
		printDemoNeighbourhood(stdout, m, st.Neighbourhood)
	}
	fmt.Fprintf(stdout, "These details are kept in %s; delete %s to start afresh.\n\n", path, m.Config.Data)
	return nil
}

// seedDemo makes the demo household through the same services a person
// would go through: two residents, a household they share, each member's
// age key, and three devices paired over the HTTP API.
func seedDemo(ctx context.Context, m *Main) (*demoState, error) {
	st := &demoState{}
	var users []identity.UserID
	for _, email := range []string{"ana@demo.example", "ben@demo.example"} {
		mem := demoMember{Email: email, Password: demoSecret(), Passphrase: demoSecret()}
		u, err := demoUser(ctx, m, mem)
		if err != nil {
			return nil, err
		}
		recipient, wrapped, err := newDemoMemberKey(mem.Passphrase)
		if err != nil {
			return nil, err
		}
		if err := m.Vault.SetKey(ctx, u, recipient, wrapped); err != nil {
			return nil, err
		}
		users = append(users, u)
		st.Members = append(st.Members, mem)
	}
	h, err := m.Households.Create(ctx, users[0], household.NewHousehold{
		Name: "Demo home", Address: "1 Demo Street", Home: household.Location{Lat: 48.8566, Lng: 2.3522},
		TimeZone: "Europe/Paris", RetentionDays: 7,
	})
	if err != nil {
		return nil, err
	}
	st.Household = h.ID
	invitation, _, err := m.Households.Invite(ctx, users[0], h.ID)
	if err != nil {
		return nil, err
	}
	if _, err := m.Households.Join(ctx, users[1], invitation); err != nil {
		return nil, err
	}
	for _, dd := range demoDevices {
		code, _, err := m.Devices.StartPairing(ctx, users[0], h.ID, dd.kind, dd.name)
		if err != nil {
			return nil, err
		}
		creds, err := sim.Pair(ctx, nil, m.URL(), code)
		if err != nil {
			return nil, err
		}
		st.Devices = append(st.Devices, *creds)
	}
	return st, nil
}

// newDemoMemberKey makes a member's key as the member's browser would, at
// the work factor the vault requires of everyone (2^18: scrypt takes a
// 256 MiB buffer). A browser does this once per person; the demo does it in
// the server's process, one member after another, so it collects each
// buffer at once and hands the memory back to the system. Otherwise the
// collector sizes the heap for 256 MiB live, a second key takes a second
// buffer before the first is collected, and the process holds about 600 MB
// until its next collection, which an idle demo reaches only when the
// runtime forces one, two minutes later. Keys are made only when the demo
// is seeded; later starts read them from the database.
func newDemoMemberKey(passphrase string) (string, []byte, error) {
	defer debug.FreeOSMemory()
	_, recipient, wrapped, err := vault.NewMemberKey(passphrase)
	return recipient, wrapped, err
}

// demoUser creates a resident and turns two-step sign-in off, the way the
// resident could on the account page, so that trying the demo takes only
// an e-mail and a password.
func demoUser(ctx context.Context, m *Main, mem demoMember) (identity.UserID, error) {
	u, enrollment, _, err := m.Identity.CreateUser(ctx, mem.Email, identity.RoleResident, mem.Password)
	if err != nil {
		return "", err
	}
	client := identity.ClientInfo{Addr: "127.0.0.1", UserAgent: "hearth demo"}
	partial, err := m.Identity.LogIn(ctx, mem.Email, mem.Password, client)
	if err != nil {
		return "", err
	}
	code, err := totp.GenerateCode(enrollment.Secret, m.Clock.Now())
	if err != nil {
		return "", err
	}
	full, err := m.Identity.VerifySecondFactor(ctx, partial.Session, code, client)
	if err != nil {
		return "", err
	}
	if err := m.Identity.DisableSecondFactor(ctx, full.Session, mem.Password, client); err != nil {
		return "", err
	}
	return u.ID, m.Identity.LogOut(ctx, full.Session)
}

// demoSecret is a random, typeable secret: 16 base32 letters in groups.
func demoSecret() string {
	b := make([]byte, 10)
	rand.Read(b)
	s := strings.ToLower(base32.StdEncoding.EncodeToString(b))
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

func loadDemoState(path string) (*demoState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st demoState
	if err := json.Unmarshal(b, &st); err != nil || st.Household == "" || len(st.Members) == 0 {
		return nil, &apperr.Error{Op: "demo", Code: apperr.Invalid,
			Message: fmt.Sprintf("%s is damaged; delete the demo data directory to start afresh", path), Err: err}
	}
	return &st, nil
}

func saveDemoState(path string, st *demoState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
