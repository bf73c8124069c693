package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// migrationFiles holds each dialect's migrations. Files are applied in name
// order and never edited once released: a schema change is a new file in
// both directories.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migrationName is the shape of a migration file name: a four-digit
// sequence number and a short description.
var migrationName = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+\.sql$`)

// createSchemaMigrations records which migrations a database has. It is
// created by code rather than by a migration because it must exist before
// the first one runs.
const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    TEXT   NOT NULL PRIMARY KEY,
	applied_at BIGINT NOT NULL
)`

type migration struct {
	version string // file name without ".sql"
	sql     string
}

// migrations returns the dialect's migrations in the order they apply.
func migrations(k Kind) ([]migration, error) {
	dir := path.Join("migrations", string(k))
	entries, err := fs.ReadDir(migrationFiles, dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		if !migrationName.MatchString(e.Name()) {
			return nil, fmt.Errorf("migration %s/%s: name must look like 0001_description.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: strings.TrimSuffix(e.Name(), ".sql"), sql: string(b)})
	}
	return out, nil
}

// migrate applies the migrations the database lacks, each file in its own
// transaction together with its schema_migrations row, so a failure leaves
// the database at the last complete file. Every transaction first takes the
// dialect's migration lock, so a second process opening the database at the
// same moment waits and then finds the file applied.
func (db *DB) migrate(ctx context.Context) error {
	const op = "sqlstore.migrate"
	ms, err := migrations(db.d.kind)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(ms))
	for _, m := range ms {
		known[m.version] = true
	}

	// A database migrated by a newer release may have a schema this code
	// would misread; refuse it rather than guess.
	err = db.migrateTx(ctx, op, func(tx *tx) error {
		applied, err := appliedMigrations(ctx, tx)
		if err != nil {
			return err
		}
		for _, v := range applied {
			if !known[v] {
				return fmt.Errorf("the database has migration %s, which this program does not know: it is older than the database schema", v)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	for _, m := range ms {
		err := db.migrateTx(ctx, op, func(tx *tx) error { return applyMigration(ctx, tx, m) })
		if err != nil {
			return fmt.Errorf("migration %s/%s: %w", db.d.kind, m.version, err)
		}
	}
	return nil
}

// appliedMigrations takes the migration lock, makes sure schema_migrations
// exists and returns its versions.
func appliedMigrations(ctx context.Context, tx *tx) ([]string, error) {
	if tx.db.d.migrationLock != "" {
		if _, err := tx.exec(ctx, tx.db.d.migrationLock); err != nil {
			return nil, err
		}
	}
	// Under the lock, so concurrent CREATE TABLE IF NOT EXISTS cannot race
	// on PostgreSQL's catalog.
	if _, err := tx.exec(ctx, createSchemaMigrations); err != nil {
		return nil, err
	}
	rows, err := tx.query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// applyMigration runs m unless it has been applied already.
func applyMigration(ctx context.Context, tx *tx, m migration) error {
	applied, err := appliedMigrations(ctx, tx)
	if err != nil {
		return err
	}
	for _, v := range applied {
		if v == m.version {
			return nil
		}
	}
	// No arguments: pgx then uses the simple protocol, which accepts a file
	// of several statements; modernc runs them one after another.
	if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, `+tx.db.d.nowMicros+`)`, m.version)
	return err
}
