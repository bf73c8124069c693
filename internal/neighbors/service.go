package neighbors

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"filippo.io/age"

	"hearth/internal/access"
	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/notice"
	"hearth/internal/randid"
	"hearth/internal/translog"
	"hearth/internal/vault"
)

// Log entry types this package appends.
const (
	EntryAgencyRegistered translog.EntryType = "agency.registered"
	EntryAgencyVerified   translog.EntryType = "agency.verified"
	EntryRequestPosted    translog.EntryType = "rfa.posted"
	EntryRequestResolved  translog.EntryType = "rfa.resolved"
)

// Log is what the package needs of the transparency log: a durable append.
type Log interface {
	Append(ctx context.Context, e translog.Entry) (uint64, error)
}

// Households is what the package needs of the household domain.
type Households interface {
	MemberRole(ctx context.Context, id household.ID, user identity.UserID) (household.MemberRole, error)
	MemberIDs(ctx context.Context, id household.ID) ([]identity.UserID, error)
	// HomesForIndex and HomeForIndex return precise homes, which never
	// leave the process: the index answers with households only.
	HomesForIndex(ctx context.Context) ([]household.HomeEntry, error)
	HomeForIndex(ctx context.Context, id household.ID) (household.Location, error)
}

// Cameras is what the package needs of the device domain: which
// households have a device that records.
type Cameras interface {
	HasCamera(ctx context.Context, hh household.ID) (bool, error)
	HouseholdsWithCameras(ctx context.Context) ([]household.ID, error)
}

// Notifier tells a person something in the app (and by e-mail).
type Notifier interface {
	Notify(ctx context.Context, user identity.UserID, kind notice.Kind, text string) error
}

// Clips is what the package needs of the vault: submitted clips are the
// resident's own, wrapped by their browser for the agency's key.
type Clips interface {
	Clip(ctx context.Context, user identity.UserID, id vault.ClipID) (*vault.Clip, error)
	Describe(ctx context.Context, id vault.ClipID) (*vault.Clip, error)
	ListWraps(ctx context.Context, user identity.UserID, id vault.ClipID) ([]*vault.Wrap, error)
	RemoveWrap(ctx context.Context, user identity.UserID, id vault.ClipID, recipient string) error
	OpenFor(ctx context.Context, id vault.ClipID, recipient string) (io.ReadCloser, error)
}

// Gate records an agency's read of a resident's clip in the log before
// it happens.
type Gate interface {
	Record(ctx context.Context, r access.Request) (*access.Event, error)
}

// Deps are what a Service works with. All but Clock, Rand and Logger are
// required: the households and the log for agencies and requests; the
// cameras, notifier, clips and gate for fan-out and submissions.
type Deps struct {
	Store      Store
	Log        Log
	Households Households
	Cameras    Cameras
	Notifier   Notifier
	Clips      Clips
	Gate       Gate
	// Logger receives deliveries that failed; discarded when nil.
	Logger *slog.Logger
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of identifiers; crypto/rand when nil.
	Rand io.Reader
}

// Actor is who is acting, with the role their account holds.
type Actor struct {
	ID   identity.UserID
	Role identity.Role
}

// Service holds the rules of agencies and their requests.
type Service struct {
	store      Store
	log        Log
	households Households
	clock      clock.Clock
	rand       io.Reader

	cameras  Cameras
	notifier Notifier
	clips    Clips
	gate     Gate
	logger   *slog.Logger

	reachMu sync.RWMutex
	reach   *reach
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: d.Store, log: d.Log, households: d.Households, clock: d.Clock, rand: d.Rand,
		cameras: d.Cameras, notifier: d.Notifier, clips: d.Clips, gate: d.Gate, logger: d.Logger, reach: newReach()}
}

// publish appends e to the log, durably, before whatever it records
// becomes visible. Unavailable when the log cannot be written.
func (s *Service) publish(ctx context.Context, op string, typ translog.EntryType, at time.Time, body map[string]any) (uint64, error) {
	return translog.AppendEntry(ctx, s.log, op, translog.Entry{Type: typ, Time: at, Body: body},
		"The transparency log cannot be written, so nothing was published. Try again shortly.")
}

