package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/device"
	"hearth/internal/household"
)

// mustCreateHousehold inserts a bare household row; the household store is
// not needed to test devices.
func mustCreateHousehold(t *testing.T, db *DB, id household.ID) {
	t.Helper()
	err := db.write(context.Background(), "test", func(tx *tx) error {
		_, err := tx.exec(context.Background(), `INSERT INTO households
			(id, name, address, home_lat, home_lng, time_zone, retention_days, created_at)
			VALUES (?, ?, '', 48.85, 2.35, 'Europe/Paris', 30, ?)`, string(id), "Home "+string(id), micros(t0))
		return err
	})
	if err != nil {
		t.Fatalf("insert household %s: %v", id, err)
	}
}

func testCode(hash string, hh household.ID) *device.PairingCode {
	return &device.PairingCode{
		Hash:      []byte(hash),
		Household: hh,
		Kind:      device.KindCamera,
		Name:      "Porch",
		CreatedBy: "u1",
		CreatedAt: t0,
		ExpiresAt: t0.Add(10 * time.Minute),
	}
}

// mustPair creates a pairing code and pairs a device with it.
func mustPair(t *testing.T, s *DeviceStore, hh household.ID, id device.ID) *device.Device {
	t.Helper()
	ctx := context.Background()
	hash := "code-" + string(id)
	if err := s.CreatePairingCode(ctx, testCode(hash, hh)); err != nil {
		t.Fatalf("CreatePairingCode: %v", err)
	}
	d := &device.Device{ID: id, CredentialHash: []byte("cred-" + string(id)), PairedAt: t0.Add(time.Minute)}
	if err := s.PairDevice(ctx, []byte(hash), d); err != nil {
		t.Fatalf("PairDevice(%s): %v", id, err)
	}
	return d
}

func TestStore_DevicePairing(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewDeviceStore(db)
		mustCreateHousehold(t, db, "h1")

		err := s.CreatePairingCode(ctx, testCode("x", "nope"))
		wantCode(t, "CreatePairingCode for an unknown household", err, apperr.NotFound)
		if err := s.CreatePairingCode(ctx, testCode("c1", "h1")); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "CreatePairingCode with a taken hash", s.CreatePairingCode(ctx, testCode("c1", "h1")), apperr.Conflict)

		d := &device.Device{ID: "d1", CredentialHash: []byte("cred1"), PairedAt: t0.Add(time.Minute)}
		if err := s.PairDevice(ctx, []byte("c1"), d); err != nil {
			t.Fatalf("PairDevice: %v", err)
		}
		want := &device.Device{ID: "d1", Household: "h1", Kind: device.KindCamera, Name: "Porch",
			CredentialHash: []byte("cred1"), PairedAt: t0.Add(time.Minute)}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("PairDevice set (-want +got):\n%s", diff)
		}
		got, err := s.FindDevice(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindDevice (-want +got):\n%s", diff)
		}

		again := &device.Device{ID: "d2", CredentialHash: []byte("cred2"), PairedAt: t0.Add(2 * time.Minute)}
		wantCode(t, "PairDevice with a used code", s.PairDevice(ctx, []byte("c1"), again), apperr.NotFound)
		wantCode(t, "PairDevice with an unknown code", s.PairDevice(ctx, []byte("zz"), again), apperr.NotFound)

		// A code expires at ExpiresAt exactly.
		if err := s.CreatePairingCode(ctx, testCode("c2", "h1")); err != nil {
			t.Fatal(err)
		}
		late := &device.Device{ID: "d3", CredentialHash: []byte("cred3"), PairedAt: t0.Add(10 * time.Minute)}
		wantCode(t, "PairDevice at expiry", s.PairDevice(ctx, []byte("c2"), late), apperr.NotFound)
		late.PairedAt = t0.Add(10*time.Minute - time.Microsecond)
		if err := s.PairDevice(ctx, []byte("c2"), late); err != nil {
			t.Errorf("PairDevice just before expiry: %v", err)
		}

		// A taken credential hash rolls the pairing back: the code still works.
		if err := s.CreatePairingCode(ctx, testCode("c3", "h1")); err != nil {
			t.Fatal(err)
		}
		dup := &device.Device{ID: "d4", CredentialHash: []byte("cred1"), PairedAt: t0.Add(time.Minute)}
		wantCode(t, "PairDevice with a taken credential", s.PairDevice(ctx, []byte("c3"), dup), apperr.Conflict)
		dup.CredentialHash = []byte("cred4")
		if err := s.PairDevice(ctx, []byte("c3"), dup); err != nil {
			t.Errorf("PairDevice after a rolled-back attempt: %v", err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM pairing_codes WHERE device_id = ?`, "d4"); n != 1 {
			t.Errorf("pairing code records device d4 %d times, want 1", n)
		}
	})
}

func TestStore_DevicePairConcurrent(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewDeviceStore(db)
		mustCreateHousehold(t, db, "h1")
		if err := s.CreatePairingCode(ctx, testCode("c1", "h1")); err != nil {
			t.Fatal(err)
		}
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				d := &device.Device{ID: device.ID(fmt.Sprint("d", i)), CredentialHash: []byte(fmt.Sprint("cred", i)), PairedAt: t0}
				errs[i] = s.PairDevice(ctx, []byte("c1"), d)
			})
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !apperr.Is(err, apperr.NotFound):
				t.Errorf("PairDevice %d: %v, want success or NotFound", i, err)
			}
		}
		if ok != 1 {
			t.Errorf("%d concurrent PairDevice calls succeeded, want 1", ok)
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM devices`); got != 1 {
			t.Errorf("%d devices stored, want 1", got)
		}
	})
}

