package device

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/randid"
	"hearth/internal/text"
)

// Membership is what device needs of households. household.Service
// implements it.
type Membership interface {
	// MemberRole returns the user's role in the household. NotFound if the
	// user is not a member (or there is no such household).
	MemberRole(ctx context.Context, id household.ID, user identity.UserID) (household.MemberRole, error)
}

// Rules of pairing and of the timeline.
const (
	PairingCodeLen   = 8                // characters of a pairing code
	PairingCodeTTL   = 10 * time.Minute // how long a pairing code works
	MaxNameLen       = 64               // characters in a device name
	DefaultEventPage = 100              // events returned when no limit is given
	MaxEventPage     = 1000             // the most events one call returns
)

// Messages safe to show. Unknown, used and expired pairing codes share one,
// as do every reason a device's credentials are refused: the answer must not
// tell a guesser which part was right.
const (
	msgNoDevice    = "No such device."
	msgNoHousehold = "No such household."
	msgBadCode     = "This pairing code is not valid. Codes work once, for 10 minutes."
	msgBadDevice   = "Unknown device or wrong credential."
	msgRevoked     = "This device has been removed from its household."
	msgNoGateway   = "Devices cannot be reached right now."
)

// Service holds the rules for devices: who may see and control them, how
// they pair and authenticate, and what they may report. Web, CLI and the
// MQTT gateway all go through it.
type Service struct {
	store   Store
	members Membership
	clock   clock.Clock
	rand    io.Reader

	gateway Gateway // nil: commands are Unavailable

	mu        sync.RWMutex
	observers []CameraObserver
}

// Deps are what a Service works with. Store and Members are required.
type Deps struct {
	Store   Store
	Members Membership
	// Gateway delivers commands and drops revoked devices' connections.
	// The MQTT gateway needs the Service to authenticate devices, so it
	// is built after it: pass a Relay here and attach the gateway to it
	// once built. Without a gateway SendCommand is Unavailable.
	Gateway Gateway
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of every id, code and credential the service
	// makes; crypto/rand when nil.
	Rand io.Reader
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	return &Service{store: d.Store, members: d.Members, gateway: d.Gateway, clock: d.Clock, rand: d.Rand}
}

// checkMember returns NotFound unless user is a member of hh. NotFound
// rather than Forbidden, so that a household's existence is not revealed.
func (s *Service) checkMember(ctx context.Context, op string, user identity.UserID, hh household.ID) error {
	_, err := s.members.MemberRole(ctx, hh, user)
	if apperr.Is(err, apperr.NotFound) {
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNoHousehold, Err: err}
	}
	return apperr.Wrap(op, err)
}

// StartPairing creates a one-time pairing code for a new device of kind
// in household hh, to be typed into (or scanned by) the device. The code is
// PairingCodeLen characters from an alphabet without look-alikes (no 0/O,
// 1/L) and works once, for PairingCodeTTL. Returns NotFound unless user is
// a member of hh, Invalid for an unknown kind or a bad name.
func (s *Service) StartPairing(ctx context.Context, user identity.UserID, hh household.ID, kind Kind, name string) (code string, expires time.Time, err error) {
	const op = "device.StartPairing"
	if err := s.checkMember(ctx, op, user, hh); err != nil {
		return "", time.Time{}, err
	}
	if !kind.Valid() {
		return "", time.Time{}, apperr.E(op, apperr.Invalid, fmt.Sprintf("Unknown device kind %q.", kind))
	}
	name, err = cleanName(op, name)
	if err != nil {
		return "", time.Time{}, err
	}
	b := make([]byte, 5) // 40 bits: 8 characters of 5 bits
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", time.Time{}, apperr.Wrap(op, err)
	}
	code = codeAlphabet.EncodeToString(b)
	now := s.clock.Now()
	p := &PairingCode{
		Hash:      hashCode(code),
		Household: hh,
		Kind:      kind,
		Name:      name,
		CreatedBy: string(user),
		CreatedAt: now,
		ExpiresAt: now.Add(PairingCodeTTL),
	}
	if err := s.store.CreatePairingCode(ctx, p); err != nil {
		return "", time.Time{}, apperr.Wrap(op, err)
	}
	return code, p.ExpiresAt, nil
}

// Pair turns a pairing code into a device with its own credential. The
// secret is returned once and only its SHA-256 is kept. Case, spaces and
// dashes in the code are ignored. Returns NotFound, with one message, for
// an unknown, used or expired code; of concurrent calls with one code,
// exactly one succeeds.
func (s *Service) Pair(ctx context.Context, code string) (*Device, string, error) {
	const op = "device.Pair"
	code = normalizeCode(code)
	if len(code) != PairingCodeLen {
		return nil, "", apperr.E(op, apperr.NotFound, msgBadCode)
	}
	id, err := s.newID("d")
	if err != nil {
		return nil, "", apperr.Wrap(op, err)
	}
	secret, err := s.newSecret()
	if err != nil {
		return nil, "", apperr.Wrap(op, err)
	}
	d := &Device{ID: ID(id), CredentialHash: hashSecret(secret), PairedAt: s.clock.Now()}
	if err := s.store.PairDevice(ctx, hashCode(code), d); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil, "", &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgBadCode, Err: err}
		}
		return nil, "", apperr.Wrap(op, err)
	}
	s.camerasChanged(ctx, d.Household)
	return d, secret, nil
}

