package transparency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
	"hearth/internal/transparency"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want transparency.Period
		ok   bool
	}{
		{"2026-H1", transparency.Period{Year: 2026, Half: 1}, true},
		{"2026-H2", transparency.Period{Year: 2026, Half: 2}, true},
		{" 2030-h2 ", transparency.Period{Year: 2030, Half: 2}, true},
		{"2000-H1", transparency.Period{Year: 2000, Half: 1}, true},
		{"1999-H2", transparency.Period{}, false},
		{"2026-H3", transparency.Period{}, false},
		{"2026-H0", transparency.Period{}, false},
		{"2026-Q1", transparency.Period{}, false},
		{"2026H1", transparency.Period{}, false},
		{"26-H1", transparency.Period{}, false},
		{"+202-H1", transparency.Period{}, false},
		{"20260-H1", transparency.Period{}, false},
		{"2026-H1x", transparency.Period{}, false},
		{"", transparency.Period{}, false},
		{"2026-H1; DROP TABLE", transparency.Period{}, false},
	} {
		got, err := transparency.ParsePeriod(tc.in)
		switch {
		case tc.ok && (err != nil || got != tc.want):
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		case !tc.ok && !apperr.Is(err, apperr.Invalid):
			t.Errorf("ParsePeriod(%q) = %v, %v; want Invalid", tc.in, got, err)
		case !tc.ok && apperr.MessageOf(err) != "Give the period as a year and a half: 2026-H1 (January to June) or 2026-H2 (July to December).":
			t.Errorf("ParsePeriod(%q) message: %s", tc.in, apperr.MessageOf(err))
		case tc.ok && got.String() != tc.want.String():
			t.Errorf("String() = %s", got)
		}
	}
}

func TestPeriodBounds(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		t    string
		want string
	}{
		{"2026-01-01T00:00:00Z", "2026-H1"},
		{"2026-06-30T23:59:59.999999999Z", "2026-H1"},
		{"2026-07-01T00:00:00Z", "2026-H2"},
		{"2026-12-31T23:59:59Z", "2026-H2"},
		{"2027-01-01T00:30:00+02:00", "2026-H2"}, // UTC decides
	} {
		if got := transparency.PeriodOf(at(tc.t)).String(); got != tc.want {
			t.Errorf("PeriodOf(%s) = %s, want %s", tc.t, got, tc.want)
		}
	}
	h2 := transparency.Period{Year: 2026, Half: 2}
	if !h2.Start().Equal(at("2026-07-01T00:00:00Z")) || !h2.End().Equal(at("2027-01-01T00:00:00Z")) ||
		h2.Next() != (transparency.Period{Year: 2027, Half: 1}) || h2.Label() != "July–December 2026" {
		t.Errorf("2026-H2: %v %v %v %s", h2.Start(), h2.End(), h2.Next(), h2.Label())
	}
	h1 := transparency.Period{Year: 2026, Half: 1}
	if !h1.End().Equal(h2.Start()) || !h1.Before(h2) || h2.Before(h1) || h1.Before(h1) {
		t.Error("2026-H1 does not lead into 2026-H2")
	}
}

// sources are fixed figures standing in for the legal and neighbours
// services, which the end-to-end test in cmd/hearth uses for real.
type sources struct {
	legal     legal.Stats
	first     time.Time
	neighbors neighbors.Stats
	agencies  []*neighbors.Agency
	err       error
	asked     [][2]time.Time
}

func (s *sources) Stats(_ context.Context, from, to time.Time) (legal.Stats, error) {
	s.asked = append(s.asked, [2]time.Time{from, to})
	return s.legal, s.err
}
func (s *sources) FirstReceived(context.Context) (time.Time, error) { return s.first, s.err }

type neighbourSource struct{ *sources }

func (s neighbourSource) Stats(_ context.Context, from, to time.Time) (neighbors.Stats, error) {
	s.asked = append(s.asked, [2]time.Time{from, to})
	return s.neighbors, s.err
}
func (s neighbourSource) Agencies(context.Context, neighbors.Actor) ([]*neighbors.Agency, error) {
	return s.agencies, s.err
}

var now = time.Date(2026, 8, 15, 9, 0, 0, 0, time.UTC) // in 2026-H2

