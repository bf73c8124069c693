package device

import (
	"context"
	"time"

	"hearth/internal/household"
)

// PairingCode is a one-time code a member creates to pair a new device into
// a household. Only its SHA-256 is stored; the code itself is shown once.
type PairingCode struct {
	Hash      []byte
	Household household.ID
	Kind      Kind
	Name      string // the name the device gets when paired
	CreatedBy string // the member's user id
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until a device pairs with it
	Device    ID        // the device that used it; empty until then
}

// Store persists devices, pairing codes and device events. Every method is
// one transaction. Methods return apperr codes: NotFound when the object
// does not exist, Conflict where stated, Internal for anything else.
type Store interface {
	// CreatePairingCode inserts p. NotFound if the household does not
	// exist; Conflict if the hash is taken.
	CreatePairingCode(ctx context.Context, p *PairingCode) error
	// PairDevice consumes the pairing code with this hash and inserts d,
	// taking its Household, Kind and Name from the code (they are set on d).
	// The code must be unused and expire strictly after d.PairedAt; checking
	// and consuming it is one conditional statement, so of concurrent calls
	// with one code exactly one succeeds. NotFound if there is no usable
	// code (unknown, used or expired alike); Conflict if d.ID or
	// d.CredentialHash is taken.
	PairDevice(ctx context.Context, codeHash []byte, d *Device) error
	// FindDevice returns the device, revoked or not. NotFound if none.
	FindDevice(ctx context.Context, id ID) (*Device, error)
	// ListDevices returns the household's devices, revoked ones included,
	// oldest first (none for an unknown household).
	ListDevices(ctx context.Context, hh household.ID) ([]*Device, error)
	// ListHouseholdsWithDevices returns, once each, the households that
	// have an unrevoked device of one of kinds.
	ListHouseholdsWithDevices(ctx context.Context, kinds []Kind) ([]household.ID, error)
	// RenameDevice sets the device's name. NotFound if none.
	RenameDevice(ctx context.Context, id ID, name string) error
	// RevokeDevice marks the device revoked at t and offline. Revoking
	// twice keeps the first time. NotFound if none.
	RevokeDevice(ctx context.Context, id ID, t time.Time) error
	// SetOnline records whether the device is connected and sets its
	// LastSeenAt to t. NotFound if there is no such device that is not
	// revoked, so a revoked device never shows as online.
	SetOnline(ctx context.Context, id ID, online bool, t time.Time) error
	// RecordActivity stores events and marks each device in seen online
	// with LastSeenAt set to its time (never moving it backwards), all in
	// one transaction. Events and marks for unknown or revoked devices are
	// skipped, so an event racing a revocation is not stored; it returns
	// how many events it stored. Conflict if an event id is taken.
	RecordActivity(ctx context.Context, events []*Event, seen map[ID]time.Time) (stored int, err error)
	// ListEvents returns the household's events with from <= At < to,
	// newest first, at most limit of them.
	ListEvents(ctx context.Context, hh household.ID, from, to time.Time, limit int) ([]*Event, error)
}
