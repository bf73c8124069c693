package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hearth/internal/apperr"
)

func TestMigrationsMatch(t *testing.T) {
	t.Parallel()
	names := func(k Kind) []string {
		entries, err := fs.ReadDir(migrationFiles, "migrations/"+string(k))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	lite, pg := names(SQLite), names(Postgres)
	if len(lite) == 0 {
		t.Fatal("no SQLite migrations embedded")
	}
	if diff := cmp.Diff(lite, pg); diff != "" {
		t.Errorf("migration files differ between dialects (-sqlite +postgres):\n%s", diff)
	}
	for _, k := range []Kind{SQLite, Postgres} {
		if _, err := migrations(k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"None", `SELECT 1`, `SELECT 1`},
		{"Several", `SELECT a FROM t WHERE b = ? AND c < ?`, `SELECT a FROM t WHERE b = $1 AND c < $2`},
		{"StringLiteral", `SELECT '?', ? FROM t`, `SELECT '?', $1 FROM t`},
		{"EscapedQuote", `SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{"QuotedIdentifier", `SELECT "a?" FROM t WHERE x = ?`, `SELECT "a?" FROM t WHERE x = $1`},
		{"LineComment", "SELECT ? -- why?\nFROM t WHERE x = ?", "SELECT $1 -- why?\nFROM t WHERE x = $2"},
		{"BlockComment", `SELECT /* ? */ ?`, `SELECT /* ? */ $1`},
		{"Minus", `SELECT ? - ?`, `SELECT $1 - $2`},
		{"UnterminatedString", `SELECT ?, 'x?`, `SELECT $1, 'x?`},
		{"TenPlus", strings.Repeat("?,", 10) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dialects[Postgres].rebind(tt.in); got != tt.want {
				t.Errorf("postgres rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := dialects[SQLite].rebind(tt.in); got != tt.in {
				t.Errorf("sqlite rebind(%q) = %q, want it unchanged", tt.in, got)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		kind      Kind
		where     string // "" means an error is expected
	}{
		{"Postgres", "postgres://u@h:5432/db?sslmode=disable", Postgres, "postgres://u@h:5432/db?sslmode=disable"},
		{"PostgreSQL", "postgresql://u@h/db", Postgres, "postgresql://u@h/db"},
		{"PostgresUpperScheme", "POSTGRES://u@h/db", Postgres, "POSTGRES://u@h/db"},
		{"SQLiteScheme", "sqlite:/var/lib/hearth/hearth.db", SQLite, "/var/lib/hearth/hearth.db"},
		{"SQLiteRelative", "sqlite:hearth.db", SQLite, "hearth.db"},
		{"SQLiteTripleSlash", "sqlite:///data/h.db", SQLite, "/data/h.db"},
		{"FileScheme", "file:/data/h.db", SQLite, "/data/h.db"},
		{"FileLocalhost", "file://localhost/data/h.db", SQLite, "/data/h.db"},
		{"BarePath", "/data/h.db", SQLite, "/data/h.db"},
		{"BareRelative", "data/h.db", SQLite, "data/h.db"},
		{"Percent", "/data/100%.db", SQLite, "/data/100%.db"},
		{"ErrEmpty", "", "", ""},
		{"ErrEmptySQLite", "sqlite:", "", ""},
		{"ErrRemoteHost", "file://example.com/h.db", "", ""},
		{"ErrParameters", "sqlite:h.db?_pragma=foo", "", ""},
		{"ErrMemory", "sqlite::memory:", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, where, err := parseURL(tt.url)
			if tt.where == "" {
				if err == nil {
					t.Fatalf("parseURL(%q) = %q, %q; want an error", tt.url, kind, where)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tt.url, err)
			}
			if kind != tt.kind || where != tt.where {
				t.Errorf("parseURL(%q) = %q, %q; want %q, %q", tt.url, kind, where, tt.kind, tt.where)
			}
		})
	}
}

func TestSQLiteDSN(t *testing.T) {
	t.Parallel()
	const writer = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(FULL)&_pragma=temp_store(2)&_txlock=immediate"
	const reader = "?_pragma=busy_timeout(5000)&_pragma=temp_store(2)&_pragma=query_only(1)"
	tests := []struct{ path, file string }{
		{"/data/h.db", "file:/data/h.db"},
		{"h.db", "file:h.db"},
		{"/data/100%.db", "file:/data/100%25.db"},
		{"/data/a?b#c.db", "file:/data/a%3Fb%23c.db"},
	}
	for _, tt := range tests {
		if got := sqliteDSN(tt.path); got != tt.file+writer {
			t.Errorf("sqliteDSN(%q) = %q, want %q", tt.path, got, tt.file+writer)
		}
		if got := sqliteReaderDSN(tt.path); got != tt.file+reader {
			t.Errorf("sqliteReaderDSN(%q) = %q, want %q", tt.path, got, tt.file+reader)
		}
	}
}

func TestOpen_InvalidURL(t *testing.T) {
	t.Parallel()
	_, err := Open(context.Background(), "sqlite:")
	if !apperr.Is(err, apperr.Invalid) {
		t.Errorf("Open(sqlite:) = %v, want Invalid", err)
	}
}

func TestOpen_PostgresUnavailable(t *testing.T) {
	t.Parallel()
	// Port 1 on the loopback refuses connections at once.
	_, err := Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=5")
	if !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("Open(unreachable) = %v, want Unavailable", err)
	}
}

// TestOpen_SQLitePragmas checks the connection settings the adapter relies
// on, on the writer and on several reader connections at once.
func TestOpen_SQLitePragmas(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "h.db")
	db := openTest(t, path)
	if db.Kind() != SQLite {
		t.Fatalf("Kind() = %q, want %q", db.Kind(), SQLite)
	}
	ctx := context.Background()
	// Before the checks below take the writer's one connection.
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	check := func(name string, h *handle, want map[string]string) {
		t.Helper()
		c, err := h.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Held until the test ends, so the next check gets another connection.
		t.Cleanup(func() { c.Close() })
		for pragma, want := range want {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %q, want %q", name, pragma, got, want)
			}
		}
	}
	check("writer", db.writer, map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "5000",
		"synchronous":  "2", // FULL
		"query_only":   "0",
	})
	for i := range 3 {
		check(fmt.Sprint("reader ", i), db.reader, map[string]string{
			"journal_mode": "wal", // the file's, set by the writer
			"busy_timeout": "5000",
			"query_only":   "1",
		})
	}
	if got := db.reader.sql.Stats().OpenConnections; got != 3 {
		t.Errorf("reader connections = %d, want the 3 held", got)
	}
}
