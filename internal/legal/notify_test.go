package legal_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/internal/legal"
	"hearth/internal/notice"
	"hearth/internal/sqlstore"
)

// legalNotices returns ana's legal-demand notices.
func (f *fixture) legalNotices(t *testing.T) []*notice.Notice {
	t.Helper()
	list, err := f.Notices.List(context.Background(), f.ana)
	if err != nil {
		t.Fatal(err)
	}
	var out []*notice.Notice
	for _, n := range list {
		if n.Kind == notice.KindLegalDemand {
			out = append(out, n)
		}
	}
	return out
}

func TestNotifiedWhenDecided(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	n := goodDemand(legal.SearchWarrant)
	d := f.record(t, n)
	if len(f.legalNotices(t)) != 0 {
		t.Fatal("told before the demand was decided")
	}
	d, err := f.svc.Decide(ctx, f.admin, d.ID, legal.Decision{Outcome: legal.Full,
		Produced: []legal.Category{legal.AccountData, legal.Ciphertext}, Note: "one clip"})
	if err != nil {
		t.Fatal(err)
	}
	got := f.legalNotices(t)
	if len(got) != 1 || !d.Notified() || !d.NotifiedAt.Equal(now) {
		t.Fatalf("notices after deciding: %d; demand %+v", len(got), d)
	}
	for _, want := range []string{"a search warrant", n.Agency, "France", "2026-03-08", string(d.ID), n.Scope,
		"fully complied with it", "account data, encrypted media (ciphertext)", "Hearth cannot decrypt it"} {
		if !strings.Contains(got[0].Text, want) {
			t.Errorf("notice lacks %q:\n%s", want, got[0].Text)
		}
	}
	if sent, err := f.svc.NotifyDue(ctx); err != nil || sent != 0 || len(f.legalNotices(t)) != 1 {
		t.Fatalf("NotifyDue after the decision told them: %d, %v", sent, err)
	}
}

// TestNotifyDue walks a delayed notice past its lapse with a fake clock.
func TestNotifyDue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	n := goodDemand(legal.CourtOrder)
	until := time.Date(2026, 4, 7, 0, 0, 0, 0, time.UTC) // a day: only the date counts
	n.DelayOrder, n.DelayUntil = "TJ Paris 26/104", until
	d := f.record(t, n)
	d, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Partial, Produced: []legal.Category{legal.Metadata}})
	if err != nil || d.Notified() {
		t.Fatalf("Decide under a delay: %+v, %v", d, err)
	}
	// A rejected demand without a delay is told at once.
	other := f.record(t, goodDemand(legal.Foreign))
	if _, err := f.svc.Decide(ctx, f.staff, other.ID, legal.Decision{Outcome: legal.Rejected}); err != nil {
		t.Fatal(err)
	}
	// Pending demands are never told, however late.
	f.record(t, goodDemand(legal.Subpoena))
	if got := f.legalNotices(t); len(got) != 1 || !strings.Contains(got[0].Text, "rejected it and produced nothing") {
		t.Fatalf("notices: %v", got)
	}

	for _, tc := range []struct {
		name string
		at   time.Time
		sent int
	}{
		{"BeforeTheLapse", until.Add(-time.Microsecond), 0},
		{"AtTheLapse", until, 1},
		{"AfterTheLapse", until.Add(time.Hour), 0},
		{"MuchLater", until.AddDate(1, 0, 0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.Clock.Set(tc.at)
			sent, err := f.svc.NotifyDue(ctx)
			if err != nil || sent != tc.sent {
				t.Fatalf("NotifyDue = %d, %v, want %d", sent, err, tc.sent)
			}
		})
	}
	got := f.legalNotices(t)
	if len(got) != 2 {
		t.Fatalf("%d notices, want 2", len(got))
	}
	for _, want := range []string{"a court order", "partially complied with it and produced: metadata", "A court order (TJ Paris 26/104) kept Hearth from telling you before 2026-04-07"} {
		if !strings.Contains(got[0].Text, want) {
			t.Errorf("delayed notice lacks %q:\n%s", want, got[0].Text)
		}
	}
	stored, _ := f.svc.Demand(ctx, f.staff, d.ID)
	if !stored.NotifiedAt.Equal(until) {
		t.Fatalf("notified at %v, want %v", stored.NotifiedAt, until)
	}
	e, body := f.entry(t, stored.NotifiedIndex)
	if e.Type != legal.EntryNotified || body["notice_was_delayed"] != true || body["notice_delayed_until"] != "2026-04-07" {
		t.Fatalf("legal.notified entry: %s %v", e.Type, body)
	}
}

