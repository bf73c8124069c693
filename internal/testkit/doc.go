// Package testkit builds Hearth's domain services for tests, wired as
// cmd/hearth wires them, over a fresh database (SQLite, or PostgreSQL when
// sqltest's variable names a server), a fake clock and a transparency log
// in a temp directory; and makes the accounts, households, members and
// devices tests start from through the services themselves, never with
// raw SQL.
//
// It is imported by tests only: a dependency rule forbids non-test files
// to import it.
package testkit
