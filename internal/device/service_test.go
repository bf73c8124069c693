package device_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/testkit"
)

// fixture is the device service of a test kit: real households, members
// and devices made through the services.
type fixture struct {
	kit   *testkit.Kit
	svc   *device.Service
	clock *clock.Fake
	relay *device.Relay
}

// forEach runs body once per available database, each with a fixture of
// its own.
func forEach(t *testing.T, body func(t *testing.T, f *fixture)) {
	t.Helper()
	testkit.ForEach(t, testkit.Options{Now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}, func(t *testing.T, k *testkit.Kit) {
		body(t, &fixture{kit: k, svc: k.Devices, clock: k.Clock, relay: k.Relay})
	})
}

// home makes a resident who owns a household of their own.
func (f *fixture) home(t *testing.T) (identity.UserID, household.ID) {
	t.Helper()
	u, hh := f.kit.Home(t, 48.85, 2.35)
	return u, hh.ID
}

// member makes a new resident a member of hh, invited by its owner.
func (f *fixture) member(t *testing.T, owner identity.UserID, hh household.ID) identity.UserID {
	t.Helper()
	u := f.kit.User(t, "", identity.RoleResident)
	f.kit.Member(t, owner, hh, u)
	return u
}

// pair pairs a motion sensor into hh on behalf of user.
func (f *fixture) pair(t *testing.T, user identity.UserID, hh household.ID) (*device.Device, string) {
	t.Helper()
	return f.kit.Device(t, user, hh, device.KindMotionSensor, "Hall")
}

func TestMain(m *testing.M) { testkit.Main(m) }

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func TestPairing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		u1, h1 := f.home(t)

		code, expires, err := f.svc.StartPairing(ctx, u1, h1, device.KindCamera, "  Porch  ")
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != device.PairingCodeLen || strings.ContainsAny(code, "01LO") || strings.ToUpper(code) != code {
			t.Errorf("code %q: want %d upper-case characters without 0, 1, L, O", code, device.PairingCodeLen)
		}
		if want := f.clock.Now().Add(10 * time.Minute); !expires.Equal(want) {
			t.Errorf("expires %v, want %v", expires, want)
		}
		// Typed in lower case with a separator, as people do.
		d, secret, err := f.svc.Pair(ctx, strings.ToLower(code[:4])+"-"+code[4:])
		if err != nil {
			t.Fatalf("Pair: %v", err)
		}
		if d.Household != h1 || d.Kind != device.KindCamera || d.Name != "Porch" || !strings.HasPrefix(string(d.ID), "d_") {
			t.Errorf("paired device %+v", d)
		}
		if len(secret) < 50 || strings.Contains(string(d.CredentialHash), secret) {
			t.Errorf("secret %q looks weak or is stored as is", secret)
		}
		if _, err := f.svc.Authenticate(ctx, d.ID, secret); err != nil {
			t.Errorf("Authenticate with the new credential: %v", err)
		}

		_, _, err = f.svc.Pair(ctx, code)
		wantCode(t, "Pair with a used code", err, apperr.NotFound)
		usedMsg := apperr.MessageOf(err)
		_, _, err = f.svc.Pair(ctx, "ABCDEFGH")
		wantCode(t, "Pair with an unknown code", err, apperr.NotFound)
		if apperr.MessageOf(err) != usedMsg {
			t.Errorf("unknown and used codes answer differently: %q vs %q", apperr.MessageOf(err), usedMsg)
		}

		t.Run("Expired", func(t *testing.T) {
			code, _, err := f.svc.StartPairing(ctx, u1, h1, device.KindDoorbell, "Door")
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(10 * time.Minute)
			_, _, err = f.svc.Pair(ctx, code)
			wantCode(t, "Pair after 10 minutes", err, apperr.NotFound)
			if apperr.MessageOf(err) != usedMsg {
				t.Errorf("expired and used codes answer differently")
			}
		})
		t.Run("JustInTime", func(t *testing.T) {
			code, _, err := f.svc.StartPairing(ctx, u1, h1, device.KindDoorbell, "Door")
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(10*time.Minute - time.Second)
			if _, _, err := f.svc.Pair(ctx, code); err != nil {
				t.Errorf("Pair 1 s before expiry: %v", err)
			}
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			for _, tc := range []struct {
				kind device.Kind
				name string
			}{{"toaster", "x"}, {device.KindCamera, " "}, {device.KindCamera, strings.Repeat("é", 65)}} {
				_, _, err := f.svc.StartPairing(ctx, u1, h1, tc.kind, tc.name)
				wantCode(t, fmt.Sprintf("StartPairing(%q, %q)", tc.kind, tc.name), err, apperr.Invalid)
			}
		})
		t.Run("ErrNotMember", func(t *testing.T) {
			u2, _ := f.home(t)
			_, _, err := f.svc.StartPairing(ctx, u2, h1, device.KindCamera, "Spy")
			wantCode(t, "StartPairing by a non-member", err, apperr.NotFound)
			_, _, err = f.svc.StartPairing(ctx, u1, "nope", device.KindCamera, "x")
			wantCode(t, "StartPairing for an unknown household", err, apperr.NotFound)
		})
	})
}

func TestPairConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		u1, h1 := f.home(t)
		code, _, err := f.svc.StartPairing(ctx, u1, h1, device.KindCamera, "Porch")
		if err != nil {
			t.Fatal(err)
		}
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, _, errs[i] = f.svc.Pair(ctx, code) })
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if !apperr.Is(err, apperr.NotFound) {
				t.Errorf("Pair: %v, want NotFound for the losers", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent Pair calls won, want 1", won, n)
		}
		if list, _ := f.svc.List(ctx, u1, h1); len(list) != 1 {
			t.Errorf("%d devices after concurrent pairing, want 1", len(list))
		}
	})
}

type recorder struct {
	mu           sync.Mutex
	disconnected []device.ID
	commands     []device.Command
	err          error
}

func (r *recorder) DisconnectDevice(id device.ID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disconnected = append(r.disconnected, id)
}

func (r *recorder) PublishCommand(_ context.Context, _ device.ID, c device.Command) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commands = append(r.commands, c)
	return r.err
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		u1, h1 := f.home(t)
		rec := &recorder{}
		f.relay.Attach(rec)
		d, secret := f.pair(t, u1, h1)
		other, otherSecret := f.pair(t, u1, h1)

		if _, err := f.svc.Authenticate(ctx, d.ID, secret); err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if err := f.svc.Revoke(ctx, u1, other.ID); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]device.ID{other.ID}, rec.disconnected); diff != "" {
			t.Errorf("Revoke did not disconnect the device (-want +got):\n%s", diff)
		}
		var msgs []string
		for name, tc := range map[string]struct {
			id     device.ID
			secret string
		}{
			"WrongSecret":   {d.ID, otherSecret},
			"UnknownDevice": {"d_nope", secret},
			"Revoked":       {other.ID, otherSecret},
			"Empty":         {d.ID, ""},
		} {
			_, err := f.svc.Authenticate(ctx, tc.id, tc.secret)
			wantCode(t, name, err, apperr.Unauthenticated)
			msgs = append(msgs, apperr.MessageOf(err))
		}
		for _, m := range msgs[1:] {
			if m != msgs[0] {
				t.Errorf("refusals answer differently: %q", msgs)
				break
			}
		}
		if d, err := f.svc.Get(ctx, u1, other.ID); err != nil || d.RevokedAt.IsZero() {
			t.Errorf("a revoked device should stay listed, marked revoked: %v, %v", d, err)
		}
	})
}

