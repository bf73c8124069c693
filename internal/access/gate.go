package access

import (
	"context"
	"io"
	"strings"

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/randid"
	"hearth/internal/translog"
)

// Request describes one read of someone's data by someone else.
type Request struct {
	Actor      Actor
	Subject    Subject
	Object     ObjectKind
	Purpose    Purpose
	LegalBasis LegalBasis
	Grant      GrantID // the grant the read is made under, if any
}

func (r Request) validate() error {
	const op = "access.Request"
	switch {
	case r.Actor.ID == "" || !r.Actor.Role.Valid():
		return apperr.E(op, apperr.Invalid, "A gated read needs an actor with a role.")
	case !strings.Contains(string(r.Subject), ":"):
		return apperr.E(op, apperr.Invalid, "A gated read needs a subject.")
	case r.Object == "" || r.Purpose == "" || r.LegalBasis == "":
		return apperr.E(op, apperr.Invalid, "A gated read needs an object, a purpose and a legal basis.")
	}
	return nil
}

// Gate records reads of personal data in the transparency log before they
// happen. It is the only way anyone but the owner reads personal data.
type Gate struct {
	log   Log
	store Store
	names *Pseudonyms
	clock clock.Clock
	rand  io.Reader
}

// GateDeps are what a Gate works with. Log, Store and Pseudonyms are
// required: the gate depends on nothing else, so it is built before the
// services whose reads it records.
type GateDeps struct {
	Log        Log
	Store      Store
	Pseudonyms *Pseudonyms
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of ids; crypto/rand when nil.
	Rand io.Reader
}

// NewGate returns a Gate.
func NewGate(d GateDeps) *Gate {
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	return &Gate{log: d.Log, store: d.Store, names: d.Pseudonyms, clock: d.Clock, rand: d.Rand}
}

// Record appends the read to the log, durably, then keeps it for the
// subject's history. An error means the read must not happen: Invalid for an
// incomplete request, Unavailable when the log cannot be written.
func (g *Gate) Record(ctx context.Context, r Request) (*Event, error) {
	const op = "access.Gate.Record"
	if err := r.validate(); err != nil {
		return nil, err
	}
	ev := &Event{
		Subject: r.Subject, Actor: g.names.Actor(r.Actor), ActorRole: r.Actor.Role,
		Object: r.Object, Purpose: r.Purpose, LegalBasis: r.LegalBasis, Grant: r.Grant,
		Time: g.clock.Now(),
	}
	body := map[string]any{
		"actor": ev.Actor, "actor_role": string(ev.ActorRole), "subject": g.names.Commitment(r.Subject),
		"object": string(r.Object), "purpose": string(r.Purpose), "legal_basis": string(r.LegalBasis),
	}
	if r.Grant != "" {
		body["grant"] = string(r.Grant)
	}
	idx, err := translog.AppendEntry(ctx, g.log, op, translog.Entry{Type: EntryRead, Time: ev.Time, Body: body},
		"The transparency log cannot be written, so the data cannot be read.")
	if err != nil {
		return nil, err
	}
	ev.LogIndex = idx
	if ev.ID, err = newID(g.rand, "ae"); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if err := g.store.CreateEvent(ctx, ev); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return ev, nil
}

// Read runs fetch only after the read has been recorded in the log; if the
// log cannot be written, it returns the error and no data.
func Read[T any](ctx context.Context, g *Gate, r Request, fetch func(context.Context) (T, error)) (T, error) {
	var zero T
	if _, err := g.Record(ctx, r); err != nil {
		return zero, err
	}
	v, err := fetch(ctx)
	if err != nil {
		return zero, apperr.Wrap("access.Read", err)
	}
	return v, nil
}

func newID(rnd io.Reader, prefix string) (string, error) { return randid.New(rnd, prefix) }
