package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/transparency"
)

// The report in JSON. The field names are part of the public interface
// (docs/api.md) and do not change; new fields may be added.
type reportJSON struct {
	Period      string       `json:"period"` // "2026-H1"
	Label       string       `json:"label"`  // "January–June 2026"
	From        time.Time    `json:"from"`   // first instant, UTC
	To          time.Time    `json:"to"`     // instant after the period
	Complete    bool         `json:"complete"`
	GeneratedAt time.Time    `json:"generated_at"`
	Legal       legalJSON    `json:"legal_demands"`
	Requests    requestsJSON `json:"requests_for_assistance"`
	ClipsShared int          `json:"clips_shared"`
	Enrolled    int          `json:"agencies_enrolled"`
	Verified    int          `json:"agencies_verified_in_period"`
}

type legalJSON struct {
	ByType []demandFiguresJSON `json:"by_type"`
	Total  demandFiguresJSON   `json:"total"`
	// ShareComplied is (partial + full) / (rejected + partial + full),
	// rounded to 4 decimals; null when no demand was decided.
	ShareComplied        *float64 `json:"share_complied"`
	EmergencyDisclosures int      `json:"emergency_disclosures"`
}

type demandFiguresJSON struct {
	Type     string `json:"type,omitempty"`
	Label    string `json:"label"`
	Received int    `json:"received"`
	Rejected int    `json:"rejected"`
	Partial  int    `json:"partial"`
	Full     int    `json:"full"`
	Pending  int    `json:"pending"`
}

type requestsJSON struct {
	ByAgency []agencyRequestsJSON `json:"by_agency"`
	Total    int                  `json:"total"`
}

type agencyRequestsJSON struct {
	Agency   string `json:"agency"` // the agency's id
	Name     string `json:"name"`
	Requests int    `json:"requests"`
}

func demandFigures(f transparency.DemandFigures, label string) demandFiguresJSON {
	return demandFiguresJSON{Type: string(f.Type), Label: label, Received: f.Received, Rejected: f.Rejected,
		Partial: f.Partial, Full: f.Full, Pending: f.Pending}
}

// shareComplied is the total share complied with, rounded to 4 decimals;
// nil when nothing was decided.
func shareComplied(r *transparency.Report) *float64 {
	share, ok := r.Totals.ShareComplied()
	if !ok {
		return nil
	}
	v := math.Round(share*10000) / 10000
	return &v
}

func toReportJSON(r *transparency.Report) reportJSON {
	out := reportJSON{
		Period: r.Period.String(), Label: r.Period.Label(), From: r.From, To: r.To, Complete: r.Complete,
		GeneratedAt: r.GeneratedAt.UTC(), ClipsShared: r.ClipsShared, Enrolled: r.AgenciesEnrolled, Verified: r.AgenciesVerified,
		Legal: legalJSON{ByType: []demandFiguresJSON{}, Total: demandFigures(r.Totals, "All demands"),
			ShareComplied: shareComplied(r), EmergencyDisclosures: r.EmergencyDisclosures},
		Requests: requestsJSON{ByAgency: []agencyRequestsJSON{}, Total: r.RequestsTotal},
	}
	for _, f := range r.Demands {
		out.Legal.ByType = append(out.Legal.ByType, demandFigures(f, f.Type.Label()))
	}
	for _, a := range r.Requests {
		out.Requests.ByAgency = append(out.Requests.ByAgency, agencyRequestsJSON{Agency: string(a.Agency), Name: a.Name, Requests: a.Requests})
	}
	return out
}

// report returns the report of the period ?period= names, or of the
// current one. Invalid for a malformed or future period.
func (s *Server) periodReport(r *http.Request) (*transparency.Report, error) {
	if s.report == nil {
		return nil, apperr.E("web.periodReport", apperr.NotFound, "There is no transparency report here.")
	}
	p := s.report.Current()
	if v := r.URL.Query().Get("period"); v != "" {
		var err error
		if p, err = transparency.ParsePeriod(v); err != nil {
			return nil, err
		}
	}
	return s.report.Report(r.Context(), p)
}

func (s *Server) handleTransparencyJSON(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.periodReport(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toReportJSON(rep))
	return nil
}

// csvHeader is the CSV report's header row. Each later row is one figure:
// section (legal_demands, emergency_disclosures, requests_for_assistance,
// clips_shared, agencies_enrolled, agencies_verified_in_period), key (a
// demand type, an agency id, or "total"), a label for people, the measure
// and its value. An empty value means "none to measure".
var csvHeader = []string{"period", "section", "key", "label", "measure", "value"}

func reportCSV(r *transparency.Report) ([]byte, error) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	period := r.Period.String()
	rows := [][]string{csvHeader}
	add := func(section, key, label, measure, value string) {
		rows = append(rows, []string{period, section, key, csvSafe(label), measure, value})
	}
	n := strconv.Itoa
	demand := func(key, label string, f transparency.DemandFigures) {
		for _, m := range []struct {
			name  string
			value int
		}{{"received", f.Received}, {"rejected", f.Rejected}, {"partial", f.Partial}, {"full", f.Full}, {"pending", f.Pending}} {
			add("legal_demands", key, label, m.name, n(m.value))
		}
	}
	for _, f := range r.Demands {
		demand(string(f.Type), f.Type.Label(), f)
	}
	demand("total", "All demands", r.Totals)
	share := ""
	if v := shareComplied(r); v != nil {
		share = strconv.FormatFloat(*v, 'f', 4, 64)
	}
	add("legal_demands", "total", "All demands", "share_complied", share)
	add("emergency_disclosures", "total", "Emergency disclosures", "count", n(r.EmergencyDisclosures))
	for _, a := range r.Requests {
		add("requests_for_assistance", string(a.Agency), a.Name, "requests", n(a.Requests))
	}
	add("requests_for_assistance", "total", "All agencies", "requests", n(r.RequestsTotal))
	add("clips_shared", "total", "Clips shared voluntarily", "count", n(r.ClipsShared))
	add("agencies_enrolled", "total", "Agencies enrolled", "count", n(r.AgenciesEnrolled))
	add("agencies_verified_in_period", "total", "Agencies verified in the period", "count", n(r.AgenciesVerified))
	if err := cw.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// csvSafe keeps a spreadsheet from reading a name as a formula: a leading
// =, +, -, @ or control character gets a quote before it.
func csvSafe(s string) string {
	if s != "" && strings.ContainsAny(s[:1], "=+-@\t\r") {
		return "'" + s
	}
	return s
}

func (s *Server) handleTransparencyCSV(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.periodReport(r)
	if err != nil {
		return err
	}
	b, err := reportCSV(rep)
	if err != nil {
		return apperr.Wrap("web.handleTransparencyCSV", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="hearth-transparency-%s.csv"`, rep.Period))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
	return nil
}

func (s *Server) handleTransparency(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.periodReport(r)
	if err != nil {
		return err
	}
	periods, err := s.report.Periods(r.Context())
	if err != nil {
		return err
	}
	share := "—"
	if v, ok := rep.Totals.ShareComplied(); ok {
		share = strconv.FormatFloat(math.Round(v*100), 'f', 0, 64) + "%"
	}
	s.render(w, r, http.StatusOK, "transparency", &transparencyPage{
		pageBase: pageBase{Title: "Transparency report"}, Report: rep, Periods: periods, Share: share,
	})
	return nil
}
