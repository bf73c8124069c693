package legal_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/sqlstore"
	"hearth/internal/testkit"
	"hearth/internal/translog"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	*testkit.Kit
	svc   *legal.Service
	staff legal.Actor
	admin legal.Actor
	ana   identity.UserID // the account demands are about
}

var subjectKey = []byte(strings.Repeat("k", 32))

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k := testkit.New(t, "", testkit.Options{Now: now, SubjectKey: subjectKey})
	f := &fixture{Kit: k, svc: k.Legal}
	f.staff = f.user(t, "staff", identity.RoleStaff)
	f.admin = f.user(t, "admin", identity.RoleAdmin)
	f.ana = f.user(t, "ana", identity.RoleResident).ID
	return f
}

func (f *fixture) user(t *testing.T, name string, role identity.Role) legal.Actor {
	t.Helper()
	return legal.Actor{ID: f.User(t, name, role), Role: role}
}

func goodDemand(typ legal.Type) legal.NewDemand {
	return legal.NewDemand{Type: typ, Agency: "Paris prosecutor's office", Jurisdiction: "France",
		Scope: "Subscriber information for the account", ReceivedOn: now.Add(-48 * time.Hour), AccountEmail: "ana@example.org"}
}

func (f *fixture) record(t *testing.T, n legal.NewDemand) *legal.Demand {
	t.Helper()
	d, err := f.svc.Record(context.Background(), f.staff, n)
	if err != nil {
		t.Fatalf("Record(%+v): %v", n, err)
	}
	return d
}

// wantErr fails unless err has the code and, if given, a message containing msg.
func wantErr(t *testing.T, what string, err error, code apperr.Code, msg string) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
	if msg != "" && !strings.Contains(apperr.MessageOf(err), msg) {
		t.Fatalf("%s: message %q lacks %q", what, apperr.MessageOf(err), msg)
	}
}

// entry reads and parses log entry i.
func (f *fixture) entry(t *testing.T, i uint64) (translog.RawEntry, map[string]any) {
	t.Helper()
	raw, err := f.Log.ReadEntry(context.Background(), i)
	if err != nil {
		t.Fatal(err)
	}
	e, err := translog.ParseEntry(raw)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(e.Body, &body); err != nil {
		t.Fatal(err)
	}
	return e, body
}

// TestYields spells out, for every type and category, what a demand may yield.
func TestYields(t *testing.T) {
	t.Parallel()
	const (
		A = legal.AccountData
		M = legal.Metadata
		C = legal.Ciphertext
	)
	for _, tc := range []struct {
		typ     legal.Type
		consent bool
		want    []legal.Category
	}{
		{legal.Subpoena, false, []legal.Category{A}},
		{legal.Subpoena, true, []legal.Category{A, C}},
		{legal.Foreign, false, []legal.Category{A}},
		{legal.Foreign, true, []legal.Category{A, C}},
		{legal.CourtOrder, false, []legal.Category{A, M}},
		{legal.CourtOrder, true, []legal.Category{A, M, C}},
		{legal.Emergency, false, []legal.Category{A, M}},
		{legal.Emergency, true, []legal.Category{A, M, C}},
		{legal.SearchWarrant, false, []legal.Category{A, M, C}},
		{legal.SearchWarrant, true, []legal.Category{A, M, C}},
		{"letter", true, nil},
	} {
		for _, c := range legal.Categories {
			want := false
			for _, w := range tc.want {
				want = want || w == c
			}
			if got := tc.typ.Yields(c, tc.consent); got != want {
				t.Errorf("%s (consent %v) yields %s = %v, want %v", tc.typ, tc.consent, c, got, want)
			}
		}
	}
}

