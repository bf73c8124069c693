package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"hearth/internal/identity"
	"hearth/internal/sqlstore/sqltest"
)

// BenchmarkConcurrentReads measures what an authenticated API request asks
// of the store: an API token looked up by its hash, then the account's
// session list, each a read-only transaction, from 2, 50 and 500 goroutines
// at once. reads/s counts requests (two transactions each); closed/op counts
// connections the pool closed and so must open again, the cost a bounded,
// fully idle pool avoids.
//
//	HEARTH_TEST_POSTGRES=... go test -run '^$' -bench ConcurrentReads -benchtime 20000x ./internal/sqlstore/
func BenchmarkConcurrentReads(b *testing.B) {
	stores := []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", sqltest.SQLite}, {"postgres", sqltest.Postgres}}
	for _, store := range stores {
		b.Run(store.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, store.url(b))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			s := NewIdentityStore(db)
			if err := s.CreateUser(ctx, testUser("u1", "ada@example.org")); err != nil {
				b.Fatal(err)
			}
			hash := []byte("hash-t1")
			tok := &identity.APIToken{ID: "t1", UserID: "u1", Name: "script", Scopes: []identity.Scope{identity.ScopeAccountRead}, Hash: hash, CreatedAt: t0}
			if err := s.CreateAPIToken(ctx, tok); err != nil {
				b.Fatal(err)
			}
			for i := range 3 {
				if err := s.CreateSession(ctx, testSession(fmt.Sprint("s", i), "u1", t0)); err != nil {
					b.Fatal(err)
				}
			}
			for _, clients := range []int{2, 50, 500} {
				b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
					closedBefore := db.stats().MaxIdleClosed
					var (
						next atomic.Int64
						wg   sync.WaitGroup
					)
					b.ResetTimer()
					for range clients {
						wg.Go(func() {
							for next.Add(1) <= int64(b.N) {
								tok, err := s.FindAPITokenByHash(ctx, hash)
								if err == nil {
									_, err = s.ListSessions(ctx, tok.UserID)
								}
								if err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					wg.Wait()
					b.StopTimer()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
					b.ReportMetric(float64(db.stats().MaxIdleClosed-closedBefore)/float64(b.N), "closed/op")
				})
			}
		})
	}
}