func TestStore_DeviceLifecycle(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewDeviceStore(db)
		mustCreateHousehold(t, db, "h1")
		mustCreateHousehold(t, db, "h2")
		mustPair(t, s, "h1", "d1")
		mustPair(t, s, "h1", "d2")
		mustPair(t, s, "h2", "d3")

		list, err := s.ListDevices(ctx, "h1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []device.ID
		for _, d := range list {
			ids = append(ids, d.ID)
		}
		if diff := cmp.Diff([]device.ID{"d1", "d2"}, ids); diff != "" {
			t.Errorf("ListDevices(h1) (-want +got):\n%s", diff)
		}
		if list, err := s.ListDevices(ctx, "none"); err != nil || len(list) != 0 || list == nil {
			t.Errorf("ListDevices(unknown) = %v, %v; want an empty list", list, err)
		}

		if err := s.RenameDevice(ctx, "d1", "Back door"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "RenameDevice(unknown)", s.RenameDevice(ctx, "dx", "x"), apperr.NotFound)

		seen := t0.Add(time.Hour)
		if err := s.SetOnline(ctx, "d1", true, seen); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "SetOnline(unknown)", s.SetOnline(ctx, "dx", true, seen), apperr.NotFound)
		d, err := s.FindDevice(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "Back door" || !d.Online || !d.LastSeenAt.Equal(seen) {
			t.Errorf("after rename and SetOnline: name %q online %v seen %v", d.Name, d.Online, d.LastSeenAt)
		}

		revoked := t0.Add(2 * time.Hour)
		if err := s.RevokeDevice(ctx, "d1", revoked); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeDevice(ctx, "d1", revoked.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "RevokeDevice(unknown)", s.RevokeDevice(ctx, "dx", revoked), apperr.NotFound)
		wantCode(t, "SetOnline(revoked)", s.SetOnline(ctx, "d1", true, revoked), apperr.NotFound)
		d, err = s.FindDevice(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if !d.RevokedAt.Equal(revoked) || d.Online {
			t.Errorf("after revoking twice: revoked %v online %v; want the first time, offline", d.RevokedAt, d.Online)
		}
		_, err = s.FindDevice(ctx, "dx")
		wantCode(t, "FindDevice(unknown)", err, apperr.NotFound)
	})
}

func TestStore_DeviceEvents(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewDeviceStore(db)
		mustCreateHousehold(t, db, "h1")
		mustCreateHousehold(t, db, "h2")
		mustPair(t, s, "h1", "d1")
		mustPair(t, s, "h2", "d2")
		mustPair(t, s, "h1", "d3")
		if err := s.RevokeDevice(ctx, "d3", t0); err != nil {
			t.Fatal(err)
		}

		ev := func(id string, dev device.ID, hh household.ID, min int, data map[string]any) *device.Event {
			return &device.Event{ID: id, Device: dev, Household: hh, Type: device.EventContact,
				At: t0.Add(time.Duration(min) * time.Minute), Data: data}
		}
		events := []*device.Event{
			ev("e1", "d1", "h1", 1, map[string]any{"open": true}),
			ev("e2", "d1", "h1", 3, map[string]any{"open": false}),
			ev("e3", "d1", "h1", 2, nil),
			// Claims the wrong household: the device's own is stored.
			ev("e4", "d2", "h1", 2, nil),
			ev("e5", "d3", "h1", 2, nil), // revoked: dropped
			ev("e6", "dx", "h1", 2, nil), // unknown: dropped
		}
		seen := map[device.ID]time.Time{"d2": t0.Add(5 * time.Minute), "d3": t0.Add(5 * time.Minute)}
		n, err := s.RecordActivity(ctx, events, seen)
		if err != nil {
			t.Fatalf("RecordActivity: %v", err)
		}
		if n != 4 {
			t.Errorf("RecordActivity stored %d, want 4", n)
		}

		got, err := s.ListEvents(ctx, "h1", t0, t0.Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []*device.Event{events[1], events[2], events[0]}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListEvents(h1) (-want +got):\n%s", diff)
		}
		got, err = s.ListEvents(ctx, "h2", t0, t0.Add(time.Hour), 10)
		if err != nil || len(got) != 1 || got[0].ID != "e4" || got[0].Household != "h2" {
			t.Errorf("ListEvents(h2) = %v, %v; want e4 filed under h2", got, err)
		}
		// from is inclusive, to exclusive; limit keeps the newest.
		got, err = s.ListEvents(ctx, "h1", t0.Add(2*time.Minute), t0.Add(3*time.Minute), 10)
		if err != nil || len(got) != 1 || got[0].ID != "e3" {
			t.Errorf("ListEvents[2m,3m) = %v, %v; want e3 only", got, err)
		}
		got, err = s.ListEvents(ctx, "h1", t0, t0.Add(time.Hour), 1)
		if err != nil || len(got) != 1 || got[0].ID != "e2" {
			t.Errorf("ListEvents limit 1 = %v, %v; want e2", got, err)
		}

		d2, err := s.FindDevice(ctx, "d2")
		if err != nil {
			t.Fatal(err)
		}
		if !d2.Online || !d2.LastSeenAt.Equal(t0.Add(5*time.Minute)) {
			t.Errorf("d2 after a heartbeat: online %v seen %v", d2.Online, d2.LastSeenAt)
		}
		if d3, _ := s.FindDevice(ctx, "d3"); d3 == nil || d3.Online {
			t.Errorf("a revoked device was marked online: %+v", d3)
		}
		// LastSeenAt never moves backwards.
		if _, err := s.RecordActivity(ctx, nil, map[device.ID]time.Time{"d2": t0}); err != nil {
			t.Fatal(err)
		}
		if d2, _ = s.FindDevice(ctx, "d2"); !d2.LastSeenAt.Equal(t0.Add(5 * time.Minute)) {
			t.Errorf("LastSeenAt moved back to %v", d2.LastSeenAt)
		}

		// A taken id fails the whole batch.
		_, err = s.RecordActivity(ctx, []*device.Event{ev("e7", "d1", "h1", 9, nil), ev("e1", "d1", "h1", 9, nil)}, nil)
		wantCode(t, "RecordActivity with a taken id", err, apperr.Conflict)
		if n := countRows(t, db, `SELECT COUNT(*) FROM device_events WHERE id = ?`, "e7"); n != 0 {
			t.Errorf("a failed batch stored part of itself")
		}
	})
}