// TestDecideRules decides a fresh demand per case, through the service.
func TestDecideRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	all := []legal.Category{legal.AccountData, legal.Metadata, legal.Ciphertext}
	for _, tc := range []struct {
		name     string
		typ      legal.Type
		consent  bool
		outcome  legal.Outcome
		produced []legal.Category
		code     apperr.Code
		msg      string
	}{
		{"OK/SubpoenaAccountData", legal.Subpoena, false, legal.Full, []legal.Category{legal.AccountData}, "", ""},
		{"ErrSubpoenaMetadata", legal.Subpoena, false, legal.Partial, []legal.Category{legal.Metadata}, apperr.Invalid, "A subpoena can yield account data only"},
		{"ErrSubpoenaCiphertext", legal.Subpoena, false, legal.Full, []legal.Category{legal.AccountData, legal.Ciphertext}, apperr.Invalid, "needs a search warrant or the owner's recorded consent"},
		{"OK/SubpoenaCiphertextWithConsent", legal.Subpoena, true, legal.Full, []legal.Category{legal.AccountData, legal.Ciphertext}, "", ""},
		{"ErrSubpoenaMetadataWithConsent", legal.Subpoena, true, legal.Full, []legal.Category{legal.Metadata}, apperr.Invalid, "account data only"},
		{"OK/ForeignAccountData", legal.Foreign, false, legal.Partial, []legal.Category{legal.AccountData}, "", ""},
		{"ErrForeignMetadata", legal.Foreign, false, legal.Partial, []legal.Category{legal.Metadata}, apperr.Invalid, "A foreign demand can yield account data only"},
		{"ErrForeignCiphertext", legal.Foreign, false, legal.Partial, []legal.Category{legal.Ciphertext}, apperr.Invalid, "search warrant"},
		{"OK/ForeignCiphertextWithConsent", legal.Foreign, true, legal.Partial, []legal.Category{legal.Ciphertext}, "", ""},
		{"OK/CourtOrderAccountDataAndMetadata", legal.CourtOrder, false, legal.Full, []legal.Category{legal.AccountData, legal.Metadata}, "", ""},
		{"ErrCourtOrderCiphertext", legal.CourtOrder, false, legal.Full, all, apperr.Invalid, "A court order cannot yield encrypted media"},
		{"OK/CourtOrderCiphertextWithConsent", legal.CourtOrder, true, legal.Full, all, "", ""},
		{"OK/EmergencyMetadata", legal.Emergency, false, legal.Partial, []legal.Category{legal.Metadata}, "", ""},
		{"ErrEmergencyCiphertext", legal.Emergency, false, legal.Full, []legal.Category{legal.Ciphertext}, apperr.Invalid, "An emergency request cannot yield encrypted media"},
		{"OK/EmergencyCiphertextWithConsent", legal.Emergency, true, legal.Full, all, "", ""},
		{"OK/WarrantEverything", legal.SearchWarrant, false, legal.Full, all, "", ""},
		{"OK/WarrantCiphertextOnly", legal.SearchWarrant, false, legal.Partial, []legal.Category{legal.Ciphertext}, "", ""},
		{"ErrContent", legal.SearchWarrant, false, legal.Full, []legal.Category{"content"}, apperr.Invalid, "Hearth cannot decrypt media: it holds only ciphertext"},
		{"ErrPlaintext", legal.SearchWarrant, true, legal.Full, []legal.Category{legal.AccountData, "Plaintext"}, apperr.Invalid, "holds only ciphertext"},
		{"ErrUnknownCategory", legal.SearchWarrant, false, legal.Full, []legal.Category{"location"}, apperr.Invalid, `Unknown kind of data "location"`},
		{"OK/RejectedNothing", legal.SearchWarrant, false, legal.Rejected, nil, "", ""},
		{"ErrRejectedWithData", legal.Subpoena, false, legal.Rejected, []legal.Category{legal.AccountData}, apperr.Invalid, "A rejected demand produces nothing"},
		{"ErrPartialNothing", legal.CourtOrder, false, legal.Partial, nil, apperr.Invalid, "Say what was produced"},
		{"ErrFullNothing", legal.SearchWarrant, false, legal.Full, []legal.Category{}, apperr.Invalid, "Say what was produced"},
		{"ErrNoOutcome", legal.Subpoena, false, "", nil, apperr.Invalid, "Choose the outcome"},
		{"ErrPendingOutcome", legal.Subpoena, false, legal.Pending, nil, apperr.Invalid, "Choose the outcome"},
		{"OK/DuplicatesOnce", legal.CourtOrder, false, legal.Full, []legal.Category{legal.Metadata, legal.AccountData, legal.Metadata}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := goodDemand(tc.typ)
			n.OwnerConsent = tc.consent
			d := f.record(t, n)
			got, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: tc.outcome, Produced: tc.produced})
			if tc.code != "" {
				wantErr(t, "Decide", err, tc.code, tc.msg)
				if stored, _ := f.svc.Demand(ctx, f.staff, d.ID); stored.Decided() {
					t.Fatal("a refused decision was stored")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tc.outcome || got.DecidedBy != f.staff.ID || !got.DecidedAt.Equal(now) {
				t.Fatalf("decided: %+v", got)
			}
			// Produced comes back deduplicated, in canonical order.
			var want []legal.Category
			for _, c := range legal.Categories {
				for _, p := range tc.produced {
					if strings.EqualFold(string(p), string(c)) {
						want = append(want, c)
						break
					}
				}
			}
			stored, err := f.svc.Demand(ctx, f.admin, d.ID)
			if err != nil || strings.Join(cats(stored.Produced), ",") != strings.Join(cats(want), ",") || stored.Outcome != tc.outcome {
				t.Fatalf("stored %+v, %v; want produced %v", stored, err, want)
			}
			if _, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Rejected}); !apperr.Is(err, apperr.Conflict) {
				t.Fatalf("second decision: %v, want conflict", err)
			}
		})
	}
}

