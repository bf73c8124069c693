package vault_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/apperr"
	"hearth/internal/blobstore"
	"hearth/internal/clock"
	"hearth/internal/device"
	"hearth/internal/household"
	"hearth/internal/identity"
	"hearth/internal/sqlstore"
	"hearth/internal/sqlstore/sqltest"
	"hearth/internal/testkit"
	"hearth/internal/vault"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// marker is in every test plaintext; it must never be found at rest.
const marker = "hearth-sim-plaintext"

// testConfig is DefaultConfig with a scrypt floor low enough for fast keys.
func testConfig() vault.Config {
	c := vault.DefaultConfig()
	c.MinScryptWorkFactor = 10
	return c
}

// env is a Service over a real database, a real fileblob directory, real
// age keys and the real household service of a test kit. Ana owns
// household ha (30 days' retention), where Bob is a member; Eve owns hb
// (7 days' retention); Dan and Carol have accounts but no household. The
// ids are the ones the services gave them.
type env struct {
	kit    *testkit.Kit
	svc    *vault.Service
	store  vault.Store
	clock  *clock.Fake
	hh     *household.Service
	blobs  *blobstore.Store
	dir    string // holds the blob directory, and the SQLite file if any
	ids    map[identity.UserID]*age.X25519Identity
	sqlite bool

	ana, bob, eve, dan, carol identity.UserID
	ha, hb                    household.ID
	cam                       device.ID // ha's camera, the device of every upload
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
	k := testkit.New(t, url, testkit.Options{Now: t0, Vault: testConfig()})
	e := &env{
		kit:    k,
		clock:  k.Clock,
		hh:     k.Households,
		dir:    dir,
		ids:    map[identity.UserID]*age.X25519Identity{},
		sqlite: k.DB.Kind() == sqlstore.SQLite,
	}
	var ha, hb *household.Household
	e.ana, ha = k.Home(t, 48.85, 2.35)
	e.eve, hb = k.Home(t, 48.86, 2.34)
	e.ha, e.hb = ha.ID, hb.ID
	e.bob = k.User(t, "bob", identity.RoleResident)
	k.Member(t, e.ana, e.ha, e.bob)
	e.dan = k.User(t, "dan", identity.RoleResident)
	e.carol = k.User(t, "carol", identity.RoleResident)
	cam, _ := k.Device(t, e.ana, e.ha, device.KindCamera, "Porch")
	e.cam = cam.ID
	if _, err := k.Households.Update(ctx, e.eve, e.hb, household.NewHousehold{Name: hb.Name, Home: hb.Home,
		TimeZone: hb.TimeZone, RetentionDays: 7}); err != nil {
		t.Fatal(err)
	}
	// The vault's own blob directory, so tests can find the files at rest.
	blobs, err := blobstore.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	e.blobs = blobs
	for _, u := range []identity.UserID{e.ana, e.bob, e.eve, e.dan, e.carol} {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		e.ids[u] = id
	}
	e.store = sqlstore.NewVaultStore(k.DB)
	e.svc = vault.NewService(vault.Deps{Store: e.store, Blobs: blobs, Households: e.hh, Clock: e.clock, Config: testConfig()})
	return e
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

// upload is an ordinary valid upload to ha, at the fake clock's time.
func (e *env) upload() vault.Upload {
	now := e.clock.Now()
	return vault.Upload{Household: e.ha, Device: e.cam, Kind: vault.KindVideo, Start: now.Add(-time.Minute), End: now}
}

// put uploads ciphertext to ha and fails the test on error.
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
