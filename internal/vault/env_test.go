package vault_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/apperr"
	"hearth/internal/blobstore"
	"hearth/internal/clock"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sqlstore"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/vault"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// marker is in every test plaintext; it must never be found at rest.
const marker = "hearth-sim-plaintext"

// testConfig is DefaultConfig with a scrypt floor low enough for fast keys.
func testConfig() vault.Config {
	c := vault.DefaultConfig()
	c.MinScryptWorkFactor = 10
	return c
}

// households is an in-memory vault.Households: the household Service is not
// needed to test the vault's rules.
type households struct {
	mu        sync.Mutex
	members   map[household.ID][]identity.UserID
	retention map[household.ID]time.Duration
}

func (h *households) MemberRole(_ context.Context, id household.ID, user identity.UserID) (household.MemberRole, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range h.members[id] {
		if u == user {
			return household.RoleMember, nil
		}
	}
	return "", apperr.E("test.MemberRole", apperr.NotFound, "No such household.")
}

func (h *households) MemberIDs(_ context.Context, id household.ID) ([]identity.UserID, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.members[id]
	if !ok {
		return nil, apperr.E("test.MemberIDs", apperr.NotFound, "No such household.")
	}
	return append([]identity.UserID(nil), m...), nil
}

func (h *households) Retention(_ context.Context, id household.ID) (time.Duration, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.retention[id]
	if !ok {
		return 0, apperr.E("test.Retention", apperr.NotFound, "No such household.")
	}
	return d, nil
}

// env is a Service over a real database, a real fileblob directory and real
// age keys. Household h_a has members u_ana and u_bob, h_b has u_eve; u_dan
// and u_carol have accounts but no household.
type env struct {
	svc    *vault.Service
	store  vault.Store
	clock  *clock.Fake
	hh     *households
	blobs  *blobstore.Store
	dir    string // holds the blob directory, and the SQLite file if any
	ids    map[identity.UserID]*age.X25519Identity
	sqlite bool
}

// forEachEnv runs body on SQLite (always) and PostgreSQL (when
// HEARTH_TEST_POSTGRES is set).
func forEachEnv(t *testing.T, body func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		body(t, newEnv(t, "sqlite:"+filepath.Join(dir, "hearth.db"), dir))
	})
	t.Run("postgres", func(t *testing.T) {
		body(t, newEnv(t, sqltest.Postgres(t), t.TempDir()))
	})
}

func newEnv(t testing.TB, url, dir string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users := []identity.UserID{"u_ana", "u_bob", "u_eve", "u_dan", "u_carol"}
	for _, u := range users {
		err := sqlstore.NewIdentityStore(db).CreateUser(ctx, &identity.User{
			ID: u, Email: string(u) + "@example.org", Role: identity.RoleResident,
			Status: identity.StatusActive, PasswordHash: "x", CreatedAt: t0,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	insertHouseholds(t, db.Kind(), url, "h_a", "h_b")
	blobs, err := blobstore.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	e := &env{
		clock: clock.NewFake(t0),
		hh: &households{
			members:   map[household.ID][]identity.UserID{"h_a": {"u_ana", "u_bob"}, "h_b": {"u_eve"}},
			retention: map[household.ID]time.Duration{"h_a": 30 * 24 * time.Hour, "h_b": 7 * 24 * time.Hour},
		},
		blobs:  blobs,
		dir:    dir,
		ids:    map[identity.UserID]*age.X25519Identity{},
		sqlite: db.Kind() == sqlstore.SQLite,
	}
	for _, u := range users {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		e.ids[u] = id
	}
	e.store = sqlstore.NewVaultStore(db)
	e.svc = vault.NewService(vault.Deps{Store: e.store, Blobs: blobs, Households: e.hh, Clock: e.clock, Config: testConfig()})
	return e
}

// insertHouseholds adds bare household rows with plain SQL; the household
// store is another package's business.
func insertHouseholds(t testing.TB, kind sqlstore.Kind, url string, ids ...household.ID) {
	t.Helper()
	driver, dsn, q := "pgx", url, `INSERT INTO households (id, name, address, home_lat, home_lng, time_zone, retention_days, created_at)
		VALUES ($1, 'Home', '', 48.85, 2.35, 'Europe/Paris', 30, 0)`
	if kind == sqlstore.SQLite {
		driver, dsn = "sqlite", strings.TrimPrefix(url, "sqlite:")
		q = strings.Replace(q, "$1", "?", 1)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range ids {
		if _, err := db.Exec(q, string(id)); err != nil {
			t.Fatalf("insert household %s: %v", id, err)
		}
	}
}

func (e *env) recipient(u identity.UserID) *age.X25519Recipient { return e.ids[u].Recipient() }

// encrypt returns plaintext encrypted with age to the users' recipients, as
// a device does.
func (e *env) encrypt(t testing.TB, plaintext []byte, to ...identity.UserID) []byte {
	t.Helper()
	var rs []age.Recipient
	for _, u := range to {
		rs = append(rs, e.recipient(u))
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plaintext)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload is an ordinary valid upload to h_a, at the fake clock's time.
func (e *env) upload() vault.Upload {
	now := e.clock.Now()
	return vault.Upload{Household: "h_a", Device: "d_cam", Kind: vault.KindVideo, Start: now.Add(-time.Minute), End: now}
}

// put uploads ciphertext to h_a and fails the test on error.
func (e *env) put(t testing.TB, ciphertext []byte) *vault.Clip {
	t.Helper()
	c, _, err := e.svc.Put(context.Background(), e.upload(), bytes.NewReader(ciphertext), 1<<30)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return c
}

// blobKeys lists every stored blob.
func (e *env) blobKeys(t testing.TB) []string {
	t.Helper()
	keys, err := e.blobs.Keys(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// blobFiles lists every file in the blob directory, temporary ones included.
func (e *env) blobFiles(t testing.TB) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(e.dir, "blobs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// decrypt decrypts an age file with id, failing the test if it cannot.
func decrypt(t testing.TB, r io.Reader, id age.Identity) []byte {
	t.Helper()
	pr, err := age.Decrypt(r, id)
	if err != nil {
		t.Fatalf("age.Decrypt: %v", err)
	}
	b, err := io.ReadAll(pr)
	if err != nil {
		t.Fatalf("read plaintext: %v", err)
	}
	return b
}

func readAll(t testing.TB, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// scanForMarker fails the test if any file under dir contains marker.
func scanForMarker(t testing.TB, dir string) (scanned int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		if bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s holds the plaintext marker", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return scanned
}