func TestReport(t *testing.T) {
	ctx := context.Background()
	src := &sources{
		legal: legal.Stats{ByType: []legal.TypeStats{
			{Type: legal.Subpoena, Received: 4, Rejected: 1, Partial: 1, Full: 1, Pending: 1},
			{Type: legal.SearchWarrant, Received: 1, Full: 1},
			{Type: legal.CourtOrder},
			{Type: legal.Emergency, Received: 2, Partial: 1, Rejected: 1},
			{Type: legal.Foreign, Received: 1, Rejected: 1},
		}, EmergencyDisclosures: 1},
		neighbors: neighbors.Stats{RequestsByAgency: []neighbors.AgencyRequestCount{
			{Agency: "ag_1", Name: "Lyon Police", Requests: 2}, {Agency: "ag_2", Name: "Paris Police", Requests: 3},
		}, ClipsShared: 7, AgenciesEnrolled: 2, AgenciesVerified: 1},
	}
	svc := transparency.NewService(transparency.Deps{Legal: src, Neighbours: neighbourSource{src}, Clock: clock.NewFake(now)})
	p := transparency.Period{Year: 2026, Half: 1}
	r, err := svc.Report(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]time.Time{{p.Start(), p.End()}, {p.Start(), p.End()}}; !cmp.Equal(src.asked, want) {
		t.Errorf("asked for %v, want %v", src.asked, want)
	}
	want := transparency.DemandFigures{Received: 8, Rejected: 3, Partial: 2, Full: 2, Pending: 1}
	if r.Totals != want || len(r.Demands) != 5 || r.Demands[0].Type != legal.Subpoena || r.Demands[0].Received != 4 {
		t.Errorf("demands: %+v, totals %+v", r.Demands, r.Totals)
	}
	if share, ok := r.Totals.ShareComplied(); !ok || share != 4.0/7 {
		t.Errorf("share complied = %v, %v; want 4/7", share, ok)
	}
	if _, ok := r.Demands[2].ShareComplied(); ok {
		t.Error("a share complied for a type with nothing decided")
	}
	if r.EmergencyDisclosures != 1 || r.RequestsTotal != 5 || len(r.Requests) != 2 || r.Requests[1].Name != "Paris Police" ||
		r.ClipsShared != 7 || r.AgenciesEnrolled != 2 || r.AgenciesVerified != 1 {
		t.Errorf("report: %+v", r)
	}
	if !r.Complete || !r.GeneratedAt.Equal(now) {
		t.Errorf("2026-H1 seen in August: complete %v, generated %v", r.Complete, r.GeneratedAt)
	}
	if cur, _ := svc.Report(ctx, svc.Current()); cur.Complete || cur.Period.String() != "2026-H2" {
		t.Errorf("current report: %+v", cur)
	}
	_, err = svc.Report(ctx, transparency.Period{Year: 2027, Half: 1})
	if !apperr.Is(err, apperr.Invalid) || apperr.MessageOf(err) != "There is no report for 2027-H1 yet: the current period is 2026-H2." {
		t.Errorf("future period: %v", err)
	}
	src.err = errors.New("database down")
	if _, err := svc.Report(ctx, p); err == nil {
		t.Error("a report without its data")
	}
}

func TestPeriods(t *testing.T) {
	ctx := context.Background()
	src := &sources{}
	svc := transparency.NewService(transparency.Deps{Legal: src, Neighbours: neighbourSource{src}, Clock: clock.NewFake(now)})
	list := func() string {
		t.Helper()
		ps, err := svc.Periods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, p := range ps {
			s += p.String() + " "
		}
		return s
	}
	if got := list(); got != "2026-H2 " {
		t.Errorf("with no data: %s", got)
	}
	src.agencies = []*neighbors.Agency{
		{ID: "ag_pending", RegisteredAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, // never verified: no data
		{ID: "ag_1", VerifiedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	if got := list(); got != "2026-H2 2026-H1 2025-H2 2025-H1 " {
		t.Errorf("from the first verified agency: %s", got)
	}
	src.first = time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	if got := list(); got != "2026-H2 2026-H1 2025-H2 2025-H1 2024-H2 " {
		t.Errorf("from the first legal demand: %s", got)
	}
}

// FuzzParsePeriod: any input is either refused as Invalid or a period that
// writes back to a string parsing to itself, and spans six months.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-H1", "2026-h2", "9999-H2", "2000-H1", "1999-H2", "2026-H3", "+026-H1", "٢٠٢٦-H1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := transparency.ParsePeriod(s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("ParsePeriod(%q): %v", s, err)
			}
			return
		}
		q, err := transparency.ParsePeriod(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePeriod(%q) = %v, which reads back as %v, %v", s, p, q, err)
		}
		if !p.Start().Before(p.End()) || p.Start().AddDate(0, 6, 0) != p.End() || transparency.PeriodOf(p.Start()) != p {
			t.Fatalf("%v spans %v to %v", p, p.Start(), p.End())
		}
	})
}