func cats(cs []legal.Category) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// TestConsentAtDecision: the owner's consent may come after the demand was
// recorded, and then allows ciphertext.
func TestConsentAtDecision(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	d := f.record(t, goodDemand(legal.CourtOrder))
	d, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Full, OwnerConsent: true,
		Produced: []legal.Category{legal.Ciphertext}})
	if err != nil || !d.OwnerConsent {
		t.Fatalf("Decide with consent given at decision: %+v, %v", d, err)
	}
}

func TestRecordRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("x", n) }
	change := func(fn func(*legal.NewDemand)) legal.NewDemand {
		n := goodDemand(legal.CourtOrder)
		fn(&n)
		return n
	}
	received := goodDemand(legal.CourtOrder).ReceivedOn
	for _, tc := range []struct {
		name string
		n    legal.NewDemand
		code apperr.Code
		msg  string
	}{
		{"OK", goodDemand(legal.CourtOrder), "", ""},
		{"OK/LongestText", change(func(n *legal.NewDemand) {
			n.Agency, n.Jurisdiction, n.Scope = long(legal.MaxAgencyLength), long(legal.MaxJurisdictionLength), long(legal.MaxScopeLength)
		}), "", ""},
		{"OK/TodayAheadOfUTC", change(func(n *legal.NewDemand) { n.ReceivedOn = now.Add(10 * time.Hour) }), "", ""},
		{"OK/Delayed", change(func(n *legal.NewDemand) { n.DelayOrder, n.DelayUntil = "TJ Paris 26/104", received.Add(24*time.Hour) }), "", ""},
		{"ErrType", change(func(n *legal.NewDemand) { n.Type = "letter" }), apperr.Invalid, "Choose the type of demand"},
		{"ErrNoAgency", change(func(n *legal.NewDemand) { n.Agency = "  " }), apperr.Invalid, "Give the requesting agency's name."},
		{"ErrAgencyTooLong", change(func(n *legal.NewDemand) { n.Agency = long(legal.MaxAgencyLength + 1) }), apperr.Invalid, "in at most 120 characters"},
		{"ErrNoJurisdiction", change(func(n *legal.NewDemand) { n.Jurisdiction = "" }), apperr.Invalid, "Give the jurisdiction"},
		{"ErrJurisdictionTooLong", change(func(n *legal.NewDemand) { n.Jurisdiction = long(legal.MaxJurisdictionLength + 1) }), apperr.Invalid, "at most 120 characters"},
		{"ErrNoScope", change(func(n *legal.NewDemand) { n.Scope = "" }), apperr.Invalid, "Give the demand's scope"},
		{"ErrScopeTooLong", change(func(n *legal.NewDemand) { n.Scope = long(legal.MaxScopeLength + 1) }), apperr.Invalid, "at most 1000 characters"},
		{"ErrBadText", change(func(n *legal.NewDemand) { n.Agency = "\xff" }), apperr.Invalid, "valid text"},
		{"ErrNoDate", change(func(n *legal.NewDemand) { n.ReceivedOn = time.Time{} }), apperr.Invalid, "Give the date the demand was received"},
		{"ErrFutureDate", change(func(n *legal.NewDemand) { n.ReceivedOn = now.Add(48 * time.Hour) }), apperr.Invalid, "cannot be in the future"},
		{"ErrAncientDate", change(func(n *legal.NewDemand) { n.ReceivedOn = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }), apperr.Invalid, "2000 or later"},
		{"ErrNoEmail", change(func(n *legal.NewDemand) { n.AccountEmail = "" }), apperr.Invalid, "Give the e-mail address"},
		{"ErrBadEmail", change(func(n *legal.NewDemand) { n.AccountEmail = "not an address" }), apperr.Invalid, ""},
		{"ErrUnknownAccount", change(func(n *legal.NewDemand) { n.AccountEmail = "nobody@example.org" }), apperr.NotFound, "No account has this e-mail address."},
		{"ErrOwnAccount", change(func(n *legal.NewDemand) { n.AccountEmail = "staff@example.org" }), apperr.Invalid, "another member of staff"},
		{"ErrDelayWithoutOrder", change(func(n *legal.NewDemand) { n.DelayUntil = received.Add(24 * time.Hour) }), apperr.Invalid, "only by a court order"},
		{"ErrOrderWithoutDate", change(func(n *legal.NewDemand) { n.DelayOrder = "TJ Paris 26/104" }), apperr.Invalid, "Give the date until which"},
		{"ErrDelayOnReceipt", change(func(n *legal.NewDemand) { n.DelayOrder, n.DelayUntil = "TJ Paris 26/104", received }), apperr.Invalid, "must be after the date the demand was received"},
		{"ErrDelayBeforeReceipt", change(func(n *legal.NewDemand) { n.DelayOrder, n.DelayUntil = "TJ Paris 26/104", received.Add(-72*time.Hour) }), apperr.Invalid, "must be after"},
		{"ErrDelayTooLong", change(func(n *legal.NewDemand) { n.DelayOrder, n.DelayUntil = "TJ Paris 26/104", received.AddDate(11, 0, 0) }), apperr.Invalid, "more than ten years"},
		{"ErrDelayOrderTooLong", change(func(n *legal.NewDemand) {
			n.DelayOrder, n.DelayUntil = long(legal.MaxDelayOrderLength+1), received.AddDate(0, 1, 0)
		}), apperr.Invalid, "at most 120 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := f.svc.Record(ctx, f.staff, tc.n)
			if tc.code != "" {
				wantErr(t, "Record", err, tc.code, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.Demand(ctx, f.staff, d.ID)
			if err != nil || got.Account != f.ana || got.Outcome != legal.Pending || got.RecordedBy != f.staff.ID {
				t.Fatalf("stored %+v, %v", got, err)
			}
			if h, m, s := got.ReceivedAt.Clock(); h+m+s != 0 || got.ReceivedAt.Location() != time.UTC {
				t.Fatalf("the date received is kept as a day: %v", got.ReceivedAt)
			}
		})
	}
}

