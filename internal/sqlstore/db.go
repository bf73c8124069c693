package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"hearth/internal/apperr"
)

// Kind names a dialect: "sqlite" or "postgres".
type Kind string

// Supported dialects.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// dialect is everything the adapter does differently per database. Keep it
// small: a difference that can be written away in portable SQL belongs in the
// query, not here.
type dialect struct {
	kind   Kind
	driver string // database/sql driver name
	// numbered reports whether placeholders are $1, $2, … rather than ?.
	numbered bool
	// migrationLock is run first in every migration transaction so that two
	// processes opening the same database at once apply each file once.
	// Empty where the transaction itself already serialises writers.
	migrationLock string
	// nowMicros is an SQL expression for the database's current time in Unix
	// microseconds; used only for bookkeeping columns the domain never reads.
	nowMicros string
	// uniqueViolation and foreignKeyViolation classify a driver error.
	uniqueViolation     func(error) bool
	foreignKeyViolation func(error) bool
}

// migrationLockKey is the PostgreSQL advisory lock key that serialises
// migrations. It is an arbitrary constant ("hearth" in ASCII) that no other
// part of Hearth may use for another purpose; its high 32 bits ("hear")
// are the first of the two-key form, the schema the second.
const migrationLockKey int64 = 0x686561727468

var dialects = map[Kind]*dialect{
	SQLite: {
		kind:   SQLite,
		driver: "sqlite",
		// BEGIN IMMEDIATE (see sqliteDSN) already holds the write lock.
		migrationLock:       "",
		nowMicros:           "CAST(unixepoch('subsec') * 1000000 AS INTEGER)",
		uniqueViolation:     sqliteCode(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
		foreignKeyViolation: sqliteCode(sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
	},
	Postgres: {
		kind:     Postgres,
		driver:   "pgx",
		numbered: true,
		// Keyed by schema too, so stores in different schemas of one
		// database migrate independently.
		migrationLock:       "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(migrationLockKey>>16, 10) + ", hashtext(current_schema()))",
		nowMicros:           "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)",
		uniqueViolation:     pgCode("23505"),
		foreignKeyViolation: pgCode("23503"),
	},
}

func sqliteCode(codes ...int) func(error) bool {
	return func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		for _, c := range codes {
			if e.Code() == c {
				return true
			}
		}
		return false
	}
}

func pgCode(code string) func(error) bool {
	return func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == code
	}
}

// DB is an open database of either dialect with its migrations applied. It
// is safe for concurrent use.
type DB struct {
	d   *dialect
	url string // as given to Open; lets tests open a second handle

	// reader runs read-only transactions and writer read-write ones and
	// migrations (see pool.go). On PostgreSQL they are the same pool.
	reader, writer *handle
}

// Open connects to the database named by url and applies any migrations it
// lacks. A url starting with "postgres://" or "postgresql://" selects
// PostgreSQL and is passed to pgx unchanged; "sqlite:PATH", "file:PATH" or a
// bare filesystem path selects an SQLite file, created if missing (its
// directory is not). SQLite URLs take no query parameters: the adapter sets
// the connection options it relies on itself.
//
// Open returns Invalid for a url it cannot use, Unavailable when the
// database cannot be reached, and Internal when a migration fails or the
// database carries migrations this program does not know (it is older than
// the schema).
func Open(ctx context.Context, url string) (*DB, error) {
	const op = "sqlstore.Open"
	kind, where, err := parseURL(url)
	if err != nil {
		return nil, &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The database URL is not valid.", Err: err}
	}
	db := &DB{d: dialects[kind], url: url}
	if err := db.openPools(ctx, op, where); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// parseURL tells which dialect url names and where the database is: the
// URL itself for PostgreSQL, the file's path for SQLite.
func parseURL(url string) (Kind, string, error) {
	lower := strings.ToLower(url)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return Postgres, url, nil
	}
	path := url
	for _, p := range []string{"sqlite:", "file:"} {
		if strings.HasPrefix(lower, p) {
			path = url[len(p):]
			break
		}
	}
	// Accept the URI forms sqlite:///abs/path and file://localhost/abs/path.
	if rest, ok := strings.CutPrefix(path, "//"); ok {
		host, p, _ := strings.Cut(rest, "/")
		if host != "" && !strings.EqualFold(host, "localhost") {
			return "", "", errors.New("sqlite: a remote host is not supported: " + host)
		}
		path = "/" + p
	}
	switch {
	case path == "" || path == "/":
		return "", "", errors.New("sqlite: empty path")
	case strings.ContainsAny(path, "?#"):
		return "", "", errors.New("sqlite: the URL takes a file path only, no parameters")
	case path == ":memory:" || strings.HasPrefix(path, ":memory:"):
		// Every pooled connection would see its own empty database.
		return "", "", errors.New("sqlite: in-memory databases are not supported; use a file in a temporary directory")
	}
	return SQLite, path, nil
}

