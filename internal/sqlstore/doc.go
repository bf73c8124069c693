// Package sqlstore is Hearth's one relational adapter: it implements the
// domain packages' Store interfaces on database/sql, for SQLite (the embedded
// default, through the pure-Go modernc.org/sqlite driver) and PostgreSQL
// (through pgx).
//
// Queries are written once, with "?" placeholders, in SQL both databases
// accept; the small dialect table in db.go holds only what truly differs
// (placeholder syntax, how to serialise migrations, how constraint
// violations are reported, the current-time expression). Each dialect has its
// own forward-only migrations under migrations/<dialect>/, embedded in the
// binary and applied by Open; TestMigrationsMatch keeps the two lists in step.
//
// Conventions that hold in every table:
//   - times are 64-bit integers of Unix microseconds in UTC, with 0 standing
//     for the zero time.Time, so both dialects compare and index them the same
//     way and no driver time conversion is involved;
//   - byte strings are BLOB (SQLite) or BYTEA (PostgreSQL);
//   - every public store method runs in one transaction; the unexported
//     helpers take that transaction so that methods can compose them.
//
// SQLite connections run in WAL mode with foreign keys enforced, a 5 s busy
// timeout, synchronous=FULL (ledgers and consent records share the file), and
// BEGIN IMMEDIATE for every read-write transaction: a deferred transaction
// that reads and then writes cannot wait for the write lock and would fail
// with SQLITE_BUSY under concurrent writers, where an immediate one queues.
//
// Connections are pooled and kept (pool.go): on SQLite, one writer
// connection for read-write transactions and a bounded pool of query_only
// readers; on PostgreSQL, one bounded pool. No connection is closed while
// the DB is open, so no request pays for opening one, and each keeps its
// prepared statements. A transaction must therefore not start another
// (the SQLite writer is a single connection): store methods compose by
// passing their transaction to helpers, and callbacks run inside a
// transaction must not call the store.
package sqlstore