func TestDecisionDelay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	d := f.record(t, goodDemand(legal.SearchWarrant))
	received := d.ReceivedAt
	for _, tc := range []struct {
		name  string
		order string
		until time.Time
		msg   string
	}{
		{"ErrWithoutOrder", "", received.AddDate(0, 3, 0), "only by a court order"},
		{"ErrWithoutDate", "Order 7", time.Time{}, "Give the date until which"},
		{"ErrNotAfterReceipt", "Order 7", received, "must be after the date the demand was received"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Rejected, DelayOrder: tc.order, DelayUntil: tc.until})
			wantErr(t, "Decide", err, apperr.Invalid, tc.msg)
		})
	}
	d, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Rejected, DelayOrder: " Order 7 ", DelayUntil: received.AddDate(0, 3, 0)})
	if err != nil || d.DelayOrder != "Order 7" || !d.DelayUntil.Equal(received.AddDate(0, 3, 0)) || d.Notified() {
		t.Fatalf("decided with a delay: %+v, %v", d, err)
	}
}

func TestNotStaffForbidden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	d := f.record(t, goodDemand(legal.Subpoena))
	for _, role := range []identity.Role{identity.RoleResident, identity.RoleAgencyOfficer, identity.RoleReviewer, ""} {
		a := legal.Actor{ID: "u_" + identity.UserID(role), Role: role}
		t.Run("ErrForbidden/"+string(role), func(t *testing.T) {
			_, err := f.svc.Record(ctx, a, goodDemand(legal.Subpoena))
			wantErr(t, "Record", err, apperr.Forbidden, "staff and administrators")
			_, err = f.svc.Decide(ctx, a, d.ID, legal.Decision{Outcome: legal.Rejected})
			wantErr(t, "Decide", err, apperr.Forbidden, "")
			_, err = f.svc.Demand(ctx, a, d.ID)
			wantErr(t, "Demand", err, apperr.Forbidden, "")
			_, err = f.svc.Demands(ctx, a)
			wantErr(t, "Demands", err, apperr.Forbidden, "")
		})
	}
	if _, err := f.svc.Demand(ctx, f.admin, "ld_none"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("Demand of an unknown id: %v", err)
	}
	if _, err := f.svc.Decide(ctx, f.admin, "ld_none", legal.Decision{Outcome: legal.Rejected}); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("Decide of an unknown id: %v", err)
	}
	if list, err := f.svc.Demands(ctx, f.admin); err != nil || len(list) != 1 {
		t.Fatalf("Demands for an admin: %v, %v", list, err)
	}
}

