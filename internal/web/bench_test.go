package web_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"hearth/internal/identity"
	"hearth/internal/sqlstore/sqltest"
)

// BenchmarkAuthenticatedList measures authenticated API list requests over
// real HTTP on loopback: bearer token lookup, session list from SQLite, JSON.
//
//	go test -run '^$' -bench AuthenticatedList -benchtime 20000x ./internal/web/
func BenchmarkAuthenticatedList(b *testing.B) {
	e := newEnv(b, sqltest.SQLite(b))
	u, _, _, err := e.ids.CreateUser(context.Background(), "bench@example.org", identity.RoleResident, password)
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := e.ids.CreateAPIToken(context.Background(), u.ID, "bench", []identity.Scope{identity.ScopeAccountRead})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/sessions", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}
