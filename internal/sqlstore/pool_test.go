package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// poolBound is the most connections db may hold open at once.
func poolBound(db *DB) int {
	if db.Kind() == SQLite {
		return sqliteReaders() + 1 // and the writer
	}
	return postgresConns()
}

// TestStore_PoolBounded runs many more readers than the pools hold, and a
// few writers, at once: every request succeeds, the database never has
// more connections open than the bound, and none is closed to be opened
// again later.
func TestStore_PoolBounded(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		hash := []byte("hash-t1")
		tok := &identity.APIToken{ID: "t1", UserID: "u1", Name: "script", Hash: hash, CreatedAt: t0}
		if err := s.CreateAPIToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		const readers, writers, rounds = 200, 4, 5
		var (
			wg       sync.WaitGroup
			mostOpen atomic.Int64
			failed   atomic.Int64
		)
		note := func(err error) {
			if err != nil {
				failed.Add(1)
				t.Error(err)
			}
			open := int64(db.stats().OpenConnections)
			for {
				m := mostOpen.Load()
				if open <= m || mostOpen.CompareAndSwap(m, open) {
					break
				}
			}
		}
		for range readers {
			wg.Go(func() {
				for range rounds {
					tok, err := s.FindAPITokenByHash(ctx, hash)
					if err == nil {
						_, err = s.ListSessions(ctx, tok.UserID)
					}
					note(err)
				}
			})
		}
		for w := range writers {
			wg.Go(func() {
				for i := range rounds {
					id := fmt.Sprintf("s%d-%d", w, i)
					note(s.CreateSession(ctx, testSession(id, "u1", t0)))
					_, err := s.RecordFailure(ctx, "shared", t0)
					note(err)
				}
			})
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			t.Fatalf("%d requests failed", n)
		}
		stats := db.stats()
		if got, bound := int(mostOpen.Load()), poolBound(db); got > bound || stats.MaxOpenConnections != bound {
			t.Errorf("open connections reached %d (pools bounded at %d); want at most %d", got, stats.MaxOpenConnections, bound)
		}
		if stats.MaxIdleClosed+stats.MaxIdleTimeClosed+stats.MaxLifetimeClosed != 0 {
			t.Errorf("the pools closed connections to open them again: %+v", stats)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM sessions`); n != writers*rounds {
			t.Errorf("sessions = %d, want %d", n, writers*rounds)
		}
		th, err := s.FindThrottle(ctx, "shared")
		if err != nil || th.Failures != writers*rounds {
			t.Errorf("FindThrottle(shared) = %+v, %v; want %d failures", th, err, writers*rounds)
		}
	})
}

// TestStore_ReadsDuringLongWrite holds a write transaction open, with a row
// written but not committed, and reads meanwhile: the reads answer at once
// from the last committed state. On SQLite that is WAL at work, and the
// readers having connections of their own.
func TestStore_ReadsDuringLongWrite(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")

		written, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- db.write(ctx, "test", func(tx *tx) error {
				if _, err := tx.exec(ctx, `UPDATE users SET email = ? WHERE id = ?`, "grace@example.org", "u1"); err != nil {
					return err
				}
				close(written)
				<-release
				return nil
			})
		}()
		<-written
		// A read that waited for the writer would wait forever: this
		// deadline only turns that into a clear failure.
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		for i := range 20 {
			u, err := s.FindUserByID(rctx, "u1")
			if err != nil {
				t.Errorf("read %d during the write: %v", i, err)
				break
			}
			if u.Email != "ada@example.org" {
				t.Errorf("read %d during the write: email %q, want the committed %q", i, u.Email, "ada@example.org")
			}
		}
		cancel()
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("write: %v", err)
		}
		if u, err := s.FindUserByID(ctx, "u1"); err != nil || u.Email != "grace@example.org" {
			t.Errorf("after the write: %+v, %v; want grace@example.org", u, err)
		}
	})
}

// TestStore_ReadCannotWrite checks that a read transaction refuses to
// change the database, on SQLite's query_only readers as on PostgreSQL.
func TestStore_ReadCannotWrite(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		err := db.read(ctx, "test", func(tx *tx) error {
			_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, "9998_from_a_read")
			return err
		})
		if err == nil {
			t.Fatal("a read transaction wrote to the database")
		}
		wantCode(t, "write in a read transaction", err, apperr.Internal)
		if n := countRows(t, db, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, "9998_from_a_read"); n != 0 {
			t.Errorf("rows written = %d, want 0", n)
		}
	})
}

// TestStore_StatementCache checks that a query is prepared once per pool
// and then served from the cache, also on the writer, whose one connection
// the transaction preparing it holds.
func TestStore_StatementCache(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		s := NewIdentityStore(db)
		mustCreateUser(t, s, "u1", "ada@example.org")
		for range 3 {
			if _, err := s.RecordFailure(ctx, "k", t0); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FindUserByID(ctx, "u1"); err != nil {
				t.Fatal(err)
			}
		}
		count := func(h *handle) int {
			n := 0
			h.stmts.Range(func(_, _ any) bool { n++; return true })
			return n
		}
		if count(db.writer) == 0 || count(db.reader) == 0 {
			t.Errorf("cached statements: writer %d, reader %d; want some on each", count(db.writer), count(db.reader))
		}
	})
}
