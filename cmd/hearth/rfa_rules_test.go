package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/apperr"
	"hearth/internal/geo"
	"hearth/internal/household"
	"hearth/internal/neighbors"
	"hearth/internal/vault"
)

// TestSubmissionRules: what a household may submit, and withdraw.
func TestSubmissionRules(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	officer, _, agency := verifiedAgency(t, m)
	home := newRFAHousehold(t, m, "ines@example.org", household.Location{Lat: 48.8567, Lng: 2.3523}, true)
	other := newRFAHousehold(t, m, "otto@example.org", household.Location{Lat: 48.8565, Lng: 2.3521}, true)
	clip := home.record(t, m, now.Add(-90*time.Minute), []byte("in the window"))
	second := home.record(t, m, now.Add(-80*time.Minute), []byte("also in the window"))
	othersClip := other.record(t, m, now.Add(-90*time.Minute), []byte("the neighbour's"))
	post := func() *neighbors.Request {
		t.Helper()
		r, err := m.Neighbors.PostRequest(ctx, officer, agency.ID, neighbors.NewRequest{
			IncidentType: "theft", Title: "Bike stolen", Description: "d", CaseNumber: "C-1", Contact: "desk",
			WindowStart: now.Add(-2 * time.Hour), WindowEnd: now.Add(-time.Hour),
			Area: geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: 48.8566, Lng: 2.3522}, RadiusMeters: 300}}, NotAboutLawfulActivity: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	req := post()
	submit := func(clips []vault.ClipID, note string) (*neighbors.Submission, error) {
		return m.Neighbors.Submit(ctx, home.user, req.ID, neighbors.NewSubmission{Household: home.home.ID, Clips: clips, Note: note})
	}
	if _, err := submit([]vault.ClipID{clip}, ""); !apperr.Is(err, apperr.Conflict) || !strings.Contains(apperr.MessageOf(err), "key") {
		t.Fatalf("submit before the agency has a key: %v", err)
	}
	key, _ := age.GenerateX25519Identity()
	if err := m.Neighbors.SetAgencyRecipient(ctx, officer, agency.ID, key.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []vault.ClipID{clip, second} {
		header, err := vault.Rewrap(home.download(t, c), home.identity, key.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Vault.AddWrap(ctx, home.user, c, key.Recipient().String(), header); err != nil {
			t.Fatal(err)
		}
	}
	many := make([]vault.ClipID, neighbors.MaxSubmissionClips+1)
	for i := range many {
		many[i] = vault.ClipID("c_" + strings.Repeat("a", 25) + string(rune('a'+i%26)))
	}
	for _, tc := range []struct {
		name  string
		clips []vault.ClipID
		note  string
		want  string
	}{
		{"no clip", nil, "", "Choose 1 to 20"},
		{"too many clips", many, "", "Choose 1 to 20"},
		{"a clip twice", []vault.ClipID{clip, clip}, "", "once per submission"},
		{"the neighbour's clip", []vault.ClipID{othersClip}, "", "own"},
		{"no such clip", []vault.ClipID{"c_nope"}, "", "own"},
		{"overlong note", []vault.ClipID{clip}, strings.Repeat("é", neighbors.MaxNoteLength+1), "at most 1000"},
		{"invalid text", []vault.ClipID{clip}, "\xff", "valid text"},
	} {
		if _, err := submit(tc.clips, tc.note); !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.MessageOf(err), tc.want) {
			t.Errorf("%s: %v, want Invalid with %q", tc.name, err, tc.want)
		}
	}
	// The neighbour's member cannot act for this household.
	if _, err := m.Neighbors.Submit(ctx, other.user, req.ID, neighbors.NewSubmission{Household: home.home.ID, Clips: []vault.ClipID{clip}}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a non-member submits for the household: %v", err)
	}

	// Withdrawn before it is opened: logged, and the agency can no longer get the clip.
	sub, err := submit([]vault.ClipID{clip, second}, "  seen at 10:32  ")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Note != "seen at 10:32" {
		t.Errorf("note %q, want it trimmed", sub.Note)
	}
	if _, err := m.Neighbors.Withdraw(ctx, other.user, sub.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a non-member withdraws: %v", err)
	}
	w, err := m.Neighbors.Withdraw(ctx, home.user, sub.ID)
	if err != nil || w.WithdrawnIndex == 0 {
		t.Fatalf("withdraw: %+v, %v", w, err)
	}
	if _, err := m.Neighbors.Withdraw(ctx, home.user, sub.ID); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("withdraw twice: %v", err)
	}
	if _, err := m.Vault.OpenFor(ctx, clip, key.Recipient().String()); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the agency's wrap survives the withdrawal: %v", err)
	}
	if _, err := m.Neighbors.OpenReceived(ctx, officer, sub.ID, clip); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("the agency opens a withdrawn submission: %v", err)
	}
	if list, err := m.Neighbors.Received(ctx, officer, req.ID); err != nil || len(list) != 0 {
		t.Errorf("the agency still lists the withdrawn submission: %d, %v", len(list), err)
	}

	// A resolved request takes no more footage.
	if _, err := m.Neighbors.ResolveRequest(ctx, officer, req.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := submit([]vault.ClipID{second}, ""); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("submit to a resolved request: %v", err)
	}
}

// TestResponseCountWithheldBelowFive: the public count appears from the
// fifth household on, and counts households, not submissions.
func TestResponseCountWithheldBelowFive(t *testing.T) {
	t.Parallel()
	m := startMain(t, "")
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	officer, _, agency := verifiedAgency(t, m)
	key, _ := age.GenerateX25519Identity()
	if err := m.Neighbors.SetAgencyRecipient(ctx, officer, agency.ID, key.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	var homes []*rfaHousehold
	for i := range 5 {
		homes = append(homes, newRFAHousehold(t, m, "h"+string(rune('a'+i))+"@example.org", household.Location{Lat: 48.8566 + float64(i)*0.0002, Lng: 2.3522}, true))
	}
	req, err := m.Neighbors.PostRequest(ctx, officer, agency.ID, neighbors.NewRequest{
		IncidentType: "theft", Title: "Bike stolen", Description: "d", CaseNumber: "C-1", Contact: "desk",
		WindowStart: now.Add(-2 * time.Hour), WindowEnd: now.Add(-time.Hour),
		Area: geo.Area{Circle: &geo.Circle{Center: geo.Point{Lat: 48.8570, Lng: 2.3522}, RadiusMeters: 300}}, NotAboutLawfulActivity: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	answer := func(h *rfaHousehold) {
		t.Helper()
		c := h.record(t, m, now.Add(-90*time.Minute), []byte("clip"))
		header, err := vault.Rewrap(h.download(t, c), h.identity, key.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Vault.AddWrap(ctx, h.user, c, key.Recipient().String(), header); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Neighbors.Submit(ctx, h.user, req.ID, neighbors.NewSubmission{Household: h.home.ID, Clips: []vault.ClipID{c}}); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range homes[:4] {
		answer(h)
		if i == 0 {
			answer(h) // a second answer from the same household counts once
		}
		if n, shown, err := m.Neighbors.PublicResponses(ctx, req.ID); err != nil || shown || n != 0 {
			t.Fatalf("after %d households: %d, %v, %v", i+1, n, shown, err)
		}
	}
	answer(homes[4])
	if n, shown, err := m.Neighbors.PublicResponses(ctx, req.ID); err != nil || !shown || n != 5 {
		t.Fatalf("after 5 households: %d, %v, %v", n, shown, err)
	}
}
