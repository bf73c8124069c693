package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"

	"hearth/internal/clock"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
	"hearth/internal/notice"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/translog"
	"hearth/internal/transparency"
	"hearth/internal/vault"
)

// startMainAt runs the real service, as startMain does, on a fake clock.
func startMainAt(t *testing.T, db string, at time.Time) (*Main, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(at)
	m := openMain(t, Config{Data: t.TempDir(), HTTP: "127.0.0.1:0", MQTT: "127.0.0.1:0", DB: db, LogLevel: "warn"}, clk)
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m, clk
}

func account(t *testing.T, m *Main, email string, role identity.Role) *identity.User {
	t.Helper()
	u, _, _, err := m.Identity.CreateUser(context.Background(), email, role, "a long test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// legalTally is what the log says about one period: the figures the report
// must match.
type legalTally struct {
	demands  map[legal.Type]*transparency.DemandFigures
	disclose int
	requests map[string]int // agency id → requests posted
	enrolled int
	clips    int // clips submitted in the period and not withdrawn
}

// tallyLog reads every entry of the log, up to a checkpoint covering last,
// and counts what the report of period p must show.
func tallyLog(t *testing.T, m *Main, last uint64, p transparency.Period) legalTally {
	t.Helper()
	ctx := context.Background()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cp, err := m.Log.AwaitCheckpoint(cctx, last)
	if err != nil {
		t.Fatal(err)
	}
	type body struct {
		Demand              string   `json:"demand"`
		Type                string   `json:"type"`
		ReceivedOn          string   `json:"received_on"`
		Outcome             string   `json:"outcome"`
		Produced            []string `json:"produced"`
		EmergencyDisclosure bool     `json:"emergency_disclosure"`
		Agency              string   `json:"agency"`
		VerifiedAt          string   `json:"verified_at"`
		Submission          string   `json:"submission"`
		Clips               int      `json:"clips"`
	}
	in := func(ts time.Time) bool { return !ts.Before(p.Start()) && ts.Before(p.End()) }
	tally := legalTally{demands: map[legal.Type]*transparency.DemandFigures{}, requests: map[string]int{}}
	received := map[string]bool{} // demands received in the period
	submitted := map[string]int{} // clips of submissions made in the period
	for i := uint64(0); i < cp.Size; i++ {
		raw, err := m.Log.ReadEntry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		e, err := translog.ParseEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		var b body
		if err := json.Unmarshal(e.Body, &b); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		day, _ := time.Parse("2006-01-02", b.ReceivedOn)
		switch e.Type {
		case legal.EntryRecorded:
			if !in(day) {
				continue
			}
			received[b.Demand] = true
			f := tally.demands[legal.Type(b.Type)]
			if f == nil {
				f = &transparency.DemandFigures{Type: legal.Type(b.Type)}
				tally.demands[f.Type] = f
			}
			f.Received++
			f.Pending++
		case legal.EntryDecided:
			if !received[b.Demand] {
				continue
			}
			f := tally.demands[legal.Type(b.Type)]
			f.Pending--
			switch legal.Outcome(b.Outcome) {
			case legal.Rejected:
				f.Rejected++
			case legal.Partial:
				f.Partial++
			case legal.Full:
				f.Full++
			default:
				t.Fatalf("entry %d: outcome %q", i, b.Outcome)
			}
			if b.EmergencyDisclosure != (b.Type == "emergency" && len(b.Produced) > 0) {
				t.Fatalf("entry %d: emergency_disclosure %v for %s producing %v", i, b.EmergencyDisclosure, b.Type, b.Produced)
			}
			if b.EmergencyDisclosure {
				tally.disclose++
			}
		case neighbors.EntryRequestPosted:
			if in(e.Time) {
				tally.requests[b.Agency]++
			}
		case neighbors.EntrySubmitted:
			if in(e.Time) {
				submitted[b.Submission] = b.Clips
				tally.clips += b.Clips
			}
		case neighbors.EntryWithdrawn:
			tally.clips -= submitted[b.Submission]
		case neighbors.EntryAgencyVerified:
			if v, err := time.Parse(time.RFC3339, b.VerifiedAt); err != nil || !v.Before(p.End()) {
				t.Fatalf("entry %d: verified_at %q, %v", i, b.VerifiedAt, err)
			}
			tally.enrolled++
		}
	}
	return tally
}

// TestTransparencyReportReconcilesWithTheLog runs the real service, makes
// legal demands of several types and outcomes, agencies and their
// requests, and checks that the report says what the public log says.
func TestTransparencyReportReconcilesWithTheLog(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, reconcileReport)
}

func reconcileReport(t *testing.T, db string) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	m, clk := startMainAt(t, db, now)
	ctx := context.Background()
	staff := account(t, m, "staff@example.org", identity.RoleStaff)
	admin := account(t, m, "admin@example.org", identity.RoleAdmin)
	ana := account(t, m, "ana@example.org", identity.RoleResident)
	account(t, m, "bob@example.org", identity.RoleResident)
	staffActor, adminActor := legal.Actor{ID: staff.ID, Role: staff.Role}, legal.Actor{ID: admin.ID, Role: admin.Role}

	var last uint64
	demand := func(typ legal.Type, email string, received time.Time, delayed bool, outcome legal.Outcome, produced ...legal.Category) *legal.Demand {
		t.Helper()
		n := legal.NewDemand{Type: typ, Agency: "Parquet de Paris", Jurisdiction: "France", Scope: "Account records",
			ReceivedOn: received, AccountEmail: email}
		if delayed {
			n.DelayOrder, n.DelayUntil = "TJ Paris 26/104", now.AddDate(0, 2, 0)
		}
		d, err := m.Legal.Record(ctx, staffActor, n)
		if err != nil {
			t.Fatal(err)
		}
		last = max(last, d.RecordedIndex)
		if outcome == legal.Pending {
			return d
		}
		if d, err = m.Legal.Decide(ctx, adminActor, d.ID, legal.Decision{Outcome: outcome, Produced: produced}); err != nil {
			t.Fatal(err)
		}
		last = max(last, d.DecidedIndex, d.NotifiedIndex)
		return d
	}
	thisHalf := now.AddDate(0, 0, -3)
	demand(legal.Subpoena, "ana@example.org", thisHalf, false, legal.Full, legal.AccountData)
	demand(legal.Subpoena, "bob@example.org", thisHalf, false, legal.Rejected)
	demand(legal.SearchWarrant, "ana@example.org", thisHalf, false, legal.Partial, legal.Ciphertext)
	demand(legal.CourtOrder, "bob@example.org", thisHalf, false, legal.Pending)
	demand(legal.Emergency, "ana@example.org", thisHalf, false, legal.Full, legal.AccountData, legal.Metadata)
	demand(legal.Emergency, "bob@example.org", thisHalf, false, legal.Rejected)
	demand(legal.Foreign, "bob@example.org", thisHalf, false, legal.Rejected)
	delayed := demand(legal.CourtOrder, "ana@example.org", thisHalf, true, legal.Partial, legal.Metadata)
	// Received in the previous half-year: in that report, not this one.
	demand(legal.SearchWarrant, "ana@example.org", time.Date(2025, 12, 20, 0, 0, 0, 0, time.UTC), false, legal.Full, legal.AccountData)

	// Two verified agencies post requests; a third is never verified.
	agency := func(name, officerEmail string, verify bool) (neighbors.Actor, *neighbors.Agency) {
		t.Helper()
		o := account(t, m, officerEmail, identity.RoleAgencyOfficer)
		officer := neighbors.Actor{ID: o.ID, Role: o.Role}
		a, err := m.Neighbors.RegisterAgency(ctx, officer, neighbors.NewAgency{Name: name, Jurisdiction: "France", Kind: neighbors.AgencyPolice})
		if err != nil {
			t.Fatal(err)
		}
		if verify {
			if a, err = m.Neighbors.VerifyAgency(ctx, neighbors.Actor{ID: admin.ID, Role: admin.Role}, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		return officer, a
	}
	post := func(officer neighbors.Actor, a *neighbors.Agency, caseNumber string) {
		t.Helper()
		r, err := m.Neighbors.PostRequest(ctx, officer, a.ID, neighbors.NewRequest{IncidentType: "burglary", Title: "Break-in",
			Description: "A flat was broken into; street footage may show who.", CaseNumber: caseNumber, Contact: "Det. Martin",
			WindowStart: now.Add(-4 * time.Hour), WindowEnd: now.Add(-2 * time.Hour),
			Area:                   geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: 48.8566, Lng: 2.3522}, RadiusMeters: 300}},
			NotAboutLawfulActivity: true})
		if err != nil {
			t.Fatal(err)
		}
		last = max(last, r.PostedIndex)
	}
	parisOfficer, paris := agency("Police de Paris", "paris@example.org", true)
	lyonOfficer, lyon := agency("Police de Lyon", "lyon@example.org", true)
	agency("Police de Nice", "nice@example.org", false)
	agencyKey, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Neighbors.SetAgencyRecipient(ctx, parisOfficer, paris.ID, agencyKey.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	// A household inside the area, with a camera, before the requests.
	home := newRFAHousehold(t, m, "ines@example.org", household.Location{Lat: 48.8567, Lng: 2.3523}, true)
	kept := home.record(t, m, now.Add(-3*time.Hour), []byte("kept"))
	taken := home.record(t, m, now.Add(-150*time.Minute), []byte("taken back"))
	post(parisOfficer, paris, "PP-1")
	post(parisOfficer, paris, "PP-2")
	post(lyonOfficer, lyon, "PL-1")
	// It answers the first request twice, and withdraws the second answer.
	reached, err := m.Neighbors.DeliveredRequests(ctx, home.user, home.home.ID)
	if err != nil || len(reached) != 3 { // all three cover the same area
		t.Fatalf("requests that reached the household: %d, %v", len(reached), err)
	}
	answered := reached[0]
	for _, r := range reached {
		if r.Agency == paris.ID { // the agency with a key
			answered = r
		}
	}
	for _, c := range []vault.ClipID{kept, taken} {
		header, err := vault.Rewrap(home.download(t, c), home.identity, agencyKey.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Vault.AddWrap(ctx, home.user, c, agencyKey.Recipient().String(), header); err != nil {
			t.Fatal(err)
		}
	}
	first, err := m.Neighbors.Submit(ctx, home.user, answered.ID, neighbors.NewSubmission{Household: home.home.ID, Clips: []vault.ClipID{kept}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Neighbors.Submit(ctx, home.user, answered.ID, neighbors.NewSubmission{Household: home.home.ID, Clips: []vault.ClipID{taken, kept}})
	if err != nil {
		t.Fatal(err)
	}
	withdrawn, err := m.Neighbors.Withdraw(ctx, home.user, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	last = max(last, first.SubmittedIndex, withdrawn.WithdrawnIndex)

	period := transparency.PeriodOf(now)
	tally := tallyLog(t, m, last, period)
	rep, err := m.Report.Report(ctx, period)
	if err != nil {
		t.Fatal(err)
	}
	var total transparency.DemandFigures
	for _, got := range rep.Demands {
		want := transparency.DemandFigures{Type: got.Type}
		if f := tally.demands[got.Type]; f != nil {
			want = *f
		}
		if got != want {
			t.Errorf("%s: report %+v, log %+v", got.Type, got, want)
		}
		total.Received += want.Received
	}
	if len(rep.Demands) != len(legal.Types) || rep.Totals.Received != total.Received || total.Received != 8 {
		t.Errorf("totals: report %+v, log received %d (want 8)", rep.Totals, total.Received)
	}
	if rep.EmergencyDisclosures != tally.disclose || tally.disclose != 1 {
		t.Errorf("emergency disclosures: report %d, log %d (want 1)", rep.EmergencyDisclosures, tally.disclose)
	}
	gotRequests := map[string]int{}
	for _, r := range rep.Requests {
		gotRequests[string(r.Agency)] = r.Requests
	}
	if diff := cmp.Diff(tally.requests, gotRequests); diff != "" || len(gotRequests) != 2 || rep.RequestsTotal != 3 {
		t.Errorf("requests per agency (-log +report):\n%s", diff)
	}
	if rep.AgenciesEnrolled != tally.enrolled || tally.enrolled != 2 {
		t.Errorf("agencies enrolled: report %d, log %d (want 2)", rep.AgenciesEnrolled, tally.enrolled)
	}
	if rep.ClipsShared != tally.clips || tally.clips != 1 {
		t.Errorf("clips shared: report %d, log %d (want 1)", rep.ClipsShared, tally.clips)
	}
	if share, ok := rep.Totals.ShareComplied(); !ok || share != 4.0/7 {
		t.Errorf("share complied = %v, %v; want 4/7", share, ok)
	}

	// The public JSON says the same as the report.
	resp, err := http.Get(m.URL() + "/transparency.json?period=" + period.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Legal struct {
			Total struct {
				Received, Pending int
			} `json:"total"`
			EmergencyDisclosures int `json:"emergency_disclosures"`
		} `json:"legal_demands"`
		Requests struct {
			Total int `json:"total"`
		} `json:"requests_for_assistance"`
		Enrolled int `json:"agencies_enrolled"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("transparency.json: %d %v", resp.StatusCode, err)
	}
	if doc.Legal.Total.Received != 8 || doc.Legal.Total.Pending != 1 || doc.Legal.EmergencyDisclosures != 1 || doc.Requests.Total != 3 || doc.Enrolled != 2 {
		t.Errorf("transparency.json: %+v", doc)
	}

	// The delayed notice goes out from the periodic job once the delay lapses.
	legalNotices := func() int {
		list, err := m.Notices.List(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range list {
			if x.Kind == notice.KindLegalDemand {
				n++
			}
		}
		return n
	}
	before := legalNotices()
	clk.Set(delayed.DelayUntil)
	// Main's background runner, woken by the clock, may be running the job
	// too: RunDue then waits for that run rather than starting another.
	m.Jobs.RunDue(ctx)
	d, err := m.Legal.Demand(ctx, staffActor, delayed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := legalNotices(); got != before+1 {
		t.Fatalf("legal notices: %d, want %d", got, before+1)
	}
	if !d.NotifiedAt.Equal(delayed.DelayUntil) {
		t.Fatalf("delayed demand after the job ran: %+v", d)
	}
}
