package sqlstore

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
)

// postgresEnv names the variable that holds a PostgreSQL server URL for the
// conformance suite; the suite creates and drops its own databases there.
const postgresEnv = "HEARTH_TEST_POSTGRES"

// forEachStore runs body once per available backend, each time on a fresh,
// migrated database: SQLite always, PostgreSQL when HEARTH_TEST_POSTGRES is
// set. The same body is the contract both dialects must meet.
func forEachStore(t *testing.T, body func(t *testing.T, db *DB)) {
	t.Helper()
	forEachURL(t, func(t *testing.T, url string) {
		body(t, openTest(t, url))
	})
}

// forEachURL is forEachStore for tests that open the database themselves:
// body gets the URL of a fresh, empty database.
func forEachURL(t *testing.T, body func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		body(t, "sqlite:"+filepath.Join(t.TempDir(), "hearth.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		server := os.Getenv(postgresEnv)
		if server == "" {
			t.Skipf("PostgreSQL not configured: set %s to a server URL to run this, e.g. "+
				"%s='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'", postgresEnv, postgresEnv)
		}
		body(t, freshPostgres(t, server))
	})
}

// freshPostgres creates a database with a random name on the server, drops
// it when the test ends, and returns its URL.
func freshPostgres(t *testing.T, server string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q (%v)", postgresEnv, server, err)
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
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// openTest opens url and closes it when the test ends (before a PostgreSQL
// test database is dropped: cleanups run last-registered first).
func openTest(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}
