package access_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/access"
	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/notice"
	"hearth/internal/testkit"
	"hearth/internal/translog"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	svc     *access.Service
	gate    *access.Gate
	log     *translog.Log
	ids     *identity.Service
	notices *notice.Service
	clock   *clock.Fake
	names   *access.Pseudonyms
	logDir  string

	staff, staff2, admin, ana access.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k := testkit.New(t, "", testkit.Options{Now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)})
	f := &fixture{svc: k.Access, gate: k.Gate, log: k.Log, ids: k.Identity, notices: k.Notices, clock: k.Clock, names: k.Pseudonyms, logDir: k.LogDir}
	mk := func(name string, role identity.Role) access.Actor {
		return access.Actor{ID: k.User(t, name, role), Role: role}
	}
	f.staff = mk("staff", identity.RoleStaff)
	f.staff2 = mk("staff2", identity.RoleStaff)
	f.admin = mk("admin", identity.RoleAdmin)
	f.ana = mk("ana", identity.RoleResident)
	return f
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// entries returns the log's entries from index from on.
func (f *fixture) entries(t *testing.T, from uint64) []translog.RawEntry {
	t.Helper()
	var out []translog.RawEntry
	for i := from; ; i++ {
		b, err := f.log.ReadEntry(context.Background(), i)
		if apperr.Is(err, apperr.NotFound) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		e, err := translog.ParseEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

func (f *fixture) approvedGrant(t *testing.T) *access.Grant {
	t.Helper()
	ctx := context.Background()
	g, err := f.svc.RequestGrant(ctx, f.staff, "ana@example.org", "ticket 42: cannot sign in", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if g, err = f.svc.DecideGrant(ctx, f.admin, g.ID, true); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGateLogsBeforeReading(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	req := access.Request{Actor: f.staff, Subject: access.UserSubject(f.ana.ID), Object: access.ObjectAccountMetadata,
		Purpose: access.PurposeSupport, LegalBasis: access.BasisAccessGrant}
	var sawEntry bool
	got, err := access.Read(ctx, f.gate, req, func(ctx context.Context) (string, error) {
		// By the time the data is fetched, the entry must already be in the log.
		es := f.entries(t, 0)
		sawEntry = len(es) == 1 && es[0].Type == access.EntryRead
		return "the data", nil
	})
	if err != nil || got != "the data" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	if !sawEntry {
		t.Fatal("the data was fetched before the log entry was written")
	}
	var body map[string]string
	if err := json.Unmarshal(f.entries(t, 0)[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["subject"] != f.names.Commitment(access.UserSubject(f.ana.ID)) || strings.Contains(string(f.entries(t, 0)[0].Body), string(f.ana.ID)) {
		t.Fatalf("the entry names the subject or lacks the commitment: %s", f.entries(t, 0)[0].Body)
	}
	if body["actor"] != f.names.Actor(f.staff) || !strings.HasPrefix(body["actor"], "S-") || strings.Contains(string(f.entries(t, 0)[0].Body), string(f.staff.ID)) {
		t.Fatalf("actor is not a pseudonym: %v", body)
	}
	for _, bad := range []access.Request{{}, {Actor: f.staff}, {Actor: f.staff, Subject: req.Subject}} {
		_, err := access.Read(ctx, f.gate, bad, func(context.Context) (string, error) { return "x", nil })
		wantCode(t, err, apperr.Invalid)
	}
}

func TestGateLogUnwritable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	g := f.approvedGrant(t)
	if err := f.log.Close(ctx); err != nil {
		t.Fatal(err)
	}
	fetched := false
	_, err := access.Read(ctx, f.gate, access.Request{Actor: f.staff, Subject: access.UserSubject(f.ana.ID), Object: access.ObjectAccountMetadata,
		Purpose: access.PurposeSupport, LegalBasis: access.BasisAccessGrant}, func(context.Context) (string, error) {
		fetched = true
		return "secret", nil
	})
	if err == nil || fetched {
		t.Fatalf("read with the log unwritable: err %v, fetched %v", err, fetched)
	}
	wantCode(t, err, apperr.Unavailable)
	sum, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID)
	if err == nil || sum.Email != "" {
		t.Fatalf("metadata returned with the log unwritable: %+v, %v", sum, err)
	}
}

// TestGateLogDirUnwritable: the log's tile directory cannot be written (it
// is replaced by a regular file, which stops root too). The read under an
// approved grant still happens, because its entry is durable in the log's
// write-ahead log before the data is fetched; once the directory is
// repaired, the entry reaches the public log and the person's history.
func TestGateLogDirUnwritable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	g := f.approvedGrant(t)
	before := len(f.entries(t, 0)) // waits until the grant's entries are in the tiles
	tiles := filepath.Join(f.logDir, "tile")
	if err := os.Rename(tiles, tiles+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tiles, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID)
	if err != nil || sum.Email != "ana@example.org" {
		t.Fatalf("read with the tiles unwritable but the entry durable: %+v, %v", sum, err)
	}
	// Repaired, the log integrates the read, and the person sees it.
	os.Remove(tiles)
	if err := os.Rename(tiles+".away", tiles); err != nil {
		t.Fatal(err)
	}
	if got := f.entries(t, 0); len(got) != before+1 {
		t.Fatalf("after repair the log holds %d entries, want %d", len(got), before+1)
	}
	h, err := f.svc.History(ctx, f.ana.ID)
	if err != nil || len(h.Items) != 1 {
		t.Fatalf("the read is not in the history after repair: %+v, %v", h.Items, err)
	}
}

func TestGrantRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		actor  access.Actor
		email  string
		reason string
		d      time.Duration
		want   apperr.Code
	}{
		{"OK", f.staff, "ana@example.org", "ticket 42: cannot sign in", 72 * time.Hour, ""},
		{"ErrTooLong", f.staff, "ana@example.org", "ticket 42: cannot sign in", 72*time.Hour + time.Minute, apperr.Invalid},
		{"ErrTooShort", f.staff, "ana@example.org", "ticket 42: cannot sign in", 5 * time.Minute, apperr.Invalid},
		{"ErrNoReason", f.staff, "ana@example.org", "   ", time.Hour, apperr.Invalid},
		{"ErrShortReason", f.staff, "ana@example.org", "because", time.Hour, apperr.Invalid},
		{"ErrNotStaff", f.ana, "staff@example.org", "ticket 42: cannot sign in", time.Hour, apperr.Forbidden},
		{"ErrAdminIsNotStaff", f.admin, "ana@example.org", "ticket 42: cannot sign in", time.Hour, apperr.Forbidden},
		{"ErrSelf", f.staff, "staff@example.org", "ticket 42: cannot sign in", time.Hour, apperr.Invalid},
		{"ErrUnknownEmail", f.staff, "nobody@example.org", "ticket 42: cannot sign in", time.Hour, apperr.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.RequestGrant(ctx, tc.actor, tc.email, tc.reason, tc.d)
			wantCode(t, err, tc.want)
		})
	}

	g, err := f.svc.RequestGrant(ctx, f.staff, "ana@example.org", "ticket 43: lost phone", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrReadBeforeApproval", func(t *testing.T) {
		_, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID)
		wantCode(t, err, apperr.Forbidden)
	})
	t.Run("ErrStaffDecides", func(t *testing.T) {
		_, err := f.svc.DecideGrant(ctx, f.staff2, g.ID, true)
		wantCode(t, err, apperr.Forbidden)
	})
	if _, err := f.svc.DecideGrant(ctx, f.admin, g.ID, true); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrDecidedTwice", func(t *testing.T) {
		_, err := f.svc.DecideGrant(ctx, f.admin, g.ID, false)
		wantCode(t, err, apperr.Conflict)
	})
	t.Run("ErrOtherStaffReads", func(t *testing.T) {
		_, err := f.svc.ReadAccountMetadata(ctx, f.staff2, g.ID)
		wantCode(t, err, apperr.NotFound)
	})
	t.Run("OKWhileActive", func(t *testing.T) {
		f.clock.Advance(59 * time.Minute)
		sum, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID)
		if err != nil || sum.Email != "ana@example.org" {
			t.Fatalf("%+v, %v", sum, err)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		f.clock.Advance(time.Minute)
		_, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID)
		wantCode(t, err, apperr.Forbidden)
	})
	t.Run("ErrDenied", func(t *testing.T) {
		d, err := f.svc.RequestGrant(ctx, f.staff, "ana@example.org", "ticket 44: billing question", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DecideGrant(ctx, f.admin, d.ID, false); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ReadAccountMetadata(ctx, f.staff, d.ID)
		wantCode(t, err, apperr.Forbidden)
	})
}