// RegisterAgency records a new agency, pending verification, with the
// officer registering it as its first officer. Forbidden unless the actor
// holds the agency-officer role (whose accounts always have two-step
// sign-in); Invalid for a missing or overlong field.
func (s *Service) RegisterAgency(ctx context.Context, officer Actor, n NewAgency) (*Agency, error) {
	const op = "neighbors.RegisterAgency"
	if officer.Role != identity.RoleAgencyOfficer {
		return nil, apperr.E(op, apperr.Forbidden, "Only agency officers register agencies.")
	}
	n, err := n.validate()
	if err != nil {
		return nil, err
	}
	id, err := s.newID("ag")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	a := &Agency{ID: AgencyID(id), Name: n.Name, Jurisdiction: n.Jurisdiction, Kind: n.Kind,
		RegisteredBy: officer.ID, RegisteredAt: s.clock.Now()}
	if _, err := s.publish(ctx, op, EntryAgencyRegistered, a.RegisteredAt, agencyBody(a)); err != nil {
		return nil, err
	}
	if err := s.store.CreateAgency(ctx, a, officer.ID); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return a, nil
}

// VerifyAgency marks an agency verified, after an administrator checked it
// is what it says. Forbidden for anyone but an administrator; NotFound for
// an unknown agency; Conflict if it is verified already.
func (s *Service) VerifyAgency(ctx context.Context, admin Actor, id AgencyID) (*Agency, error) {
	const op = "neighbors.VerifyAgency"
	if admin.Role != identity.RoleAdmin {
		return nil, apperr.E(op, apperr.Forbidden, "Only administrators verify agencies.")
	}
	a, err := s.store.FindAgency(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if a.Verified() {
		return nil, apperr.E(op, apperr.Conflict, "This agency is verified already.")
	}
	a.VerifiedBy, a.VerifiedAt = admin.ID, s.clock.Now()
	if _, err := s.publish(ctx, op, EntryAgencyVerified, a.VerifiedAt, agencyBody(a)); err != nil {
		return nil, err
	}
	if err := s.store.VerifyAgency(ctx, a); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	return a, nil
}

// SetAgencyRecipient sets the age recipient residents' submissions are
// wrapped for. Forbidden unless officer is one of the agency's officers;
// Invalid unless recipient is an age X25519 recipient.
func (s *Service) SetAgencyRecipient(ctx context.Context, officer Actor, id AgencyID, recipient string) error {
	const op = "neighbors.SetAgencyRecipient"
	if err := s.checkOfficer(ctx, op, officer, id); err != nil {
		return err
	}
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil || r.String() != recipient {
		return apperr.E(op, apperr.Invalid, "The agency's key must be an age public key (age1…).")
	}
	return apperr.Wrap(op, s.store.SetAgencyRecipient(ctx, id, recipient))
}

// Agency returns the agency to viewer, if viewer may see it (see
// MaySeeAgency). NotFound if none, and in the same words for one viewer may
// not see: a pending agency's existence is not public.
func (s *Service) Agency(ctx context.Context, viewer Actor, id AgencyID) (*Agency, error) {
	const op = "neighbors.Agency"
	a, err := s.store.FindAgency(ctx, id)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	ok, err := s.MaySeeAgency(ctx, viewer, a)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	if !ok {
		return nil, apperr.E(op, apperr.NotFound, "No such agency.")
	}
	return a, nil
}

// Agencies lists the agencies viewer may see (see MaySeeAgency), verified
// ones first, by name.
func (s *Service) Agencies(ctx context.Context, viewer Actor) ([]*Agency, error) {
	const op = "neighbors.Agencies"
	list, err := s.store.ListAgencies(ctx)
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	out := make([]*Agency, 0, len(list))
	for _, a := range list {
		ok, err := s.MaySeeAgency(ctx, viewer, a)
		if err != nil {
			return nil, apperr.Wrap(op, err)
		}
		if ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// MaySeeAgency reports whether viewer may see the agency: anyone, signed
// in or not (a zero Actor), sees a verified agency, which is public; a
// pending one is seen only by administrators, who verify it, and by its
// own officers. This is the one place that decides it.
func (s *Service) MaySeeAgency(ctx context.Context, viewer Actor, a *Agency) (bool, error) {
	switch {
	case a.Verified() || viewer.Role == identity.RoleAdmin:
		return true, nil
	case viewer.ID == "" || viewer.Role != identity.RoleAgencyOfficer:
		return false, nil
	}
	ok, err := s.store.IsOfficer(ctx, a.ID, viewer.ID)
	return ok, apperr.Wrap("neighbors.MaySeeAgency", err)
}

// OfficerAgencies lists the agencies officer serves; none for an account
// without the agency-officer role.
func (s *Service) OfficerAgencies(ctx context.Context, officer Actor) ([]*Agency, error) {
	if officer.ID == "" || officer.Role != identity.RoleAgencyOfficer {
		return []*Agency{}, nil
	}
	list, err := s.store.ListOfficerAgencies(ctx, officer.ID)
	return list, apperr.Wrap("neighbors.OfficerAgencies", err)
}

// Serves reports whether viewer is one of the agency's officers (an
// account with the agency-officer role that serves it), so that pages offer
// officers' actions only to them. The methods that act check it again.
func (s *Service) Serves(ctx context.Context, viewer Actor, id AgencyID) (bool, error) {
	if viewer.ID == "" || viewer.Role != identity.RoleAgencyOfficer {
		return false, nil
	}
	ok, err := s.store.IsOfficer(ctx, id, viewer.ID)
	return ok, apperr.Wrap("neighbors.Serves", err)
}

// OfficerAgency returns the agency to one of its officers, for the pages
// only they use. Forbidden unless officer serves it, which an unknown
// agency has nobody do.
func (s *Service) OfficerAgency(ctx context.Context, officer Actor, id AgencyID) (*Agency, error) {
	const op = "neighbors.OfficerAgency"
	if err := s.checkOfficer(ctx, op, officer, id); err != nil {
		return nil, err
	}
	a, err := s.store.FindAgency(ctx, id)
	return a, apperr.Wrap(op, err)
}

// PostingAgency returns the agency to one of its officers when it may post
// requests. Forbidden unless officer serves the agency and the agency is
// verified.
func (s *Service) PostingAgency(ctx context.Context, officer Actor, id AgencyID) (*Agency, error) {
	const op = "neighbors.PostingAgency"
	a, err := s.OfficerAgency(ctx, officer, id)
	if err != nil {
		return nil, err
	}
	if !a.Verified() {
		return nil, apperr.E(op, apperr.Forbidden, "The agency must be verified by Hearth's administrators before it posts requests.")
	}
	return a, nil
}

// checkOfficer returns Forbidden unless actor is an officer of the agency.
func (s *Service) checkOfficer(ctx context.Context, op string, actor Actor, id AgencyID) error {
	if actor.Role != identity.RoleAgencyOfficer {
		return apperr.E(op, apperr.Forbidden, "Only the agency's officers may do this.")
	}
	ok, err := s.store.IsOfficer(ctx, id, actor.ID)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	if !ok {
		return apperr.E(op, apperr.Forbidden, "Only the agency's officers may do this.")
	}
	return nil
}

func agencyBody(a *Agency) map[string]any {
	b := map[string]any{"agency": string(a.ID), "name": a.Name, "jurisdiction": a.Jurisdiction, "kind": string(a.Kind)}
	if a.Verified() {
		b["verified_at"] = a.VerifiedAt.UTC().Format(time.RFC3339)
	}
	return b
}

func (s *Service) newID(prefix string) (string, error) { return randid.New(s.rand, prefix) }