// Kind returns the database's dialect.
func (db *DB) Kind() Kind { return db.d.kind }

// Ping checks that the database answers, for reads and for writes.
// Unavailable if it does not.
func (db *DB) Ping(ctx context.Context) error {
	for _, h := range db.handles() {
		if err := h.sql.PingContext(ctx); err != nil {
			return &apperr.Error{Op: "sqlstore.Ping", Code: apperr.Unavailable, Err: err}
		}
	}
	return nil
}

// Close closes the database; it waits for queries in progress to end.
func (db *DB) Close() error {
	var errs []error
	for _, h := range db.handles() {
		errs = append(errs, h.close())
	}
	return apperr.Wrap("sqlstore.Close", errors.Join(errs...))
}

// handles returns the database's distinct pools, readers first: on SQLite
// the last connection to close checkpoints the WAL into the file, and that
// is the writer's job.
func (db *DB) handles() []*handle {
	var out []*handle
	for _, h := range []*handle{db.reader, db.writer} {
		if h != nil && (len(out) == 0 || out[0] != h) {
			out = append(out, h)
		}
	}
	return out
}

// stats returns the statistics of the database's connection pools, summed
// over readers and writer.
func (db *DB) stats() sql.DBStats {
	var sum sql.DBStats
	for _, h := range db.handles() {
		s := h.sql.Stats()
		sum.MaxOpenConnections += s.MaxOpenConnections
		sum.OpenConnections += s.OpenConnections
		sum.InUse += s.InUse
		sum.Idle += s.Idle
		sum.WaitCount += s.WaitCount
		sum.WaitDuration += s.WaitDuration
		sum.MaxIdleClosed += s.MaxIdleClosed
		sum.MaxIdleTimeClosed += s.MaxIdleTimeClosed
		sum.MaxLifetimeClosed += s.MaxLifetimeClosed
	}
	return sum
}

// tx is a transaction that speaks the dialect: queries are written with "?"
// placeholders and rebound here.
type tx struct {
	tx *sql.Tx
	db *DB
	h  *handle // the pool the transaction's connection belongs to
	// uncached sends queries straight to the transaction: migrations query
	// tables their own transaction has just created, which a statement
	// prepared outside it cannot see.
	uncached bool
	// unprepared lists the queries this transaction found missing from the
	// cache; they are prepared for it once the transaction has given its
	// connection back (see handle.prepare).
	unprepared []string
}

