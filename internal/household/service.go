package household

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones validate the same on every host, with or without a zoneinfo directory

	"hearth/internal/apperr"
	"hearth/internal/clock"
	"hearth/internal/identity"
	"hearth/internal/randid"
	"hearth/internal/text"
)

// msgNoHousehold answers both "there is no such household" and "you are not
// one of its members", so that outsiders cannot learn which households exist.
const msgNoHousehold = "No such household."

// Service holds the rules of households: who may see and change one, how
// people join and leave, and what anyone outside may learn of its home.
// Web pages, the JSON API, the CLI and other domains all go through it.
type Service struct {
	store     Store
	clock     clock.Clock
	rand      io.Reader
	observers observers
}

// Deps are what a Service works with. Store is required.
type Deps struct {
	Store Store
	// Clock is clock.Real when nil.
	Clock clock.Clock
	// Rand is the source of identifiers and invitation tokens;
	// crypto/rand when nil.
	Rand io.Reader
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	d.Clock, d.Rand = clock.OrReal(d.Clock), randid.Source(d.Rand)
	return &Service{store: d.Store, clock: d.Clock, rand: d.Rand}
}

// NewHousehold holds the settings of a household, as entered by its owner.
type NewHousehold struct {
	Name          string
	Address       string
	Home          Location
	TimeZone      string // IANA name, e.g. "Europe/Paris"
	RetentionDays int    // one of RetentionDays
}

// The rules for a household's name and address, which members and
// invitees read.
var (
	nameField    = text.Field{Name: "the household's name", Max: MaxNameLength, Required: true}
	addressField = text.Field{Name: "the address", Max: MaxAddressLength}
)

// Validate checks n and returns it with surrounding space trimmed from the
// text fields. Invalid, with a message naming the field, if a rule is broken.
func (n NewHousehold) Validate() (NewHousehold, error) {
	const op = "household.Validate"
	var err error
	if n.Name, err = nameField.Check(n.Name); err != nil {
		return n, apperr.Wrap(op, err)
	}
	if n.Address, err = addressField.Check(n.Address); err != nil {
		return n, apperr.Wrap(op, err)
	}
	if err := text.Plain("the time zone", n.TimeZone); err != nil {
		return n, apperr.Wrap(op, err)
	}
	n.TimeZone = strings.TrimSpace(n.TimeZone)
	switch {
	// Written so that NaN, which fails every comparison, is refused too.
	case !(n.Home.Lat >= -90 && n.Home.Lat <= 90):
		return n, apperr.E(op, apperr.Invalid, "The home's latitude must be between -90 and 90 degrees.")
	case !(n.Home.Lng >= -180 && n.Home.Lng <= 180):
		return n, apperr.E(op, apperr.Invalid, "The home's longitude must be between -180 and 180 degrees.")
	case !validTimeZone(n.TimeZone):
		return n, apperr.E(op, apperr.Invalid, "Choose a time zone by its IANA name, such as Europe/Paris.")
	case !slices.Contains(RetentionDays, n.RetentionDays):
		return n, apperr.E(op, apperr.Invalid, "Keep media for 7, 30, 60 or 180 days.")
	}
	return n, nil
}