// TestNotifyDueOnTwoNodes: two services on one database, running at once,
// tell the person once.
func TestNotifyDueOnTwoNodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	const demands = 5
	until := time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)
	for range demands {
		n := goodDemand(legal.Subpoena)
		n.DelayOrder, n.DelayUntil = "Order 1", until
		d := f.record(t, n)
		if _, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Full, Produced: []legal.Category{legal.AccountData}}); err != nil {
			t.Fatal(err)
		}
	}
	f.Clock.Set(until)
	other := legal.NewService(legal.Deps{Store: sqlstore.NewLegalStore(f.DB), Log: f.Log, Accounts: f.Identity, Notifier: f.Notices,
		Clock: f.Clock, SubjectKey: subjectKey})
	var wg sync.WaitGroup
	sent := make([]int, 2)
	for i, svc := range []*legal.Service{f.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := svc.NotifyDue(ctx)
			if err != nil {
				t.Error(err)
			}
			sent[i] = n
		}()
	}
	wg.Wait()
	if sent[0]+sent[1] != demands || len(f.legalNotices(t)) != demands {
		t.Fatalf("sent %v, %d notices; want %d in all", sent, len(f.legalNotices(t)), demands)
	}
}

// TestNoticeFits: at the longest fields, the notice is within what the
// notice service takes.
func TestNoticeFits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	n := goodDemand(legal.SearchWarrant)
	n.Agency, n.Jurisdiction, n.Scope = strings.Repeat("é", legal.MaxAgencyLength), strings.Repeat("j", legal.MaxJurisdictionLength), strings.Repeat("s", legal.MaxScopeLength)
	n.DelayOrder, n.DelayUntil = strings.Repeat("o", legal.MaxDelayOrderLength), n.ReceivedOn.Add(24*time.Hour)
	d := f.record(t, n)
	f.Clock.Set(n.DelayUntil)
	if _, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Partial, Produced: legal.Categories}); err != nil {
		t.Fatalf("Decide at the longest fields: %v", err)
	}
	if got := f.legalNotices(t); len(got) != 1 {
		t.Fatalf("%d notices", len(got))
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if first, err := f.svc.FirstReceived(ctx); err != nil || !first.IsZero() {
		t.Fatalf("FirstReceived with no demands: %v, %v", first, err)
	}
	decide := func(typ legal.Type, received time.Time, o legal.Outcome, produced ...legal.Category) {
		n := goodDemand(typ)
		n.ReceivedOn = received
		d := f.record(t, n)
		if o == legal.Pending {
			return
		}
		if _, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: o, Produced: produced}); err != nil {
			t.Fatal(err)
		}
	}
	h1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	decide(legal.Subpoena, h1, legal.Full, legal.AccountData)
	decide(legal.Subpoena, h1.AddDate(0, 1, 0), legal.Rejected)
	decide(legal.Subpoena, h1.AddDate(0, 2, 0), legal.Pending)
	decide(legal.Emergency, h1.AddDate(0, 2, 0), legal.Partial, legal.Metadata)
	decide(legal.Emergency, h1.AddDate(0, 2, 0), legal.Rejected)
	decide(legal.SearchWarrant, h1.AddDate(0, 0, -1), legal.Full, legal.Ciphertext) // 2025-H2
	st, err := f.svc.Stats(ctx, h1, h1.AddDate(0, 6, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := map[legal.Type]legal.TypeStats{
		legal.Subpoena:      {Type: legal.Subpoena, Received: 3, Pending: 1, Rejected: 1, Full: 1},
		legal.SearchWarrant: {Type: legal.SearchWarrant},
		legal.CourtOrder:    {Type: legal.CourtOrder},
		legal.Emergency:     {Type: legal.Emergency, Received: 2, Rejected: 1, Partial: 1},
		legal.Foreign:       {Type: legal.Foreign},
	}
	if len(st.ByType) != len(legal.Types) || st.EmergencyDisclosures != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	for i, row := range st.ByType {
		if row.Type != legal.Types[i] || row != want[row.Type] {
			t.Errorf("row %d = %+v, want %+v", i, row, want[legal.Types[i]])
		}
	}
	if first, err := f.svc.FirstReceived(ctx); err != nil || !first.Equal(h1.AddDate(0, 0, -1)) {
		t.Fatalf("FirstReceived = %v, %v", first, err)
	}
}