// TestStore_DeviceEventsLargeBatch covers batches split over several
// statements, with events of a revoked device spread through them.
func TestStore_DeviceEventsLargeBatch(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewDeviceStore(db)
		mustCreateHousehold(t, db, "h1")
		mustPair(t, s, "h1", "d1")
		mustPair(t, s, "h1", "d2")
		if err := s.RevokeDevice(ctx, "d2", t0); err != nil {
			t.Fatal(err)
		}
		const n = 2*eventChunk + 37
		var evs []*device.Event
		want := 0
		for i := range n {
			dev := device.ID("d1")
			if i%7 == 0 {
				dev = "d2"
			} else {
				want++
			}
			evs = append(evs, &device.Event{ID: fmt.Sprint("e", i), Device: dev, Household: "h1",
				Type: device.EventBattery, At: t0.Add(time.Duration(i) * time.Second),
				Data: map[string]any{"percent": float64(i % 101)}})
		}
		stored, err := s.RecordActivity(ctx, evs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if stored != want {
			t.Errorf("stored %d, want %d", stored, want)
		}
		got, err := s.ListEvents(ctx, "h1", t0, t0.Add(time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want || got[0].ID != fmt.Sprint("e", n-1) || got[0].Data["percent"] != float64((n-1)%101) {
			t.Errorf("ListEvents: %d events, newest %+v", len(got), got[0])
		}
		for _, e := range got {
			if e.Device != "d1" {
				t.Fatalf("an event of the revoked device was stored: %+v", e)
			}
		}
	})
}

// BenchmarkRecordActivity measures the store alone: batches of 500 events
// from 64 devices, one transaction each, on SQLite.
func BenchmarkRecordActivity(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+b.TempDir()+"/hearth.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := NewDeviceStore(db)
	hh := household.ID("h1")
	err = db.write(ctx, "bench", func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO households (id, name, home_lat, home_lng, time_zone, retention_days, created_at)
			VALUES ('h1', 'Home', 0, 0, 'UTC', 30, 1)`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	var devs []device.ID
	for i := range 64 {
		id := device.ID(fmt.Sprint("d", i))
		if err := s.CreatePairingCode(ctx, testCode(string(id), hh)); err != nil {
			b.Fatal(err)
		}
		if err := s.PairDevice(ctx, []byte(id), &device.Device{ID: id, CredentialHash: []byte(id), PairedAt: t0}); err != nil {
			b.Fatal(err)
		}
		devs = append(devs, id)
	}
	const batch = 500
	b.ResetTimer()
	n := 0
	for b.Loop() {
		evs := make([]*device.Event, batch)
		for i := range evs {
			n++
			evs[i] = &device.Event{ID: fmt.Sprintf("ev_%016x", uint64(n)*0x9e3779b97f4a7c15), Device: devs[n%len(devs)],
				Household: hh, Type: device.EventMotion, At: t0.Add(time.Duration(n) * time.Millisecond),
				Data: map[string]any{"zone": "porch"}}
		}
		if _, err := s.RecordActivity(ctx, evs, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
