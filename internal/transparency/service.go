package transparency

import (
	"context"
	"slices"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
)

// LegalFigures is the source of the legal figures: *legal.Service.
type LegalFigures interface {
	// Stats counts the demands received in [from, to) by type and outcome.
	Stats(ctx context.Context, from, to time.Time) (legal.Stats, error)
	// FirstReceived returns when the first demand was received; zero if none.
	FirstReceived(ctx context.Context) (time.Time, error)
}

// NeighbourFigures is the source of the agencies' figures: *neighbors.Service.
type NeighbourFigures interface {
	// Stats counts requests, clips shared and agencies in [from, to).
	Stats(ctx context.Context, from, to time.Time) (neighbors.Stats, error)
	// Agencies lists the agencies viewer may see; the report asks as
	// anyone (the zero Actor) would, and counts verified ones only.
	Agencies(ctx context.Context, viewer neighbors.Actor) ([]*neighbors.Agency, error)
}

// Service computes reports. Reports are public: anyone may ask.
type Service struct {
	legal      LegalFigures
	neighbours NeighbourFigures
	clock      clock.Clock
}

// Deps are what a Service works with: its two sources, both required,
// and a clock (clock.Real when nil).
type Deps struct {
	Legal      LegalFigures
	Neighbours NeighbourFigures
	Clock      clock.Clock
}

// NewService returns a Service over its two sources.
func NewService(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	return &Service{legal: d.Legal, neighbours: d.Neighbours, clock: d.Clock}
}

// Report is the transparency report of one period.
type Report struct {
	Period Period
	// From and To bound the period: [From, To).
	From, To time.Time
	// Complete reports whether the period has ended; until then the
	// figures grow.
	Complete    bool
	GeneratedAt time.Time
	// Demands has one row per type of legal demand, in the order of
	// legal.Types, counting the demands received in the period as they
	// are decided now; Totals adds them up.
	Demands []DemandFigures
	Totals  DemandFigures
	// EmergencyDisclosures counts emergency requests that yielded data.
	EmergencyDisclosures int
	// Requests counts the requests for assistance each agency posted in
	// the period (agencies that posted none are left out), by name;
	// RequestsTotal adds them up.
	Requests      []AgencyRequests
	RequestsTotal int
	// ClipsShared counts the clips residents chose to share with agencies'
	// requests in the period.
	ClipsShared int
	// AgenciesEnrolled counts the agencies verified by the end of the
	// period; AgenciesVerified those verified during it.
	AgenciesEnrolled int
	AgenciesVerified int
}

// DemandFigures counts the legal demands of one type (or all of them).
type DemandFigures struct {
	Type     legal.Type // "" in Totals
	Received int
	Rejected int
	Partial  int
	Full     int
	Pending  int
}

// Decided counts the demands decided.
func (f DemandFigures) Decided() int { return f.Rejected + f.Partial + f.Full }

// Complied counts the demands complied with, in part or in full.
func (f DemandFigures) Complied() int { return f.Partial + f.Full }

// ShareComplied is the share of decided demands complied with, in part or
// in full, between 0 and 1; ok is false when none was decided.
func (f DemandFigures) ShareComplied() (share float64, ok bool) {
	if f.Decided() == 0 {
		return 0, false
	}
	return float64(f.Complied()) / float64(f.Decided()), true
}

// AgencyRequests is one agency's number of requests in the period.
type AgencyRequests struct {
	Agency   neighbors.AgencyID
	Name     string
	Requests int
}

// Current returns the period now falls in.
func (s *Service) Current() Period { return PeriodOf(s.clock.Now()) }

// Check returns Invalid for a period after the current one: its report
// does not exist yet.
func (s *Service) Check(p Period) error {
	if cur := s.Current(); cur.Before(p) {
		return apperr.E("transparency.Check", apperr.Invalid,
			"There is no report for "+p.String()+" yet: the current period is "+cur.String()+".")
	}
	return nil
}

// Report computes the report of period p from the data. Invalid for a
// period after the current one.
func (s *Service) Report(ctx context.Context, p Period) (*Report, error) {
	const op = "transparency.Report"
	if err := s.Check(p); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	from, to := p.Start(), p.End()
	r := &Report{Period: p, From: from, To: to, Complete: !now.Before(to), GeneratedAt: now}
	ls, err := s.legal.Stats(ctx, from, to)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	for _, t := range ls.ByType {
		row := DemandFigures{Type: t.Type, Received: t.Received, Rejected: t.Rejected, Partial: t.Partial, Full: t.Full, Pending: t.Pending}
		r.Demands = append(r.Demands, row)
		r.Totals.Received += row.Received
		r.Totals.Rejected += row.Rejected
		r.Totals.Partial += row.Partial
		r.Totals.Full += row.Full
		r.Totals.Pending += row.Pending
	}
	r.EmergencyDisclosures = ls.EmergencyDisclosures
	ns, err := s.neighbours.Stats(ctx, from, to)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	for _, a := range ns.RequestsByAgency {
		r.Requests = append(r.Requests, AgencyRequests{Agency: a.Agency, Name: a.Name, Requests: a.Requests})
		r.RequestsTotal += a.Requests
	}
	r.ClipsShared, r.AgenciesEnrolled, r.AgenciesVerified = ns.ClipsShared, ns.AgenciesEnrolled, ns.AgenciesVerified
	return r, nil
}

// Periods lists the periods that have a report, newest first: from the
// first with data (a legal demand received or an agency verified; nothing
// else happens before an agency is verified) to the current one, which is
// always listed.
func (s *Service) Periods(ctx context.Context) ([]Period, error) {
	const op = "transparency.Periods"
	first, err := s.legal.FirstReceived(ctx)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	agencies, err := s.neighbours.Agencies(ctx, neighbors.Actor{})
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	for _, a := range agencies {
		if a.Verified() && (first.IsZero() || a.VerifiedAt.Before(first)) {
			first = a.VerifiedAt
		}
	}
	cur := s.Current()
	start := cur
	if !first.IsZero() && PeriodOf(first).Before(cur) {
		start = PeriodOf(first)
	}
	if y := start.Year; y < minYear {
		start = Period{Year: minYear, Half: 1}
	}
	var out []Period
	for p := start; !cur.Before(p); p = p.Next() {
		out = append(out, p)
	}
	slices.Reverse(out)
	return out, nil
}
