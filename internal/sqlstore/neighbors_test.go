package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/identity"
	"hearth/internal/neighbors"
)

// neighborsFixture is householdFixture plus agency ag_1 registered by u_bob.
func neighborsFixture(t *testing.T, db *DB) (*NeighborsStore, *neighbors.Agency) {
	t.Helper()
	householdFixture(t, db)
	s := NewNeighborsStore(db)
	a := &neighbors.Agency{ID: "ag_1", Name: "Police de Paris", Jurisdiction: "Paris", Kind: neighbors.AgencyPolice,
		RegisteredBy: "u_bob", RegisteredAt: t0}
	if err := s.CreateAgency(context.Background(), a, "u_bob"); err != nil {
		t.Fatalf("CreateAgency: %v", err)
	}
	return s, a
}

func TestStore_Agencies(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, a := neighborsFixture(t, db)
		got, err := s.FindAgency(ctx, "ag_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("FindAgency (-want +got):\n%s", diff)
		}
		_, err = s.FindAgency(ctx, "ag_none")
		wantCode(t, "FindAgency of an unknown agency", err, apperr.NotFound)
		wantCode(t, "CreateAgency for an unknown officer", s.CreateAgency(ctx, &neighbors.Agency{ID: "ag_2", Name: "X",
			Jurisdiction: "Y", Kind: neighbors.AgencyFire, RegisteredAt: t0}, "u_nobody"), apperr.NotFound)
		if _, err := s.FindAgency(ctx, "ag_2"); !apperr.Is(err, apperr.NotFound) {
			t.Error("the agency stayed though its officer was refused")
		}

		for user, want := range map[string]bool{"u_bob": true, "u_ana": false} {
			if ok, err := s.IsOfficer(ctx, "ag_1", identity.UserID(user)); err != nil || ok != want {
				t.Errorf("IsOfficer(%s) = %v, %v", user, ok, err)
			}
		}
		a.VerifiedBy, a.VerifiedAt = "u_cy", t0.Add(time.Hour)
		if err := s.VerifyAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "VerifyAgency twice", s.VerifyAgency(ctx, a), apperr.Conflict)
		wantCode(t, "VerifyAgency of an unknown agency", s.VerifyAgency(ctx, &neighbors.Agency{ID: "ag_none", VerifiedAt: t0}), apperr.NotFound)
		if err := s.SetAgencyRecipient(ctx, "ag_1", "age1xyz"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "SetAgencyRecipient of an unknown agency", s.SetAgencyRecipient(ctx, "ag_none", "age1xyz"), apperr.NotFound)
		a.Recipient = "age1xyz"
		if got, _ := s.FindAgency(ctx, "ag_1"); !cmp.Equal(a, got) {
			t.Errorf("after verifying: %+v", got)
		}
		pending := &neighbors.Agency{ID: "ag_0", Name: "Aaa pending", Jurisdiction: "Lyon", Kind: neighbors.AgencyMedical,
			RegisteredBy: "u_cy", RegisteredAt: t0}
		if err := s.CreateAgency(ctx, pending, "u_cy"); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListAgencies(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "ag_1" || list[1].ID != "ag_0" {
			t.Fatalf("ListAgencies (verified first): %v, %v", list, err)
		}
		mine, err := s.ListOfficerAgencies(ctx, "u_cy")
		if err != nil || len(mine) != 1 || mine[0].ID != "ag_0" {
			t.Fatalf("ListOfficerAgencies: %v, %v", mine, err)
		}
	})
}

func TestStore_Requests(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := neighborsFixture(t, db)
		r := &neighbors.Request{ID: "rfa_1", Agency: "ag_1", PostedBy: "u_bob", IncidentType: "burglary", Title: "Break-in",
			Description: "A break-in on rue X.", CaseNumber: "2026-0042", Contact: "det. Martin, +33 1 23 45 67 89",
			WindowStart: t0.Add(-2 * time.Hour), WindowEnd: t0.Add(-time.Hour),
			Area:        geo.Area{Polygon: []geo.Point{{Lat: 48.85, Lng: 2.35}, {Lat: 48.852, Lng: 2.35}, {Lat: 48.852, Lng: 2.353}}},
			SquareMiles: 0.031234567, PostedAt: t0, PostedIndex: 7}
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindRequest(ctx, "rfa_1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("FindRequest (-want +got):\n%s", diff)
		}
		circle := *r
		circle.ID, circle.PostedAt = "rfa_2", t0.Add(time.Minute)
		circle.Area = geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: 48.85, Lng: 2.35}, RadiusMeters: 300}}
		if err := s.CreateRequest(ctx, &circle); err != nil {
			t.Fatal(err)
		}
		orphan := *r
		orphan.ID, orphan.Agency = "rfa_3", "ag_none"
		wantCode(t, "CreateRequest for an unknown agency", s.CreateRequest(ctx, &orphan), apperr.NotFound)
		wantCode(t, "CreateRequest with a taken id", s.CreateRequest(ctx, r), apperr.Conflict)

		list, err := s.ListRequests(ctx, "ag_1")
		if err != nil || len(list) != 2 || list[0].ID != "rfa_2" || list[0].Area.Circle == nil || list[0].Area.Circle.RadiusMeters != 300 {
			t.Fatalf("ListRequests (newest first): %+v, %v", list, err)
		}
		if all, _ := s.ListRequests(ctx, ""); len(all) != 2 {
			t.Fatalf("ListRequests of every agency: %d", len(all))
		}
		if none, _ := s.ListRequests(ctx, "ag_none"); len(none) != 0 {
			t.Fatalf("ListRequests of an unknown agency: %d", len(none))
		}
		r.ResolvedAt, r.ResolvedIndex = t0.Add(time.Hour), 9
		if err := s.ResolveRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "ResolveRequest twice", s.ResolveRequest(ctx, r), apperr.Conflict)
		wantCode(t, "ResolveRequest of an unknown request", s.ResolveRequest(ctx, &neighbors.Request{ID: "rfa_none", ResolvedAt: t0}), apperr.NotFound)
		if got, _ := s.FindRequest(ctx, "rfa_1"); !cmp.Equal(r, got) {
			t.Errorf("after resolving: %+v", got)
		}
	})
}

func TestStore_OptOut(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s, _ := neighborsFixture(t, db)
		if v, err := s.OptedOut(ctx, "h_1"); err != nil || v {
			t.Fatalf("OptedOut before any choice: %v, %v", v, err)
		}
		for _, want := range []bool{true, false, true} {
			if err := s.SetOptOut(ctx, "h_1", want, t0); err != nil {
				t.Fatal(err)
			}
			if v, err := s.OptedOut(ctx, "h_1"); err != nil || v != want {
				t.Fatalf("OptedOut = %v, %v; want %v", v, err, want)
			}
		}
		wantCode(t, "SetOptOut of an unknown household", s.SetOptOut(ctx, "h_none", true, t0), apperr.NotFound)
	})
}