// TestLogged: every step is in the log, which never names the account.
func TestLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	n := goodDemand(legal.Emergency)
	d := f.record(t, n)
	d, err := f.svc.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Partial, Produced: []legal.Category{legal.Metadata}})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Notified() || d.NotifiedIndex <= d.DecidedIndex || d.DecidedIndex <= d.RecordedIndex {
		t.Fatalf("indices: %+v", d)
	}
	for _, tc := range []struct {
		index uint64
		typ   translog.EntryType
		want  map[string]any
	}{
		{d.RecordedIndex, legal.EntryRecorded, map[string]any{"demand": string(d.ID), "type": "emergency", "agency": n.Agency,
			"jurisdiction": "France", "received_on": "2026-03-08", "emergency": true, "owner_consent": false}},
		{d.DecidedIndex, legal.EntryDecided, map[string]any{"demand": string(d.ID), "outcome": "partial",
			"produced": []any{"metadata"}, "emergency": true, "emergency_disclosure": true}},
		{d.NotifiedIndex, legal.EntryNotified, map[string]any{"demand": string(d.ID), "type": "emergency", "notice_was_delayed": false}},
	} {
		e, body := f.entry(t, tc.index)
		if e.Type != tc.typ || !e.Time.Equal(now) {
			t.Errorf("entry %d: %s at %v", tc.index, e.Type, e.Time)
		}
		for k, v := range tc.want {
			if got, _ := json.Marshal(body[k]); string(got) != mustJSON(v) {
				t.Errorf("%s %s = %s, want %s", tc.typ, k, got, mustJSON(v))
			}
		}
		raw, _ := f.Log.ReadEntry(ctx, tc.index)
		for _, secret := range []string{string(f.ana), "ana@example.org", n.Scope, string(f.staff.ID)} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("%s names %q: %s", tc.typ, secret, raw)
			}
		}
	}
	_, body := f.entry(t, d.RecordedIndex)
	if c, _ := body["subject"].(string); len(c) != 64 {
		t.Errorf("legal.recorded has no commitment to its account: %v", body["subject"])
	}
	// Two demands about one account carry unrelated commitments.
	d2 := f.record(t, n)
	if _, b2 := f.entry(t, d2.RecordedIndex); b2["subject"] == body["subject"] {
		t.Error("two demands about one account share a commitment")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// failingLog refuses every append.
type failingLog struct{}

func (failingLog) Append(context.Context, translog.Entry) (uint64, error) {
	return 0, errors.New("disk full")
}

// TestNothingWithoutTheLog: what cannot be logged is not stored.
func TestNothingWithoutTheLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	d := f.record(t, goodDemand(legal.Subpoena))
	broken := legal.NewService(legal.Deps{Store: sqlstore.NewLegalStore(f.DB), Log: failingLog{}, Accounts: f.Identity, Notifier: f.Notices,
		Clock: f.Clock, SubjectKey: subjectKey})
	_, err := broken.Record(ctx, f.staff, goodDemand(legal.Subpoena))
	wantErr(t, "Record without the log", err, apperr.Unavailable, "transparency log")
	_, err = broken.Decide(ctx, f.staff, d.ID, legal.Decision{Outcome: legal.Full, Produced: []legal.Category{legal.AccountData}})
	wantErr(t, "Decide without the log", err, apperr.Unavailable, "transparency log")
	list, _ := f.svc.Demands(ctx, f.staff)
	if len(list) != 1 || list[0].Decided() {
		t.Fatalf("stored without the log: %+v", list)
	}
}

// FuzzParseCategory: any input is either a category, which writes back to
// itself, or refused as Invalid.
func FuzzParseCategory(f *testing.F) {
	for _, s := range []string{"account_data", " Metadata ", "ciphertext", "content", "plaintext", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := legal.ParseCategory(s)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) || apperr.MessageOf(err) == "" {
				t.Fatalf("ParseCategory(%q): %v", s, err)
			}
			return
		}
		if again, err := legal.ParseCategory(string(c)); err != nil || again != c {
			t.Fatalf("ParseCategory(%q) = %q, which reads back as %q, %v", s, c, again, err)
		}
	})
}
