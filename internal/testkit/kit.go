package testkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/access"
	"hearth/internal/blobstore"
	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/feed"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/legal"
	"hearth/internal/neighbors"
	"hearth/internal/notice"
	"hearth/internal/sqlstore"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/translog"
	"hearth/internal/transparency"
	"hearth/internal/vault"
)

// Now is the fake clock's starting time unless Options say otherwise.
var Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Password is the password of every account the kit makes.
const Password = "correct horse battery staple"

// Options tune a Kit; the zero value is the usual one.
type Options struct {
	// Now is the fake clock's starting time; Now when zero.
	Now time.Time
	// Vault tunes the vault; vault.DefaultConfig when zero.
	Vault vault.Config
	// SubjectKey keys the legal demands' commitments; 32 bytes of "k"
	// when nil.
	SubjectKey []byte
}

// Kit is every domain service over one fresh database, built in the order
// and with the Deps cmd/hearth uses.
type Kit struct {
	DB     *sqlstore.DB
	Clock  *clock.Fake
	Log    *translog.Log
	LogDir string
	Blobs  *blobstore.Store

	Pseudonyms *access.Pseudonyms
	Gate       *access.Gate
	Identity   *identity.Service
	Notices    *notice.Service
	Outbox     *sqlstore.NoticeStore // where notices' e-mail is queued
	Access     *access.Service
	Households *household.Service
	Relay      *device.Relay // attach a gateway to it to send commands
	Devices    *device.Service
	Vault      *vault.Service
	Neighbors  *neighbors.Service
	Legal      *legal.Service
	Report     *transparency.Service
	Feed       *feed.Service

	n int // accounts made so far
}

// ForEach runs body once per available database (see sqltest.ForEach),
// each with a Kit of its own.
func ForEach(t *testing.T, opts Options, body func(t *testing.T, k *Kit)) {
	t.Helper()
	sqltest.ForEach(t, func(t *testing.T, url string) { body(t, New(t, url, opts)) })
}

// New returns a Kit over the empty database at url (a fresh SQLite file
// when url is ""). Everything it opens is closed when the test ends.
func New(t testing.TB, url string, opts Options) *Kit {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if url == "" {
		url = sqltest.SQLite(t)
	}
	if opts.Now.IsZero() {
		opts.Now = Now
	}
	if opts.SubjectKey == nil {
		opts.SubjectKey = []byte(strings.Repeat("k", 32))
	}
	db, err := sqlstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k := &Kit{DB: db, Clock: clock.NewFake(opts.Now), LogDir: filepath.Join(dir, "log")}
	if k.Log, err = translog.Open(ctx, translog.Config{Dir: k.LogDir, KeyFile: filepath.Join(dir, "log.key"), Origin: "hearth.test"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Log.Close(context.Background()) })
	if k.Blobs, err = blobstore.Open(ctx, "file://"+filepath.Join(dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Blobs.Close() })

	k.Pseudonyms = access.NewPseudonyms([]byte(strings.Repeat("s", 32)), []byte(strings.Repeat("a", 32)))
	k.Gate = access.NewGate(access.GateDeps{Log: k.Log, Store: sqlstore.NewAccessStore(db), Pseudonyms: k.Pseudonyms, Clock: k.Clock})
	// Identity and notices need each other; as in cmd/hearth, a relay
	// made first stands in for the notices as identity's mailer.
	mailer := &mailRelay{}
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{Memory: 64, Time: 1, Threads: 1} // fast, for tests only
	if k.Identity, err = identity.NewService(identity.Deps{Store: sqlstore.NewIdentityStore(db), Clock: k.Clock, Config: cfg,
		ReadLog: k.Gate, Mailer: mailer, SiteURL: "http://hearth.test"}); err != nil {
		t.Fatal(err)
	}
	k.Outbox = sqlstore.NewNoticeStore(db)
	k.Notices = notice.NewService(notice.Deps{Store: k.Outbox, Clock: k.Clock, Mail: k.Outbox, Emails: k.Identity, Gate: k.Gate,
		SiteURL: "http://hearth.test", Logger: slog.New(slog.DiscardHandler)})
	mailer.notices = k.Notices
	k.Access = access.NewService(access.Deps{Gate: k.Gate, Accounts: k.Identity, Notifier: k.Notices})
	k.Households = household.NewService(household.Deps{Store: sqlstore.NewHouseholdStore(db), Clock: k.Clock})
	k.Relay = &device.Relay{}
	k.Devices = device.NewService(device.Deps{Store: sqlstore.NewDeviceStore(db), Members: k.Households, Gateway: k.Relay, Clock: k.Clock})
	k.Vault = vault.NewService(vault.Deps{Store: sqlstore.NewVaultStore(db), Blobs: k.Blobs, Households: k.Households, Clock: k.Clock, Config: opts.Vault})
	k.Neighbors = neighbors.NewService(neighbors.Deps{Store: sqlstore.NewNeighborsStore(db), Log: k.Log, Households: k.Households,
		Cameras: k.Devices, Notifier: k.Notices, Clips: k.Vault, Gate: k.Gate, Clock: k.Clock})
	k.Households.AddHomeObserver(k.Neighbors)
	k.Devices.AddCameraObserver(k.Neighbors)
	k.Legal = legal.NewService(legal.Deps{Store: sqlstore.NewLegalStore(db), Log: k.Log, Accounts: k.Identity, Notifier: k.Notices,
		Clock: k.Clock, SubjectKey: opts.SubjectKey})
	k.Report = transparency.NewService(transparency.Deps{Legal: k.Legal, Neighbours: k.Neighbors, Clock: k.Clock})
	k.Feed = feed.NewService(feed.Deps{Store: sqlstore.NewFeedStore(db), Households: k.Households, Vault: k.Vault,
		Requests: k.Neighbors, Log: k.Log, Keys: AgeKeys{}, Clock: k.Clock})
	return k
}

