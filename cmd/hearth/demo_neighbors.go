package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"hearth/internal/device"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/sim"
)

// demoStaff is a demo account whose role requires two-step sign-in: the
// demo prints the authenticator secret with the password.
type demoStaff struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp_secret"`
}

// demoNeighbourhood is the part of the demo that shows agencies' requests.
type demoNeighbourhood struct {
	Officer   demoStaff           `json:"officer"`
	Admin     demoStaff           `json:"admin"`
	Agency    neighbors.AgencyID  `json:"agency"`
	AgencyKey string              `json:"agency_key_file"`
	Request   neighbors.RequestID `json:"request"`
}

// demoNeighbours are the other households of the demo street: one inside
// the request's area, one outside it, each with a camera.
var demoNeighbours = []struct {
	email string
	home  household.Location
}{
	{"carla@demo.example", household.Location{Lat: 48.8580, Lng: 2.3530}}, // about 170 m away
	{"dan@demo.example", household.Location{Lat: 48.8680, Lng: 2.3522}},   // about 1.3 km away
}

// seedDemoNeighbourhood adds a verified agency with an officer and a key,
// the neighbouring households, clips the demo cameras recorded earlier,
// and one open request over the demo home whose window holds those clips:
// a newcomer can answer it as a resident and open the answer as the officer.
func seedDemoNeighbourhood(ctx context.Context, m *Main, st *demoState, cameras []*sim.Device) (*demoNeighbourhood, error) {
	now := m.Clock.Now().UTC().Truncate(time.Minute)
	n := &demoNeighbourhood{}
	officer, err := demoStaffUser(ctx, m, "officer@police.demo.example", identity.RoleAgencyOfficer, &n.Officer)
	if err != nil {
		return nil, err
	}
	admin, err := demoStaffUser(ctx, m, "admin@demo.example", identity.RoleAdmin, &n.Admin)
	if err != nil {
		return nil, err
	}
	agency, err := m.Neighbors.RegisterAgency(ctx, officer, neighbors.NewAgency{Name: "Demo City Police", Jurisdiction: "Demo City", Kind: neighbors.AgencyPolice})
	if err != nil {
		return nil, err
	}
	if _, err := m.Neighbors.VerifyAgency(ctx, admin, agency.ID); err != nil {
		return nil, err
	}
	n.Agency = agency.ID
	// The agency's key lives with the agency; the demo keeps it in a file
	// of the data directory so the officer's browser can load it.
	key, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	n.AgencyKey = filepath.Join(m.Config.Data, "demo-agency-key.txt")
	file := fmt.Sprintf("# public key: %s\n%s\n", key.Recipient(), key)
	if err := os.WriteFile(n.AgencyKey, []byte(file), 0o600); err != nil {
		return nil, err
	}
	if err := m.Neighbors.SetAgencyRecipient(ctx, officer, agency.ID, key.Recipient().String()); err != nil {
		return nil, err
	}
	for _, nb := range demoNeighbours {
		mem := demoMember{Email: nb.email, Password: demoSecret()}
		u, err := demoUser(ctx, m, mem)
		if err != nil {
			return nil, err
		}
		h, err := m.Households.Create(ctx, u, household.NewHousehold{Name: "Neighbour " + nb.email, Home: nb.home, TimeZone: "Europe/Paris", RetentionDays: 7})
		if err != nil {
			return nil, err
		}
		code, _, err := m.Devices.StartPairing(ctx, u, h.ID, device.KindCamera, "Street camera")
		if err != nil {
			return nil, err
		}
		if _, _, err := m.Devices.Pair(ctx, code); err != nil {
			return nil, err
		}
		st.Neighbours = append(st.Neighbours, mem)
	}
	// What the cameras kept from earlier: two clips each, in the window.
	for _, c := range cameras {
		for _, ago := range []time.Duration{45 * time.Minute, 38 * time.Minute} {
			if _, err := c.RecordAt(ctx, now.Add(-ago), 3*time.Second); err != nil {
				return nil, err
			}
		}
	}
	r, err := m.Neighbors.PostRequest(ctx, officer, agency.ID, neighbors.NewRequest{
		IncidentType: "Vehicle break-in", Title: "Car broken into on Demo Street",
		Description: "A car parked on Demo Street was broken into. Footage of the street in this window may show who did it.",
		CaseNumber:  "DCP-2026-0001", Contact: "Det. Demo, officer@police.demo.example",
		WindowStart: now.Add(-time.Hour), WindowEnd: now.Add(-30 * time.Minute),
		Area:                   geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: 48.8570, Lng: 2.3525}, RadiusMeters: 300}},
		NotAboutLawfulActivity: true,
	})
	if err != nil {
		return nil, err
	}
	n.Request = r.ID
	return n, nil
}

// demoStaffUser creates an account of a role that keeps two-step sign-in,
// confirms its authenticator, and records its sign-in details in out.
func demoStaffUser(ctx context.Context, m *Main, email string, role identity.Role, out *demoStaff) (neighbors.Actor, error) {
	out.Email, out.Password = email, demoSecret()
	u, enrollment, _, err := m.Identity.CreateUser(ctx, email, role, out.Password)
	if err != nil {
		return neighbors.Actor{}, err
	}
	out.TOTP = enrollment.Secret
	return neighbors.Actor{ID: u.ID, Role: u.Role}, nil
}

// printDemoNeighbourhood tells how to walk an agency's request through.
func printDemoNeighbourhood(w io.Writer, m *Main, n *demoNeighbourhood) {
	fmt.Fprintf(w, `An agency, "Demo City Police", asks the street for footage: %s/requests/%s
The demo home received it (see its notices and household page); answer it by
choosing clips. Then sign in as the officer to open what was shared, with the
agency's key file %s. Officers and administrators always use two-step
sign-in: add the secret to an authenticator app (or oathtool --totp -b SECRET).
  %-28s password %s   authenticator secret %s
  %-28s password %s   authenticator secret %s
`, m.URL(), n.Request, n.AgencyKey, n.Officer.Email, n.Officer.Password, n.Officer.TOTP, n.Admin.Email, n.Admin.Password, n.Admin.TOTP)
}