// stmt returns the transaction's handle on the cached prepared statement for
// query. A query not yet in the cache is prepared on the transaction alone
// this time: preparing it for the pool needs a connection of its own,
// which a bounded pool whose connections are all in transactions (the
// SQLite writer always) would never free.
func (t *tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if !t.uncached {
		if s, ok := t.h.stmts.Load(query); ok {
			return t.tx.StmtContext(ctx, s.(*sql.Stmt)), nil
		}
		t.unprepared = append(t.unprepared, query)
	}
	return t.tx.PrepareContext(ctx, t.db.d.rebind(query))
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext through the statement cache; a failure to
// prepare surfaces from Scan, as with database/sql.
func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := t.stmt(ctx, query)
	if err != nil {
		// Let the driver report the bad query the usual way, from Scan.
		return t.tx.QueryRowContext(ctx, t.db.d.rebind(query), args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// queryIDs runs a query of one text column and returns its values as
// identifiers of type T, in the query's order; an empty slice, never nil,
// when it finds none.
func queryIDs[T ~string](ctx context.Context, t *tx, query string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, T(id))
	}
	return out, rows.Err()
}

// execCount runs a statement and returns how many rows it changed.
func (t *tx) execCount(ctx context.Context, query string, args ...any) (int, error) {
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// findOne runs a lookup that yields at most one row, read by scan, and
// returns that row, or NotFound with msg when there is none.
func findOne[T any](ctx context.Context, db *DB, op, msg string, scan func(*sql.Rows) ([]T, error), query string, args ...any) (T, error) {
	var out T
	err := db.read(ctx, op, func(tx *tx) error {
		rows, err := tx.query(ctx, query, args...)
		if err != nil {
			return err
		}
		list, err := scan(rows)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return apperr.E(op, apperr.NotFound, msg)
		}
		out = list[0]
		return nil
	})
	return out, err
}

// write runs fn in a read-write transaction on the writer, committing if fn
// returns nil. fn must not start another transaction: on SQLite the writer
// is one connection, which fn's own transaction holds.
func (db *DB) write(ctx context.Context, op string, fn func(*tx) error) error {
	return db.inTx(ctx, op, db.writer, nil, fn)
}

// read runs fn in a read-only transaction on a reader. On SQLite it is a
// deferred one on a query_only connection, so readers never queue for the
// write lock, nor behind the writer.
func (db *DB) read(ctx context.Context, op string, fn func(*tx) error) error {
	return db.inTx(ctx, op, db.reader, &sql.TxOptions{ReadOnly: true}, fn)
}

// migrateTx runs fn in a read-write transaction on the writer that bypasses
// the statement cache.
func (db *DB) migrateTx(ctx context.Context, op string, fn func(*tx) error) error {
	return db.inTx(ctx, op, db.writer, nil, func(t *tx) error {
		t.uncached = true
		return fn(t)
	})
}

func (db *DB) inTx(ctx context.Context, op string, h *handle, opts *sql.TxOptions, fn func(*tx) error) (err error) {
	stx, err := h.sql.BeginTx(ctx, opts)
	if err != nil {
		return apperr.Wrap(op, err)
	}
	t := &tx{tx: stx, db: db, h: h}
	// Deferred first so that it runs last, after the commit or rollback has
	// given the connection back to the pool.
	defer func() { h.prepare(ctx, db.d, t.unprepared) }()
	defer func() {
		// Release the connection's transaction, also when fn panics.
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
		if err != nil {
			stx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return wrap(op, err)
	}
	if err := stx.Commit(); err != nil {
		return wrap(op, err)
	}
	return nil
}

// wrap returns an *apperr.Error as built by the helper that knew what went
// wrong, and wraps anything else as Internal. Text the database refuses to
// store (PostgreSQL takes neither NUL nor invalid UTF-8, where SQLite takes
// both) is the caller's mistake, so it is Invalid on every store rather
// than a server error on one.
func wrap(op string, err error) error {
	if badEncoding(err) {
		return &apperr.Error{Op: op, Code: apperr.Invalid, Message: "The request holds text that is not valid (a NUL character or invalid UTF-8).", Err: err}
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		return err
	}
	return apperr.Wrap(op, err)
}

// badEncoding reports whether err is PostgreSQL refusing a string's bytes:
// character_not_in_repertoire (22021, NUL or invalid UTF-8),
// untranslatable_character (22P05), or an "invalid byte sequence" however
// it is classified.
func badEncoding(err error) bool {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code == "22021" || e.Code == "22P05" || strings.Contains(e.Message, "invalid byte sequence")
	}
	return err != nil && strings.Contains(err.Error(), "invalid byte sequence for encoding")
}

// rebind rewrites the "?" placeholders of query into the dialect's form.
// Question marks inside string literals, quoted identifiers and comments are
// left alone. Dollar-quoted strings and PostgreSQL's "?" operators are not
// recognised; queries in this package use neither.
func (d *dialect) rebind(query string) string {
	if !d.numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch c {
		case '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		case '\'', '"':
			// Copy through the closing quote; a doubled quote is an escaped
			// one and simply reopens the literal on the next iteration.
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
			continue
		case '-':
			if strings.HasPrefix(query[i:], "--") {
				end := strings.IndexByte(query[i:], '\n')
				if end < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+end+1])
				i += end
				continue
			}
		case '/':
			if strings.HasPrefix(query[i:], "/*") {
				end := strings.Index(query[i+2:], "*/")
				if end < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+2+end+2])
				i += 2 + end + 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// micros is how a time is stored: Unix microseconds, 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of micros; times come back in UTC.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}
