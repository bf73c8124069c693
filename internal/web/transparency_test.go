package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/geo"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
	"hearth/internal/sqlstore/sqltest"
)

// reportFixture makes, in 2026-H1 (the env's clock is on 2026-03-01): a
// fully complied subpoena, a rejected foreign demand, a pending court
// order, an emergency request that disclosed metadata; a verified agency
// with two requests.
func reportFixture(t *testing.T, e *legalEnv) (staff *browser) {
	t.Helper()
	ctx := context.Background()
	staff, _, _ = e.staffFlow(t)
	for _, d := range []struct {
		typ, outcome string
		produced     []string
	}{
		{"subpoena", "full", []string{"account_data"}},
		{"foreign", "rejected", nil},
		{"court_order", "", nil},
		{"emergency", "partial", []string{"metadata"}},
	} {
		id := recordDemand(t, staff, demandForm(d.typ))
		if d.outcome == "" {
			continue
		}
		p := staff.post("/legal/"+id+"/decide", url.Values{"csrf_token": {staff.form("/legal/" + id)}, "outcome": {d.outcome}, "produced": d.produced})
		if p.status != http.StatusSeeOther {
			t.Fatalf("decide %s: %d\n%s", d.typ, p.status, p.body)
		}
	}
	officer, _, _, err := e.ids.CreateUser(ctx, "officer@example.org", identity.RoleAgencyOfficer, password)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := e.ids.LookUp(ctx, "admin@example.org")
	if err != nil {
		t.Fatal(err)
	}
	off := neighbors.Actor{ID: officer.ID, Role: identity.RoleAgencyOfficer}
	a, err := e.neighbors.RegisterAgency(ctx, off, neighbors.NewAgency{Name: "=Paris Police", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.neighbors.VerifyAgency(ctx, neighbors.Actor{ID: admin, Role: identity.RoleAdmin}, a.ID); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	for i := range 2 {
		_, err := e.neighbors.PostRequest(ctx, off, a.ID, neighbors.NewRequest{IncidentType: "burglary", Title: "Break-in",
			Description: "A flat was broken into.", CaseNumber: "PP-2026-00" + string(rune('1'+i)), Contact: "Det. Martin",
			WindowStart: now.Add(-3 * time.Hour), WindowEnd: now.Add(-time.Hour),
			Area: geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: 48.8566, Lng: 2.3522}, RadiusMeters: 300}}, NotAboutLawfulActivity: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	return staff
}

// The JSON report's shape, as docs/api.md documents it.
type reportDoc struct {
	Period      string    `json:"period"`
	Label       string    `json:"label"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Complete    bool      `json:"complete"`
	GeneratedAt time.Time `json:"generated_at"`
	Legal       struct {
		ByType               []figures `json:"by_type"`
		Total                figures   `json:"total"`
		ShareComplied        *float64  `json:"share_complied"`
		EmergencyDisclosures int       `json:"emergency_disclosures"`
	} `json:"legal_demands"`
	Requests struct {
		ByAgency []struct {
			Agency   string `json:"agency"`
			Name     string `json:"name"`
			Requests int    `json:"requests"`
		} `json:"by_agency"`
		Total int `json:"total"`
	} `json:"requests_for_assistance"`
	ClipsShared int `json:"clips_shared"`
	Enrolled    int `json:"agencies_enrolled"`
	Verified    int `json:"agencies_verified_in_period"`
}

type figures struct {
	Type     string `json:"type"`
	Label    string `json:"label"`
	Received int    `json:"received"`
	Rejected int    `json:"rejected"`
	Partial  int    `json:"partial"`
	Full     int    `json:"full"`
	Pending  int    `json:"pending"`
}

func getJSON(t *testing.T, b *browser, path string, out any) page {
	t.Helper()
	p := b.get(path)
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: content type %q", path, ct)
	}
	dec := json.NewDecoder(strings.NewReader(p.body))
	dec.DisallowUnknownFields() // every field is documented in reportDoc
	if err := dec.Decode(out); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, p.body)
	}
	return p
}

func TestTransparencyFormats(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newLegalEnv(t, dbURL)
		reportFixture(t, e)
		anyone := e.browser(t) // the report is public

		var doc reportDoc
		if p := getJSON(t, anyone, "/transparency.json", &doc); p.status != http.StatusOK {
			t.Fatalf("json: %d\n%s", p.status, p.body)
		}
		byType := map[string]figures{}
		for _, f := range doc.Legal.ByType {
			byType[f.Type] = f
		}
		want := map[string]figures{
			"subpoena":       {Type: "subpoena", Label: "Subpoena", Received: 1, Full: 1},
			"search_warrant": {Type: "search_warrant", Label: "Search warrant"},
			"court_order":    {Type: "court_order", Label: "Court order", Received: 1, Pending: 1},
			"emergency":      {Type: "emergency", Label: "Emergency request", Received: 1, Partial: 1},
			"foreign":        {Type: "foreign", Label: "Foreign demand", Received: 1, Rejected: 1},
		}
		if diff := cmp.Diff(want, byType); diff != "" || len(doc.Legal.ByType) != 5 || doc.Legal.ByType[0].Type != "subpoena" {
			t.Errorf("by type (-want +got):\n%s", diff)
		}
		if doc.Legal.Total != (figures{Label: "All demands", Received: 4, Rejected: 1, Partial: 1, Full: 1, Pending: 1}) {
			t.Errorf("total: %+v", doc.Legal.Total)
		}
		if doc.Legal.ShareComplied == nil || math.Abs(*doc.Legal.ShareComplied-0.6667) > 1e-9 || doc.Legal.EmergencyDisclosures != 1 {
			t.Errorf("share %v, emergency disclosures %d", doc.Legal.ShareComplied, doc.Legal.EmergencyDisclosures)
		}
		if doc.Period != "2026-H1" || doc.Label != "January–June 2026" || doc.Complete ||
			!doc.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || !doc.To.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("period: %+v", doc)
		}
		if doc.Requests.Total != 2 || len(doc.Requests.ByAgency) != 1 || doc.Requests.ByAgency[0].Name != "=Paris Police" ||
			doc.Requests.ByAgency[0].Requests != 2 || doc.Enrolled != 1 || doc.Verified != 1 {
			t.Errorf("requests and agencies: %+v", doc)
		}

		// The CSV says the same, one figure a row under a header.
		p := anyone.get("/transparency.csv?period=2026-H1")
		if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(p.header.Get("Content-Disposition"), "hearth-transparency-2026-H1.csv") {
			t.Fatalf("csv: %d %v\n%s", p.status, p.header, p.body)
		}
		rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"period", "section", "key", "label", "measure", "value"}, rows[0]); diff != "" {
			t.Fatalf("header (-want +got):\n%s", diff)
		}
		values := map[string]string{}
		for _, r := range rows[1:] {
			if r[0] != "2026-H1" {
				t.Errorf("row for another period: %v", r)
			}
			values[r[1]+"/"+r[2]+"/"+r[4]] = r[5]
			if r[1] == "requests_for_assistance" && r[2] != "total" && r[3] != "'=Paris Police" {
				t.Errorf("an agency's name reaches a spreadsheet as a formula: %v", r)
			}
		}
		for key, v := range map[string]string{
			"legal_demands/subpoena/full": "1", "legal_demands/foreign/rejected": "1", "legal_demands/court_order/pending": "1",
			"legal_demands/emergency/partial": "1", "legal_demands/search_warrant/received": "0",
			"legal_demands/total/received": "4", "legal_demands/total/share_complied": "0.6667",
			"emergency_disclosures/total/count": "1", "requests_for_assistance/total/requests": "2",
			"clips_shared/total/count": "0", "agencies_enrolled/total/count": "1", "agencies_verified_in_period/total/count": "1",
			"requests_for_assistance/" + doc.Requests.ByAgency[0].Agency + "/requests": "2",
		} {
			if values[key] != v {
				t.Errorf("csv %s = %q, want %q", key, values[key], v)
			}
		}

		// The page, with links to every half-year.
		p = anyone.get("/transparency")
		for _, want := range []string{`data-period="2026-H1"`, `<td>4</td>`, `id="share-complied">67%<`, `id="emergency-disclosures">1<`,
			`id="requests-total">2<`, `id="agencies-enrolled">1 `, `href="/transparency.csv?period=2026-H1"`} {
			if p.status != http.StatusOK || !strings.Contains(p.body, want) {
				t.Fatalf("page lacks %q: %d\n%s", want, p.status, p.body)
			}
		}
	})
}

func TestTransparencyPeriods(t *testing.T) {
	t.Parallel()
	e := newLegalEnv(t, sqltest.SQLite(t))
	reportFixture(t, e)
	anyone := e.browser(t)
	e.clock.Set(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)) // 2027-H1: the data is two periods back
	p := anyone.get("/transparency")
	for _, want := range []string{`data-period="2027-H1"`, `href="/transparency?period=2026-H2"`, `href="/transparency?period=2026-H1"`,
		`id="share-complied">—<`, `id="no-requests"`, `id="agencies-enrolled">1 `} {
		if !strings.Contains(p.body, want) {
			t.Fatalf("page lacks %q:\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "period=2025-H2") {
		t.Fatalf("links to a period before the first data:\n%s", p.body)
	}
	var doc reportDoc
	getJSON(t, anyone, "/transparency.json?period=2027-H1", &doc)
	if doc.Legal.ShareComplied != nil || doc.Legal.Total.Received != 0 || doc.Complete {
		t.Fatalf("a period without demands: %+v", doc)
	}
	if rows := anyone.get("/transparency.csv?period=2027-H1").body; !strings.Contains(rows, "2027-H1,legal_demands,total,All demands,share_complied,\n") {
		t.Fatalf("csv without a share:\n%s", rows)
	}
	getJSON(t, anyone, "/transparency.json?period=2026-H1", &doc)
	if !doc.Complete || doc.Legal.Total.Received != 4 {
		t.Fatalf("the finished half-year: %+v", doc)
	}

	for _, tc := range []struct{ period, msg string }{
		{"2026-H3", "Give the period as a year and a half: 2026-H1 (January to June) or 2026-H2 (July to December)."},
		{"last-year", "Give the period as a year and a half"},
		{"2027-H2", "There is no report for 2027-H2 yet: the current period is 2027-H1."},
	} {
		q := "?period=" + url.QueryEscape(tc.period)
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		p := anyone.get("/transparency.json" + q)
		if err := json.Unmarshal([]byte(p.body), &body); err != nil || p.status != http.StatusBadRequest || !strings.Contains(body.Error.Message, tc.msg) {
			t.Errorf("json %s: %d %s", tc.period, p.status, p.body)
		}
		if p := anyone.get("/transparency.csv" + q); p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.msg) {
			t.Errorf("csv %s: %d %s", tc.period, p.status, p.body)
		}
		if p := anyone.get("/transparency" + q); p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.msg[:20]) {
			t.Errorf("page %s: %d %s", tc.period, p.status, p.body)
		}
	}
}
