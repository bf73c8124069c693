package sqlstore

import (
	"context"
	"database/sql"
	"runtime"
	"strings"
	"sync"
	"time"

	"hearth/internal/apperr"
)

// Connection pools. Opening a connection is expensive on both dialects: an
// SQLite connection reads and parses the whole schema and starts with no
// prepared statements; a PostgreSQL one costs a TCP handshake,
// authentication and a server process. So every pool is bounded and keeps
// all its connections open for the life of the DB (as many idle as open, no
// lifetime or idle expiry): a burst of requests queues for a connection
// instead of opening one each and closing it again.
//
// SQLite has one writer connection and a pool of readers. Writes are
// serialised by the file's write lock anyway; queueing them in the pool
// instead of on that lock means a waiting writer sleeps instead of retrying
// on the busy timeout, and no write fails with "database is locked" within
// the process. In WAL mode readers never wait for the writer, so reads go to
// their own connections, which are query_only: a read transaction that
// tried to write would fail rather than bypass the writer.
//
// PostgreSQL has one pool for both: the server orders concurrent writers
// itself, and a connection there is a server process, which the pool bound
// keeps well below the server's default max_connections of 100 even with a
// few Hearth nodes sharing it. It is database/sql's own pool over pgx's
// driver rather than pgxpool under database/sql: one pool to bound and keep,
// and the statements database/sql prepares live on its connections, which
// a second pool underneath could close or recycle on its own schedule.

// sqliteReaders is the size of the SQLite reader pool. SQLite runs inside
// this process, so reads are CPU work on this machine's cores: more
// concurrent readers than cores only adds connections (each with its own
// page cache and copy of the schema) without adding throughput. Twice the
// cores leaves room for readers waiting on the disk; at least 4 so that a
// small machine still serves a few slow reads side by side.
func sqliteReaders() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// postgresConns is the size of the PostgreSQL pool. The work happens in the
// server and a transaction spends most of its time waiting on round trips,
// so a connection per core is too few to keep either side busy; 4 per core
// (at least 8) keeps the server busy without each of a few nodes taking a
// large share of its connections.
func postgresConns() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// handle is one database/sql pool and the statements prepared through it. A
// *sql.Stmt belongs to the pool it was prepared on, so each pool has its own
// cache.
type handle struct {
	sql *sql.DB
	// stmts caches prepared statements by query text. database/sql keeps
	// each prepared on every connection that has used it, so a query is
	// parsed once per connection instead of once per call.
	stmts sync.Map // string -> *sql.Stmt
}

// openHandle opens a pool of at most size connections, all kept open once
// opened, and waits until the first connection answers.
func openHandle(ctx context.Context, kind Kind, driver, dsn string, size int) (*handle, error) {
	sdb, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(size)
	sdb.SetMaxIdleConns(size)
	sdb.SetConnMaxLifetime(0)
	sdb.SetConnMaxIdleTime(0)
	if err := connect(ctx, sdb, kind); err != nil {
		sdb.Close()
		return nil, err
	}
	return &handle{sql: sdb}, nil
}

// connect opens the first connection. On SQLite, a process opening a new
// file while another switches it to WAL gets SQLITE_BUSY at once: changing
// the journal mode does not wait on the busy timeout. The switch takes
// milliseconds, so retry for a few seconds.
func connect(ctx context.Context, sdb *sql.DB, kind Kind) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := sdb.PingContext(ctx)
		if err == nil || kind != SQLite || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// prepare adds the statements for queries to the cache. It must be called
// with no transaction of this goroutine open on h: it takes a connection
// from the pool, and a bounded pool may have no other to give. A failure is
// left for the next use of the query to meet again.
func (h *handle) prepare(ctx context.Context, d *dialect, queries []string) {
	for _, q := range queries {
		if _, ok := h.stmts.Load(q); ok {
			continue
		}
		s, err := h.sql.PrepareContext(ctx, d.rebind(q))
		if err != nil {
			continue
		}
		if _, loaded := h.stmts.LoadOrStore(q, s); loaded {
			s.Close()
		}
	}
}

func (h *handle) close() error {
	h.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return h.sql.Close()
}

// openPools opens the pools of the database at where (a PostgreSQL URL or an
// SQLite file path) and applies its migrations, which run on the writer
// before any reader connects. It returns Unavailable when the database
// cannot be reached and the migration's error when one fails; db.Close
// releases whatever it opened.
func (db *DB) openPools(ctx context.Context, op, where string) error {
	unavailable := func(err error) error { return &apperr.Error{Op: op, Code: apperr.Unavailable, Err: err} }
	if db.d.kind == Postgres {
		h, err := openHandle(ctx, Postgres, db.d.driver, where, postgresConns())
		if err != nil {
			return unavailable(err)
		}
		db.reader, db.writer = h, h
		return apperr.Wrap(op, db.migrate(ctx))
	}
	w, err := openHandle(ctx, SQLite, db.d.driver, sqliteDSN(where), 1)
	if err != nil {
		return unavailable(err)
	}
	db.writer = w
	if err := db.migrate(ctx); err != nil {
		return apperr.Wrap(op, err)
	}
	r, err := openHandle(ctx, SQLite, db.d.driver, sqliteReaderDSN(where), sqliteReaders())
	if err != nil {
		return unavailable(err)
	}
	db.reader = r
	return nil
}

// sqliteDSN builds the modernc DSN for the writer connection to the file at
// path. The file: URI form keeps a path containing '%' intact.
// busy_timeout lets the writer wait for another process's write lock
// instead of failing; _txlock=immediate takes that lock at BEGIN for every
// read-write transaction, where the busy timeout applies (read-only
// transactions stay deferred).
func sqliteDSN(path string) string {
	return sqliteFile(path) +
		"?_pragma=busy_timeout(5000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(FULL)" +
		"&_pragma=temp_store(2)" + // statement journals in memory: they need no durability
		"&_txlock=immediate"
}

// sqliteReaderDSN builds the DSN for a reader connection. The journal mode
// is not set: WAL is a property of the file, set by the writer before any
// reader connects, and setting it again could meet SQLITE_BUSY, which the
// busy timeout does not cover, each time the pool opens a reader.
// Synchronous and foreign keys concern writes only. The busy timeout
// covers the rare moments a WAL reader must wait (another connection
// recovering the WAL index).
func sqliteReaderDSN(path string) string {
	return sqliteFile(path) +
		"?_pragma=busy_timeout(5000)" +
		"&_pragma=temp_store(2)" + // sorts and temporary indexes in memory
		"&_pragma=query_only(1)"
}

func sqliteFile(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
}
