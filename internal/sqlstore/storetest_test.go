package sqlstore

import (
	"context"
	"testing"

	"hearth/internal/sqlstore/sqltest"
)

// forEachStore runs body once per available backend, each time on a fresh,
// migrated database: SQLite always, PostgreSQL when HEARTH_TEST_POSTGRES is
// set. The same body is the contract both dialects must meet.
func forEachStore(t *testing.T, body func(t *testing.T, db *DB)) {
	t.Helper()
	sqltest.ForEach(t, func(t *testing.T, url string) {
		body(t, openTest(t, url))
	})
}

// forEachURL is forEachStore for tests that open the database themselves:
// body gets the URL of a fresh, empty database.
func forEachURL(t *testing.T, body func(t *testing.T, url string)) {
	t.Helper()
	sqltest.ForEach(t, body)
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
