// Package sqltest gives tests fresh databases: a SQLite file in a temp
// directory always, and a new PostgreSQL schema when HEARTH_TEST_POSTGRES
// names a server (created for the test and dropped after it).
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for creating databases
)

// PostgresEnv names the variable that holds a PostgreSQL server URL, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const PostgresEnv = "HEARTH_TEST_POSTGRES"

// ForEach runs body once per available store, with the URL of a fresh empty
// database: "sqlite" always, "postgres" when PostgresEnv is set (skipped
// otherwise, with a note saying how to enable it).
func ForEach(t *testing.T, body func(t *testing.T, url string)) {
	t.Helper()
	// The two stores share nothing, so their halves run side by side.
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); body(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); body(t, Postgres(t)) })
}

// SQLite returns the URL of a new SQLite file in a temp directory.
func SQLite(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "hearth.db")
}

// Postgres creates a schema with a random name in the database named by
// PostgresEnv, drops it when the test ends, and returns a URL whose
// connections work in it alone (search_path). It skips the test when the
// variable is unset. A schema is a fresh, empty store as far as Hearth can
// tell, and costs a few milliseconds where a new database costs hundreds.
func Postgres(t testing.TB) string {
	t.Helper()
	server := os.Getenv(PostgresEnv)
	if server == "" {
		t.Skipf("PostgreSQL not configured: set %s to a server URL to run this, e.g. "+
			"%s='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'", PostgresEnv, PostgresEnv)
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q (%v)", PostgresEnv, server, err)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "hearth_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		admin.Close()
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", name, err)
		}
	})
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
