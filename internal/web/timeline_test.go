package web_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/vault"
)

// TestTimeline checks that the timeline shows one day in the household's
// own time zone, by device, with clips ready to play, and that outsiders
// and bad days get clear answers.
func TestTimeline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sqltest.SQLite(t))
	ctx := context.Background()
	ana, eve := e.browser(t), e.browser(t)
	e.signUp(ana, "ana@example.org")
	e.signUp(eve, "eve@example.org")
	anaID, err := e.ids.LookUp(ctx, "ana@example.org")
	if err != nil {
		t.Fatal(err)
	}
	// The fake clock says 2026-03-01 10:00 UTC: 05:00 in New York.
	h, err := e.households.Create(ctx, anaID, household.NewHousehold{Name: "Elm St", Home: household.Location{Lat: 40.7, Lng: -74},
		TimeZone: "America/New_York", RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	pair := func(kind device.Kind, name string) *device.Device {
		code, _, err := e.devices.StartPairing(ctx, anaID, h.ID, kind, name)
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := e.devices.Pair(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	door, yard := pair(device.KindDoorbell, "Front door"), pair(device.KindCamera, "Back yard")
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	for _, ev := range []struct {
		d    *device.Device
		typ  device.EventType
		at   string
		data map[string]any
	}{
		{door, device.EventDing, "2026-03-01T09:30:00Z", nil},                              // 04:30 in New York: today
		{yard, device.EventMotion, "2026-03-01T04:59:00Z", map[string]any{"zone": "lawn"}}, // 23:59 the day before
		{yard, device.EventBattery, "2026-03-01T05:01:00Z", map[string]any{"percent": 80.0}},
	} {
		if err := e.devices.RecordEvent(ctx, ev.d, device.Event{Type: ev.typ, At: at(ev.at), Data: ev.data}); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := age.GenerateX25519Identity()
	var ct bytes.Buffer
	w, _ := age.Encrypt(&ct, id.Recipient())
	w.Write([]byte("GIF89a a clip"))
	w.Close()
	clip, _, err := e.vault.Put(ctx, vault.Upload{Household: h.ID, Device: door.ID, Kind: vault.KindVideo,
		Start: at("2026-03-01T09:30:00Z"), End: at("2026-03-01T09:30:12Z")}, &ct, 1<<20)
	if err != nil {
		t.Fatal(err)
	}

	base := "/households/" + string(h.ID) + "/timeline"
	p := ana.get(base)
	if p.status != 200 {
		t.Fatalf("timeline: %d\n%s", p.status, p.body)
	}
	for _, want := range []string{`id="day">2026-03-01<`, "04:30:00", `data-clip="` + string(clip.ID) + `"`, "12 s", "00:01:00", "battery 80%", "Front door", "Back yard", "make your vault key"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("today's timeline lacks %q", want)
		}
	}
	if strings.Contains(p.body, "23:59:00") || strings.Contains(p.body, `id="next-day"`) {
		t.Error("today's timeline shows yesterday's motion, or a day after today")
	}
	p = ana.get(base + "?day=2026-02-28")
	if !strings.Contains(p.body, "23:59:00") || !strings.Contains(p.body, "motion in lawn") || strings.Contains(p.body, "04:30:00") {
		t.Errorf("the day before:\n%s", p.body)
	}
	p = ana.get(base + "?device=" + string(yard.ID))
	if strings.Contains(p.body, "<h2>Front door ") || !strings.Contains(p.body, "<h2>Back yard ") {
		t.Errorf("one device's timeline shows another's")
	}
	for _, bad := range []string{"?day=yesterday", "?day=2026-02-30", "?device=d_nosuchdevice"} {
		if p := ana.get(base + bad); p.status != http.StatusBadRequest && p.status != http.StatusNotFound {
			t.Errorf("%s: %d", bad, p.status)
		}
	}
	// A member with a key gets the unlock form.
	_, recipient, wrapped, err := vault.NewMemberKey("ana's long key passphrase", vault.WithWorkFactor(18))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.vault.SetKey(ctx, anaID, recipient, wrapped); err != nil {
		t.Fatal(err)
	}
	if p := ana.get(base); !strings.Contains(p.body, `id="unlock-form"`) || !strings.Contains(p.body, recipient) {
		t.Error("no unlock form for a member with a key")
	}
	if p := ana.get("/key"); p.status != 200 || !strings.Contains(p.body, recipient) {
		t.Errorf("key page: %d", p.status)
	}
	// Eve, outside the household, gets what she would for no household.
	if a, b := eve.get(base), eve.get("/households/h_nosuchhousehold/timeline"); a.status != http.StatusNotFound || b.status != a.status {
		t.Fatalf("outsider: %d vs %d", a.status, b.status)
	}
}