// mailRelay is identity's mailer, forwarding to the notices built after it.
type mailRelay struct{ notices *notice.Service }

func (r *mailRelay) SendMail(ctx context.Context, user identity.UserID, to, subject, body string) error {
	return r.notices.SendMail(ctx, user, to, subject, body)
}

// AgeKeys is the feed.Keys cmd/hearth wires: age's own parser.
type AgeKeys struct{}

// RecipientOf returns the public key of an age X25519 identity in age's
// canonical form.
func (AgeKeys) RecipientOf(s string) (string, error) {
	id, err := age.ParseX25519Identity(s)
	if err != nil {
		return "", err
	}
	if id.String() != s {
		return "", errors.New("the identity is not in age's canonical form")
	}
	return id.Recipient().String(), nil
}

// User makes an active account with role, through the identity service,
// with the address name@example.org (userN@example.org when name is "")
// and Password, and returns its id.
func (k *Kit) User(t testing.TB, name string, role identity.Role) identity.UserID {
	t.Helper()
	k.n++
	if name == "" {
		name = fmt.Sprintf("user%d", k.n)
	}
	u, _, _, err := k.Identity.CreateUser(context.Background(), name+"@example.org", role, Password)
	if err != nil {
		t.Fatalf("create account %s: %v", name, err)
	}
	return u.ID
}

// Household makes a household owned by owner whose home is at lat, lng,
// through the household service.
func (k *Kit) Household(t testing.TB, owner identity.UserID, lat, lng float64) *household.Household {
	t.Helper()
	h, err := k.Households.Create(context.Background(), owner, household.NewHousehold{Name: "Home of " + string(owner),
		Home: household.Location{Lat: lat, Lng: lng}, TimeZone: "Europe/Paris", RetentionDays: 30})
	if err != nil {
		t.Fatalf("create household: %v", err)
	}
	return h
}

// Member makes user a member of hh through an invitation from its owner.
func (k *Kit) Member(t testing.TB, owner identity.UserID, hh household.ID, user identity.UserID) {
	t.Helper()
	ctx := context.Background()
	token, _, err := k.Households.Invite(ctx, owner, hh)
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	if _, err := k.Households.Join(ctx, user, token); err != nil {
		t.Fatalf("join: %v", err)
	}
}

// Home makes a resident with a household of their own at lat, lng.
func (k *Kit) Home(t testing.TB, lat, lng float64) (identity.UserID, *household.Household) {
	t.Helper()
	u := k.User(t, "", identity.RoleResident)
	return u, k.Household(t, u, lat, lng)
}

// Device pairs a device of kind named name into hh on behalf of user,
// through the device service, and returns it with its secret.
func (k *Kit) Device(t testing.TB, user identity.UserID, hh household.ID, kind device.Kind, name string) (*device.Device, string) {
	t.Helper()
	ctx := context.Background()
	code, _, err := k.Devices.StartPairing(ctx, user, hh, kind, name)
	if err != nil {
		t.Fatalf("start pairing: %v", err)
	}
	d, secret, err := k.Devices.Pair(ctx, code)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	return d, secret
}