// validTimeZone accepts IANA names only. "Local" would mean the server's
// zone, which is no fact about the home; "" would silently mean UTC.
func validTimeZone(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Create makes a household with owner as its owner and only member.
// Invalid if n breaks a rule (see NewHousehold.Validate); NotFound if owner
// has no account.
func (s *Service) Create(ctx context.Context, owner identity.UserID, n NewHousehold) (*Household, error) {
	const op = "household.Create"
	n, err := n.Validate()
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	id, err := s.newID("h")
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	h := &Household{ID: ID(id), CreatedAt: s.clock.Now()}
	h.set(n)
	if err := s.store.CreateHousehold(ctx, h, owner); err != nil {
		return nil, apperr.Wrap(op, err)
	}
	s.homeChanged(ctx, h.ID)
	return h, nil
}

func (h *Household) set(n NewHousehold) {
	h.Name, h.Address, h.Home, h.TimeZone, h.RetentionDays = n.Name, n.Address, n.Home, n.TimeZone, n.RetentionDays
}

// Get returns a household to one of its members. NotFound, with the same
// message, whether the household does not exist or user is not a member.
func (s *Service) Get(ctx context.Context, user identity.UserID, id ID) (*Household, error) {
	const op = "household.Get"
	if _, err := s.member(ctx, op, id, user, false); err != nil {
		return nil, err
	}
	h, err := s.store.FindHousehold(ctx, id)
	return h, s.hide(op, err)
}

// ListForUser returns the households user is a member of, oldest first.
func (s *Service) ListForUser(ctx context.Context, user identity.UserID) ([]*Household, error) {
	list, err := s.store.ListHouseholdsForUser(ctx, user)
	return list, apperr.Wrap("household.ListForUser", err)
}

// Update replaces a household's settings. Invalid if n breaks a rule;
// Forbidden unless user is an owner; NotFound if user is not a member.
func (s *Service) Update(ctx context.Context, user identity.UserID, id ID, n NewHousehold) (*Household, error) {
	const op = "household.Update"
	if _, err := s.member(ctx, op, id, user, true); err != nil {
		return nil, err
	}
	n, err := n.Validate()
	if err != nil {
		return nil, apperr.Wrap(op, err)
	}
	h, err := s.store.FindHousehold(ctx, id)
	if err != nil {
		return nil, s.hide(op, err)
	}
	h.set(n)
	if err := s.store.UpdateHousehold(ctx, h); err != nil {
		return nil, s.hide(op, err)
	}
	s.homeChanged(ctx, h.ID)
	return h, nil
}

// Retention returns how long the household keeps media; the vault's
// retention job deletes what is older. NotFound if there is no such household.
func (s *Service) Retention(ctx context.Context, id ID) (time.Duration, error) {
	h, err := s.store.FindHousehold(ctx, id)
	if err != nil {
		return 0, apperr.Wrap("household.Retention", err)
	}
	return h.Retention(), nil
}

// PublicHome returns the household's home coarsened by PublicLocation: the
// only form of it anyone outside the household may see. Callers need not
// authorize. NotFound if there is no such household.
func (s *Service) PublicHome(ctx context.Context, id ID) (Location, error) {
	h, err := s.store.FindHousehold(ctx, id)
	if err != nil {
		return Location{}, apperr.Wrap("household.PublicHome", err)
	}
	return PublicLocation(h.Home), nil
}

// homesPage is how many homes HomesForIndex reads per transaction, so that
// loading millions of homes never holds one long transaction open.
const homesPage = 10000

// HomesForIndex returns every household's PRECISE home, in id order, to
// build the in-process geo index that finds the homes inside an area. It
// does no authorization: what it returns must stay inside the process and
// never be shown, logged or sent to anyone; answers built from the index
// name households, never their homes (use PublicHome for a location).
func (s *Service) HomesForIndex(ctx context.Context) ([]HomeEntry, error) {
	const op = "household.HomesForIndex"
	out := []HomeEntry{}
	var after ID
	for {
		page, err := s.store.ListHomes(ctx, after, homesPage)
		if err != nil {
			return nil, apperr.Wrap(op, err)
		}
		out = append(out, page...)
		if len(page) < homesPage {
			return out, nil
		}
		after = page[len(page)-1].Household
	}
}

// member returns user's membership of household id. Non-members get the
// same NotFound as for a household that does not exist; if owner is set, a
// member who is not an owner gets Forbidden.
func (s *Service) member(ctx context.Context, op string, id ID, user identity.UserID, owner bool) (*Member, error) {
	if !id.Valid() {
		return nil, apperr.E(op, apperr.NotFound, msgNoHousehold)
	}
	m, err := s.store.FindMember(ctx, id, user)
	if err != nil {
		return nil, s.hide(op, err)
	}
	if owner && m.Role != RoleOwner {
		return nil, apperr.E(op, apperr.Forbidden, "Only the household's owners can do this.")
	}
	return m, nil
}

// hide replaces the message of a NotFound with msgNoHousehold, so that no
// store message tells a missing household from one the caller is not in.
func (s *Service) hide(op string, err error) error {
	if apperr.Is(err, apperr.NotFound) {
		return &apperr.Error{Op: op, Code: apperr.NotFound, Message: msgNoHousehold, Err: err}
	}
	return apperr.Wrap(op, err)
}

func (s *Service) newID(prefix string) (string, error) { return randid.New(s.rand, prefix) }