// Authenticate checks a device's credential. Unauthenticated, with one
// message, for an unknown id, a wrong secret or a revoked device.
func (s *Service) Authenticate(ctx context.Context, id ID, secret string) (*Device, error) {
	const op = "device.Authenticate"
	given := hashSecret(secret)
	d, err := s.store.FindDevice(ctx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, &apperr.Error{Op: op, Code: apperr.Unauthenticated, Message: msgBadDevice, Err: err}
	}
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if subtle.ConstantTimeCompare(given, d.CredentialHash) != 1 || !d.RevokedAt.IsZero() {
		return nil, apperr.E(op, apperr.Unauthenticated, msgBadDevice)
	}
	return d, nil
}

// Active returns the device if it exists and is not revoked; NotFound
// otherwise. It checks no user: it is for a gateway whose broker has
// already authenticated the device (an external broker).
func (s *Service) Active(ctx context.Context, id ID) (*Device, error) {
	const op = "device.Active"
	d, err := s.store.FindDevice(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if !d.RevokedAt.IsZero() {
		return nil, apperr.E(op, apperr.NotFound, msgNoDevice)
	}
	return d, nil
}

// List returns the household's devices, revoked ones included, oldest
// first. NotFound unless user is a member.
func (s *Service) List(ctx context.Context, user identity.UserID, hh household.ID) ([]*Device, error) {
	const op = "device.List"
	if err := s.checkMember(ctx, op, user, hh); err != nil {
		return nil, err
	}
	ds, err := s.store.ListDevices(ctx, hh)
	return ds, apperr.Wrap(op, err)
}

// Get returns the device. NotFound unless it exists and user is a member of
// its household; the two cases give the same answer.
func (s *Service) Get(ctx context.Context, user identity.UserID, id ID) (*Device, error) {
	return s.get(ctx, "device.Get", user, id)
}

func (s *Service) get(ctx context.Context, op string, user identity.UserID, id ID) (*Device, error) {
	d, err := s.store.FindDevice(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if _, err := s.members.MemberRole(ctx, d.Household, user); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil, &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNoDevice, Err: err}
		}
		return nil, apperr.Wrap(op, err)
	}
	return d, nil
}

// Rename sets the device's name. NotFound as for Get; Invalid for a bad name.
func (s *Service) Rename(ctx context.Context, user identity.UserID, id ID, name string) error {
	const op = "device.Rename"
	name, err := cleanName(op, name)
	if err != nil {
		return err
	}
	if _, err := s.get(ctx, op, user, id); err != nil {
		return err
	}
	return apperr.Wrap(op, s.store.RenameDevice(ctx, id, name))
}

// Revoke removes the device's credential: Authenticate refuses it from
// now on and every registered gateway drops its connection. The device
// stays listed, marked revoked, with its events. NotFound as for Get.
func (s *Service) Revoke(ctx context.Context, user identity.UserID, id ID) error {
	const op = "device.Revoke"
	d, err := s.get(ctx, op, user, id)
	if err != nil {
		return err
	}
	if err := s.store.RevokeDevice(ctx, id, s.clock.Now()); err != nil {
		return apperr.Wrap(op, err)
	}
	s.camerasChanged(ctx, d.Household)
	if s.gateway != nil {
		s.gateway.DisconnectDevice(id)
	}
	return nil
}

// SetOnline records that the device connected (true) or disconnected
// (false) now. NotFound for an unknown or revoked device.
func (s *Service) SetOnline(ctx context.Context, id ID, online bool) error {
	return apperr.Wrap("device.SetOnline", s.store.SetOnline(ctx, id, online, s.clock.Now()))
}

// NewEvent checks what dev reported and returns it as an Event with a
// fresh id and dev's household. A zero at means "now"; an event dated more
// than MaxSkew ahead is refused. Invalid, with a safe message, for an
// unknown type or data that does not fit the type.
func (s *Service) NewEvent(dev *Device, typ EventType, at time.Time, data map[string]any) (*Event, error) {
	const op = "device.NewEvent"
	if msg := ValidateData(typ, data); msg != "" {
		return nil, apperr.E(op, apperr.Invalid, msg)
	}
	now := s.clock.Now()
	if at.IsZero() {
		at = now
	}
	if at.After(now.Add(MaxSkew)) {
		return nil, apperr.E(op, apperr.Invalid, "The event is dated in the future; check the device's clock.")
	}
	id, err := s.newID("ev")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return &Event{ID: id, Device: dev.ID, Household: dev.Household, Type: typ, At: at.UTC(), Data: data}, nil
}