// TestOtherHousehold checks that a member of one household learns nothing
// of another's devices: every call answers as for a device that does not exist.
func TestOtherHousehold(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		alice, h1 := f.home(t)
		mallory, _ := f.home(t)
		d, _ := f.pair(t, alice, h1)
		rec := &recorder{}
		f.relay.Attach(rec)

		_, errMissing := f.svc.Get(ctx, mallory, "d_missing")
		wantCode(t, "Get(missing)", errMissing, apperr.NotFound)
		check := func(name string, err error) {
			t.Helper()
			wantCode(t, name, err, apperr.NotFound)
			if apperr.MessageOf(err) != apperr.MessageOf(errMissing) && !strings.Contains(name, "household") {
				t.Errorf("%s: message %q differs from a missing device's %q", name, apperr.MessageOf(err), apperr.MessageOf(errMissing))
			}
		}
		_, err := f.svc.Get(ctx, mallory, d.ID)
		check("Get", err)
		check("Rename", f.svc.Rename(ctx, mallory, d.ID, "pwned"))
		check("Revoke", f.svc.Revoke(ctx, mallory, d.ID))
		check("SendCommand", f.svc.SendCommand(ctx, mallory, d.ID, device.Command{Name: device.CommandReboot}))
		_, err = f.svc.List(ctx, mallory, h1)
		check("List household", err)
		_, err = f.svc.Events(ctx, mallory, h1, time.Time{}, f.clock.Now(), 10)
		check("Events household", err)

		if len(rec.commands) != 0 {
			t.Errorf("a command reached the device: %v", rec.commands)
		}
		if got, err := f.svc.Get(ctx, alice, d.ID); err != nil || got.Name != "Hall" || !got.RevokedAt.IsZero() {
			t.Errorf("the device changed: %+v, %v", got, err)
		}
	})
}

func TestRename(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		u1, h1 := f.home(t)
		u2 := f.member(t, u1, h1)
		d, _ := f.pair(t, u1, h1)
		if err := f.svc.Rename(ctx, u2, d.ID, " Kitchen "); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "Rename to empty", f.svc.Rename(ctx, u2, d.ID, ""), apperr.Invalid)
		if got, _ := f.svc.Get(ctx, u1, d.ID); got == nil || got.Name != "Kitchen" {
			t.Errorf("after Rename: %+v", got)
		}
	})
}

func TestRecordEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		u1, h1 := f.home(t)
		d, _ := f.pair(t, u1, h1)
		now := f.clock.Now()

		for _, tc := range []struct {
			name string
			typ  device.EventType
			data map[string]any
			ok   bool
		}{
			{"Motion", device.EventMotion, nil, true},
			{"MotionZone", device.EventMotion, map[string]any{"zone": "porch"}, true},
			{"MotionLongZone", device.EventMotion, map[string]any{"zone": strings.Repeat("z", 65)}, false},
			{"MotionZoneNumber", device.EventMotion, map[string]any{"zone": 3.0}, false},
			{"Ding", device.EventDing, map[string]any{}, true},
			{"DingExtra", device.EventDing, map[string]any{"x": 1.0}, false},
			{"ContactOpen", device.EventContact, map[string]any{"open": true}, true},
			{"ContactMissing", device.EventContact, nil, false},
			{"ContactString", device.EventContact, map[string]any{"open": "yes"}, false},
			{"Alarm", device.EventAlarm, map[string]any{"state": "triggered"}, true},
			{"AlarmBadState", device.EventAlarm, map[string]any{"state": "party"}, false},
			{"Battery", device.EventBattery, map[string]any{"percent": 100.0}, true},
			{"BatteryOver", device.EventBattery, map[string]any{"percent": 101.0}, false},
			{"BatteryFraction", device.EventBattery, map[string]any{"percent": 50.5}, false},
			{"Unknown", "smoke", nil, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := f.svc.RecordEvent(ctx, d, device.Event{Type: tc.typ, At: now, Data: tc.data})
				if tc.ok && err != nil {
					t.Errorf("RecordEvent: %v", err)
				}
				if !tc.ok {
					wantCode(t, "RecordEvent", err, apperr.Invalid)
				}
			})
		}
		err := f.svc.RecordEvent(ctx, d, device.Event{Type: device.EventMotion, At: now.Add(6 * time.Minute)})
		wantCode(t, "an event from the future", err, apperr.Invalid)

		evs, err := f.svc.Events(ctx, u1, h1, now.Add(-time.Hour), now.Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 6 {
			t.Errorf("%d events stored, want the 6 valid ones", len(evs))
		}
		for _, e := range evs {
			if e.Device != d.ID || e.Household != h1 || !strings.HasPrefix(e.ID, "ev_") {
				t.Errorf("stored event %+v", e)
			}
		}
		_, err = f.svc.Events(ctx, u1, h1, now, now, 10)
		wantCode(t, "Events over an empty period", err, apperr.Invalid)

		t.Run("Heartbeat", func(t *testing.T) {
			f.clock.Advance(time.Minute)
			if err := f.svc.RecordEvent(ctx, d, device.Event{Type: device.EventHeartbeat}); err != nil {
				t.Fatal(err)
			}
			got, _ := f.svc.Get(ctx, u1, d.ID)
			if got == nil || !got.Online || !got.LastSeenAt.Equal(f.clock.Now()) {
				t.Errorf("after a heartbeat: %+v", got)
			}
			after, _ := f.svc.Events(ctx, u1, h1, now.Add(-time.Hour), now.Add(time.Hour), 0)
			if len(after) != len(evs) {
				t.Errorf("a heartbeat was stored as an event")
			}
			if err := f.svc.SetOnline(ctx, d.ID, false); err != nil {
				t.Fatal(err)
			}
			if got, _ := f.svc.Get(ctx, u1, d.ID); got == nil || got.Online {
				t.Errorf("after SetOnline(false): %+v", got)
			}
		})
		t.Run("Revoked", func(t *testing.T) {
			if err := f.svc.Revoke(ctx, u1, d.ID); err != nil {
				t.Fatal(err)
			}
			err := f.svc.RecordEvent(ctx, d, device.Event{Type: device.EventMotion})
			wantCode(t, "RecordEvent from a revoked device", err, apperr.Unauthenticated)
			wantCode(t, "SetOnline of a revoked device", f.svc.SetOnline(ctx, d.ID, true), apperr.NotFound)
		})
	})
}

func TestEventsNewestFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		u1, h1 := f.home(t)
		d, _ := f.pair(t, u1, h1)
		start := f.clock.Now()
		for i := range 5 {
			if err := f.svc.RecordEvent(ctx, d, device.Event{Type: device.EventBattery, At: start.Add(time.Duration(i) * time.Second),
				Data: map[string]any{"percent": float64(90 - i)}}); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := f.svc.Events(ctx, u1, h1, start, start.Add(time.Hour), 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []any
		for _, e := range evs {
			got = append(got, e.Data["percent"])
		}
		if diff := cmp.Diff([]any{86.0, 87.0, 88.0}, got); diff != "" {
			t.Errorf("Events (-want +got):\n%s", diff)
		}
	})
}

func TestSendCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forEach(t, func(t *testing.T, f *fixture) {
		u1, h1 := f.home(t)
		d, _ := f.pair(t, u1, h1)

		err := f.svc.SendCommand(ctx, u1, d.ID, device.Command{Name: device.CommandReboot})
		wantCode(t, "SendCommand without a gateway", err, apperr.Unavailable)

		rec := &recorder{}
		f.relay.Attach(rec)
		for _, tc := range []struct {
			name string
			cmd  device.Command
			code apperr.Code
		}{
			{"OK", device.Command{Name: device.CommandRecord, Args: map[string]any{"seconds": 30.0}}, ""},
			{"SirenOn", device.Command{Name: device.CommandSiren, Args: map[string]any{"on": true}}, ""},
			{"Reboot", device.Command{Name: device.CommandReboot}, ""},
			{"ErrUnknown", device.Command{Name: "self_destruct"}, apperr.Invalid},
			{"ErrRecordTooLong", device.Command{Name: device.CommandRecord, Args: map[string]any{"seconds": 301.0}}, apperr.Invalid},
			{"ErrRecordNoSeconds", device.Command{Name: device.CommandRecord}, apperr.Invalid},
			{"ErrExtraArg", device.Command{Name: device.CommandReboot, Args: map[string]any{"now": true}}, apperr.Invalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCode(t, "SendCommand", f.svc.SendCommand(ctx, u1, d.ID, tc.cmd), tc.code)
			})
		}
		if len(rec.commands) != 3 {
			t.Errorf("%d commands published, want 3", len(rec.commands))
		}
		rec.err = errors.New("broker down")
		wantCode(t, "SendCommand with the broker down", f.svc.SendCommand(ctx, u1, d.ID, device.Command{Name: device.CommandReboot}), apperr.Unavailable)
		rec.err = nil
		if err := f.svc.Revoke(ctx, u1, d.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "SendCommand to a revoked device", f.svc.SendCommand(ctx, u1, d.ID, device.Command{Name: device.CommandReboot}), apperr.Conflict)
	})
}
