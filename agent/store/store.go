package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned for a job, package or print that does not exist.
var ErrNotFound = errors.New("not found")

// migrations are applied in order; PRAGMA user_version counts them.
var migrations = []string{`
CREATE TABLE jobs (
	id           INTEGER PRIMARY KEY,
	state        INTEGER NOT NULL,
	attention    TEXT    NOT NULL DEFAULT '',
	source       TEXT    NOT NULL,
	source_hash  TEXT    NOT NULL DEFAULT '',
	source_done  INTEGER NOT NULL DEFAULT 0,
	order_no     TEXT    NOT NULL DEFAULT '',
	route_code   TEXT    NOT NULL DEFAULT '',
	order_json   BLOB,
	request_no   TEXT    NOT NULL DEFAULT '',
	test_mode    INTEGER NOT NULL DEFAULT 0,
	error        TEXT    NOT NULL DEFAULT '',
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      INTEGER NOT NULL DEFAULT 0,
	submitted_at INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_state ON jobs(state, next_at);
CREATE INDEX jobs_request ON jobs(request_no);
CREATE INDEX jobs_source ON jobs(source, source_hash);
CREATE TABLE packages (
	id          INTEGER PRIMARY KEY,
	job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	idx         INTEGER NOT NULL,
	package_no  TEXT    NOT NULL DEFAULT '',
	tracking_no TEXT    NOT NULL DEFAULT '',
	cost        REAL    NOT NULL DEFAULT 0,
	UNIQUE(job_id, idx)
);
CREATE INDEX packages_tracking ON packages(tracking_no);
CREATE TABLE label_files (
	package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
	kind       TEXT    NOT NULL,
	path       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY(package_id, kind)
);
CREATE TABLE prints (
	id          INTEGER PRIMARY KEY,
	package_id  INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
	printer     TEXT    NOT NULL,
	reprint     INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT    NOT NULL,
	error       TEXT    NOT NULL DEFAULT '',
	started_at  INTEGER NOT NULL,
	finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX prints_package ON prints(package_id);
CREATE TABLE events (
	id         INTEGER PRIMARY KEY,
	job_id     INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
	at         INTEGER NOT NULL,
	from_state INTEGER NOT NULL DEFAULT 0,
	to_state   INTEGER NOT NULL DEFAULT 0,
	message    TEXT    NOT NULL
);
CREATE INDEX events_job ON events(job_id);
`, `
ALTER TABLE jobs ADD COLUMN source_moved TEXT NOT NULL DEFAULT '';
CREATE TABLE webhook_cursors (
	url        TEXT PRIMARY KEY,
	last_event INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_at    INTEGER NOT NULL DEFAULT 0,
	last_error TEXT    NOT NULL DEFAULT ''
);
`, `
CREATE TABLE settings (
	key        TEXT PRIMARY KEY,
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
);
`}

// Store is the agent's database. Safe for concurrent use, and by several
// processes at once (the CLI beside a running agent).
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Open opens (creating and migrating) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(15000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, now: time.Now}
	// Switching a new database to WAL takes a lock that SQLite does not
	// wait for: another process opening it at the same moment gets BUSY.
	for attempt := 0; ; attempt++ {
		err = s.migrate(ctx)
		if err == nil || attempt == 50 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// migrate applies the migrations not yet applied. Each runs in a write
// transaction that reads the version itself, so two processes opening a
// new database at once (the agent and the CLI) cannot both apply one.
func (s *Store) migrate(ctx context.Context) error {
	for i := range migrations {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var version int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
				return err
			}
			if version > len(migrations) {
				return fmt.Errorf("database schema %d is newer than this cnx-agent (%d): upgrade cnx-agent", version, len(migrations))
			}
			if version > i {
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