func TestGrantIsLoggedAndSubjectTold(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	g := f.approvedGrant(t)
	if _, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range f.entries(t, 0) {
		types = append(types, string(e.Type))
	}
	want := "access.grant.requested access.grant.approved access.read access.read"
	if strings.Join(types, " ") != want {
		t.Fatalf("log entry types %v, want %s", types, want)
	}
	for _, e := range f.entries(t, 0) {
		if strings.Contains(string(e.Body), "ticket 42") || strings.Contains(string(e.Body), "ana@") {
			t.Fatalf("the public log carries personal text: %s", e.Body)
		}
	}
	notices, err := f.notices.List(ctx, f.ana.ID)
	if err != nil || len(notices) != 1 || !strings.Contains(notices[0].Text, "ticket 42") || !strings.Contains(notices[0].Text, f.names.Actor(f.staff)) {
		t.Fatalf("notices: %+v, %v", notices, err)
	}
}

func TestHistoryProofs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	g := f.approvedGrant(t)
	for range 3 {
		if _, err := f.svc.ReadAccountMetadata(ctx, f.staff, g.ID); err != nil {
			t.Fatal(err)
		}
	}
	last := uint64(len(f.entries(t, 0)) - 1)
	if _, err := f.log.AwaitCheckpoint(ctx, last); err != nil {
		t.Fatal(err)
	}
	h, err := f.svc.History(ctx, f.ana.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Items) != 3 {
		t.Fatalf("history has %d reads, want 3", len(h.Items))
	}
	for _, it := range h.Items {
		if !it.NamesYou || !it.InCheckpoint || it.Actor != f.names.Actor(f.staff) || it.Grant != g.ID {
			t.Fatalf("item %+v", it)
		}
		var proof tlog.RecordProof
		for _, p := range it.Proof {
			proof = append(proof, tlog.Hash(p))
		}
		if err := tlog.CheckRecord(proof, int64(h.Checkpoint.Size), tlog.Hash(h.Checkpoint.Root), int64(it.LogIndex), tlog.RecordHash(it.Entry)); err != nil {
			t.Fatalf("entry %d: %v", it.LogIndex, err)
		}
	}
	// Someone else's history is empty.
	other, err := f.svc.History(ctx, f.staff2.ID)
	if err != nil || len(other.Items) != 0 {
		t.Fatalf("other history: %+v, %v", other.Items, err)
	}
}