// RecordEvent checks and stores one event from dev; see NewEvent and
// RecordEvents. Unauthenticated if dev is revoked or gone.
func (s *Service) RecordEvent(ctx context.Context, dev *Device, e Event) error {
	const op = "device.RecordEvent"
	ev, err := s.NewEvent(dev, e.Type, e.At, e.Data)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	n, err := s.RecordEvents(ctx, []*Event{ev})
	if err != nil {
		return apperr.Wrap(op, err)
	}
	if n == 0 && ev.Type != EventHeartbeat {
		return apperr.E(op, apperr.Unauthenticated, msgRevoked)
	}
	return nil
}

// RecordEvents stores events made by NewEvent in one transaction, which is
// what lets a gateway keep up with many devices. A heartbeat is not stored
// as an event: it only marks its device online and seen now, because a
// device sends one every minute or so and the timeline has no use for
// them. Events of devices revoked meanwhile are dropped; it returns how
// many events were stored. Invalid, storing nothing, if any event does not
// check (a caller that skipped NewEvent).
func (s *Service) RecordEvents(ctx context.Context, events []*Event) (stored int, err error) {
	const op = "device.RecordEvents"
	now := s.clock.Now()
	var keep []*Event
	var seen map[ID]time.Time
	for _, e := range events {
		if msg := ValidateData(e.Type, e.Data); msg != "" || e.ID == "" || e.Device == "" || e.Household == "" || e.At.IsZero() {
			return 0, apperr.E(op, apperr.Invalid, "The event is incomplete or invalid.")
		}
		if e.Type == EventHeartbeat {
			if seen == nil {
				seen = map[ID]time.Time{}
			}
			seen[e.Device] = now
			continue
		}
		keep = append(keep, e)
	}
	n, err := s.store.RecordActivity(ctx, keep, seen)
	return n, apperr.Wrap(op, err)
}

// Events returns the household's events with from <= At < to, newest
// first: the timeline. A limit <= 0 means DefaultEventPage; more than
// MaxEventPage is cut to it. NotFound unless user is a member; Invalid if
// to is not after from.
func (s *Service) Events(ctx context.Context, user identity.UserID, hh household.ID, from, to time.Time, limit int) ([]*Event, error) {
	const op = "device.Events"
	if err := s.checkMember(ctx, op, user, hh); err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, apperr.E(op, apperr.Invalid, "The end of the period must be after its start.")
	}
	switch {
	case limit <= 0:
		limit = DefaultEventPage
	case limit > MaxEventPage:
		limit = MaxEventPage
	}
	evs, err := s.store.ListEvents(ctx, hh, from, to, limit)
	return evs, apperr.Wrap(op, err)
}

// Recent returns the household's events of the last d, newest first: the
// timeline's default view. Errors as for Events.
func (s *Service) Recent(ctx context.Context, user identity.UserID, hh household.ID, d time.Duration, limit int) ([]*Event, error) {
	now := s.clock.Now()
	return s.Events(ctx, user, hh, now.Add(-d), now.Add(time.Second), limit)
}

// SendCommand sends cmd to the device through the gateway. NotFound as for
// Get; Invalid for an unknown command or bad arguments; Conflict for a
// revoked device; Unavailable when no gateway is running or it cannot take
// the command.
func (s *Service) SendCommand(ctx context.Context, user identity.UserID, id ID, cmd Command) error {
	const op = "device.SendCommand"
	d, err := s.get(ctx, op, user, id)
	if err != nil {
		return err
	}
	if msg := cmd.Valid(); msg != "" {
		return apperr.E(op, apperr.Invalid, msg)
	}
	if !d.RevokedAt.IsZero() {
		return apperr.E(op, apperr.Conflict, msgRevoked)
	}
	if s.gateway == nil {
		return apperr.E(op, apperr.Unavailable, msgNoGateway)
	}
	if err := s.gateway.PublishCommand(ctx, id, cmd); err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return &apperr.Error{Op: op, Code: apperr.Unavailable, Message: msgNoGateway, Err: err}
		}
		return apperr.Wrap(op, err)
	}
	return nil
}

func cleanName(op, name string) (string, error) {
	name, err := text.Field{Name: "the device's name", Max: MaxNameLen, Required: true}.Check(name)
	return name, apperr.Wrap(op, err)
}

// codeAlphabet leaves out 0, 1, L and O, which people misread for each
// other when copying a code from a screen.
var codeAlphabet = base32.NewEncoding("ABCDEFGHIJKMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// normalizeCode upper-cases a typed code and drops spaces and dashes.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - ('a' - 'A')
		}
		return r
	}, s)
}

// hashCode hashes a normalized pairing code. A code lives 10 minutes and
// works once, so a fast hash is enough; guessing is bounded by throttling
// whatever transport takes codes.
func hashCode(code string) []byte {
	h := sha256.Sum256([]byte("hearth-pairing-code:" + code))
	return h[:]
}

// hashSecret hashes a device credential. Credentials are 256 random bits:
// there is no dictionary to try, so a fast hash is enough.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

func (s *Service) newID(prefix string) (string, error) { return randid.New(s.rand, prefix) }

// newSecret returns a 256-bit device credential with a recognisable
// prefix, so a leaked one is easy to spot in logs and code.
func (s *Service) newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return "hdc_" + randid.Encoding.EncodeToString(b), nil
}
