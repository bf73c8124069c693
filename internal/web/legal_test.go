package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/internal/notice"
	"hearth/internal/sqlstore/sqltest"
)

// legalEnv is env under the name the legal tests use.
type legalEnv struct{ *env }

func newLegalEnv(t *testing.T, dbURL string) *legalEnv {
	t.Helper()
	return &legalEnv{newEnv(t, dbURL)}
}

var demandIDRE = regexp.MustCompile(`/legal/(ld_[a-z0-9]+)$`)

// recordDemand posts the record form and returns the new demand's id.
func recordDemand(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	form.Set("csrf_token", b.form("/legal/new"))
	p := b.post("/legal", form)
	m := demandIDRE.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("record: %d %s\n%s", p.status, p.location, p.body)
	}
	return m[1]
}

func demandForm(typ string) url.Values {
	return url.Values{"type": {typ}, "agency": {"Paris prosecutor's office"}, "jurisdiction": {"France"},
		"scope": {"Subscriber information"}, "received_on": {"2026-02-27"}, "email": {"ana@example.org"}}
}

func TestLegalDemandPages(t *testing.T) {
	t.Parallel()
	sqltest.ForEach(t, func(t *testing.T, dbURL string) {
		e := newLegalEnv(t, dbURL)
		staff, admin, ana := e.staffFlow(t)

		// Residents have no legal pages.
		for _, path := range []string{"/legal", "/legal/new", "/legal/ld_aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
			if p := ana.get(path); p.status != http.StatusForbidden {
				t.Fatalf("resident on %s: %d", path, p.status)
			}
		}
		p := ana.post("/legal", url.Values{"csrf_token": {ana.form("/account")}, "type": {"subpoena"}})
		if p.status != http.StatusForbidden {
			t.Fatalf("resident recording a demand: %d", p.status)
		}
		if p := staff.get("/legal"); p.status != http.StatusOK || !strings.Contains(p.body, `id="no-demands"`) {
			t.Fatalf("empty list: %d\n%s", p.status, p.body)
		}

		// Mistakes come back on the form, with what was typed.
		form := demandForm("subpoena")
		form.Set("email", "nobody@example.org")
		form.Set("csrf_token", staff.form("/legal/new"))
		p = staff.post("/legal", form)
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "No account has this e-mail address.") || !strings.Contains(p.body, `value="Paris prosecutor&#39;s office"`) {
			t.Fatalf("unknown account: %d\n%s", p.status, p.body)
		}
		form = demandForm("subpoena")
		form.Set("received_on", "27/02/2026")
		form.Set("csrf_token", staff.form("/legal/new"))
		if p := staff.post("/legal", form); p.status != http.StatusBadRequest || !strings.Contains(p.body, "YYYY-MM-DD") {
			t.Fatalf("bad date: %d\n%s", p.status, p.body)
		}
		form = demandForm("subpoena")
		form.Set("delay_until", "2026-06-01")
		form.Set("csrf_token", staff.form("/legal/new"))
		if p := staff.post("/legal", form); p.status != http.StatusBadRequest || !strings.Contains(p.body, "only by a court order") {
			t.Fatalf("delay without an order: %d\n%s", p.status, p.body)
		}

		subpoena := recordDemand(t, staff, demandForm("subpoena"))
		e.clock.Advance(time.Minute)
		delayedForm := demandForm("search_warrant")
		delayedForm.Set("delay_order", "TJ Paris 26/104")
		delayedForm.Set("delay_until", "2026-04-01")
		warrant := recordDemand(t, admin, delayedForm)
		list := staff.get("/legal")
		if !strings.Contains(list.body, warrant) || strings.Index(list.body, warrant) > strings.Index(list.body, subpoena) {
			t.Fatalf("list (newest first):\n%s", list.body)
		}

		// A subpoena cannot yield metadata; content does not exist.
		decide := func(b *browser, id string, form url.Values) page {
			form.Set("csrf_token", b.form("/legal/"+id))
			return b.post("/legal/"+id+"/decide", form)
		}
		p = decide(staff, subpoena, url.Values{"outcome": {"full"}, "produced": {"account_data", "metadata"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "A subpoena can yield account data only") {
			t.Fatalf("subpoena yielding metadata: %d\n%s", p.status, p.body)
		}
		p = decide(staff, warrant, url.Values{"outcome": {"full"}, "produced": {"content"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "holds only ciphertext") {
			t.Fatalf("content: %d\n%s", p.status, p.body)
		}
		p = decide(staff, subpoena, url.Values{"outcome": {"partial"}, "produced": {"account_data"}, "note": {"e-mail address only"}})
		if p.status != http.StatusSeeOther || p.location != "/legal/"+subpoena {
			t.Fatalf("decide: %d %s\n%s", p.status, p.location, p.body)
		}
		p = staff.get("/legal/" + subpoena)
		if !strings.Contains(p.body, `data-outcome="partial"`) || !strings.Contains(p.body, "told on 2026-03-01") || strings.Contains(p.body, `id="decide-demand"`) {
			t.Fatalf("decided demand:\n%s", p.body)
		}
		if p := decide(admin, warrant, url.Values{"outcome": {"full"}, "produced": {"account_data", "ciphertext"}}); p.status != http.StatusSeeOther {
			t.Fatalf("decide the warrant: %d\n%s", p.status, p.body)
		}
		if p := staff.get("/legal/" + warrant); !strings.Contains(p.body, "delayed by court order until 2026-04-01") {
			t.Fatalf("delayed notice:\n%s", p.body)
		}
		// Deciding twice is refused.
		if p := staff.post("/legal/"+subpoena+"/decide", url.Values{"csrf_token": {staff.form("/legal")}, "outcome": {"rejected"}}); p.status != http.StatusConflict {
			t.Fatalf("second decision: %d", p.status)
		}

		// Ana sees the notified demand in her notices, not the delayed one.
		ids, _ := e.ids.LookUp(context.Background(), "ana@example.org")
		got, err := e.notices.List(context.Background(), ids)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, n := range got {
			if n.Kind == notice.KindLegalDemand {
				texts = append(texts, n.Text)
			}
		}
		if len(texts) != 1 || !strings.Contains(texts[0], subpoena) {
			t.Fatalf("ana's legal notices: %q", texts)
		}
	})
}
