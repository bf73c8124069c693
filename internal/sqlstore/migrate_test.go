package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// wantVersions fails the test unless schema_migrations lists exactly the
// embedded migrations, each applied at a plausible time.
func wantVersions(t *testing.T, db *DB) {
	t.Helper()
	ms, err := migrations(db.Kind())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range ms {
		want = append(want, m.version)
	}
	var got []string
	err = db.read(context.Background(), "test", func(tx *tx) error {
		rows, err := tx.query(context.Background(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v string
			var at int64
			if err := rows.Scan(&v, &at); err != nil {
				return err
			}
			if when := fromMicros(at); when.Before(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("migration %s applied_at = %v, want the time it ran", v, when)
			}
			got = append(got, v)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", diff)
	}
}

func TestStore_Migrations(t *testing.T) {
	t.Parallel()
	forEachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := Open(ctx, url)
		if err != nil {
			t.Fatalf("first Open: %v", err)
		}
		wantVersions(t, db)
		mustCreateUser(t, NewIdentityStore(db), "u1", "ada@example.org")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		// Reopening applies nothing twice and keeps the data.
		for i := range 2 {
			db := openTest(t, url)
			wantVersions(t, db)
			if _, err := NewIdentityStore(db).FindUserByID(ctx, "u1"); err != nil {
				t.Errorf("reopen %d: FindUserByID: %v", i+1, err)
			}
		}
	})
}

// TestStore_NewerSchema checks that a database migrated by a newer release
// is refused rather than misread.
func TestStore_NewerSchema(t *testing.T) {
	t.Parallel()
	forEachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		err = db.write(ctx, "test", func(tx *tx) error {
			_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				"9999_from_the_future", time.Now().UnixMicro())
			return err
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		db, err = Open(ctx, url)
		if err == nil {
			db.Close()
			t.Fatal("Open of a database with an unknown migration succeeded")
		}
		wantCode(t, "Open(newer schema)", err, apperr.Internal)
		if !strings.Contains(err.Error(), "9999_from_the_future") {
			t.Errorf("error %q does not name the unknown migration", err)
		}
	})
}

// TestStore_ConcurrentOpen opens one fresh database from several handles at
// once, as "hearth serve" and "hearth admin" may: every Open succeeds and
// each migration is applied once.
func TestStore_ConcurrentOpen(t *testing.T) {
	t.Parallel()
	forEachURL(t, func(t *testing.T, url string) {
		const n = 4
		dbs := make([]*DB, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), url) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Open #%d: %v", i, err)
				continue
			}
			t.Cleanup(func() { dbs[i].Close() })
		}
		if t.Failed() {
			return
		}
		wantVersions(t, dbs[0])
	})
}

// TestStore_ConcurrentHandles writes from two handles on the same database
// at once. On SQLite these are two connection pools on one file, as two
// processes would have; no write may fail with "database is locked".
func TestStore_ConcurrentHandles(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, a *DB) {
		ctx := context.Background()
		b := openTest(t, a.url)
		const perHandle = 10
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for h, db := range []*DB{a, b} {
			s := NewIdentityStore(db)
			for i := range perHandle {
				wg.Go(func() {
					id := fmt.Sprintf("u%d-%d", h, i)
					err := s.CreateUser(ctx, testUser(id, id+"@example.org"))
					if err == nil {
						_, err = s.RecordFailure(ctx, "shared", t0)
					}
					if err == nil {
						// Reads, then writes, in one transaction: on SQLite
						// that needs the write lock from BEGIN, or another
						// handle's commit in between fails it.
						err = s.ReplaceRecoveryCodes(ctx, identity.UserID(id), [][]byte{[]byte("r1"), []byte("r2")})
					}
					if err == nil {
						_, err = s.FindUserByID(ctx, "u0-0")
						if apperr.Is(err, apperr.NotFound) {
							err = nil // not created yet: fine, the read itself worked
						}
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("%s: %w", id, err))
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		if n := countRows(t, a, `SELECT COUNT(*) FROM users`); n != 2*perHandle {
			t.Errorf("users = %d, want %d", n, 2*perHandle)
		}
		if n := countRows(t, a, `SELECT COUNT(*) FROM recovery_codes`); n != 2*2*perHandle {
			t.Errorf("recovery codes = %d, want %d", n, 2*2*perHandle)
		}
		th, err := NewIdentityStore(b).FindThrottle(ctx, "shared")
		if err != nil || th.Failures != 2*perHandle {
			t.Errorf("FindThrottle(shared) = %+v, %v; want %d failures", th, err, 2*perHandle)
		}
	})
}
