package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Job is one CNExpress request and its packages.
type Job struct {
	ID          int64
	State       State
	Attention   Attention // why it needs attention; "" otherwise
	Source      string    // inbox file name, "cli" or "api"
	SourceHash  string    // sha256 of the inbox file
	SourceDone  bool      // the inbox file has been moved out of the inbox
	SourceMoved string    // where the inbox file went (done/NAME-2.json…)
	OrderNo     string
	RouteCode   string
	Order       []byte // the order JSON as posted; nil for attached requests
	RequestNo   string
	TestMode    bool
	Error       string
	Attempts    int       // tries of the current step
	NextAt      time.Time // not before this time
	SubmittedAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Packages    []Package
}

// Package is one parcel of a job.
type Package struct {
	ID         int64
	Index      int
	PackageNo  string
	TrackingNo string
	Cost       float64
	Waybill    string // path of the downloaded waybill PDF
	Label      string // path of the 100×150 label file
	Prints     int    // completed prints, reprints included
	AutoPrint  bool   // an automatic print was started (whatever its outcome)
}

// NewJob is what intake knows about a new job.
type NewJob struct {
	State      State // Queued, or Submitted for an attached request
	Source     string
	SourceHash string
	OrderNo    string
	RouteCode  string
	Order      []byte
	RequestNo  string
	Message    string // for the event log
}

// CreateJob inserts a job and its first event.
func (s *Store) CreateJob(ctx context.Context, n NewJob) (int64, error) {
	if n.State == 0 {
		n.State = Queued
	}
	now := ms(s.now())
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO jobs (state, source, source_hash, order_no, route_code, order_json, request_no, submitted_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.State, n.Source, n.SourceHash, n.OrderNo, n.RouteCode, n.Order, n.RequestNo, submittedAt(n.State, now), now, now)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return addEvent(ctx, tx, id, 0, n.State, n.Message, now)
	})
	if err != nil {
		return 0, fmt.Errorf("create job: %w", err)
	}
	return id, nil
}

func submittedAt(st State, now int64) int64 {
	if st == Submitted {
		return now
	}
	return 0
}

func addEvent(ctx context.Context, tx *sql.Tx, jobID int64, from, to State, msg string, at int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (job_id, at, from_state, to_state, message) VALUES (?, ?, ?, ?, ?)`,
		jobID, at, from, to, msg)
	return err
}

// ErrUnchanged may be returned by an Update function to write nothing.
var ErrUnchanged = errors.New("unchanged")

// Update loads a job in a write transaction, lets fn change it, and writes
// it back with its packages. When the state changes, an event with fn's
// message is recorded in the same transaction. fn may return ErrUnchanged
// to commit nothing.
func (s *Store) Update(ctx context.Context, id int64, fn func(j *Job) (msg string, err error)) (*Job, error) {
	var out *Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		j, err := loadJob(ctx, tx, id)
		if err != nil {
			return err
		}
		before := j.State
		msg, err := fn(j)
		if err != nil {
			return err
		}
		now := s.now()
		j.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state=?, attention=?, source_done=?, source_moved=?, order_no=?, route_code=?, order_json=?,
			request_no=?, test_mode=?, error=?, attempts=?, next_at=?, submitted_at=?, updated_at=? WHERE id=?`,
			j.State, j.Attention, j.SourceDone, j.SourceMoved, j.OrderNo, j.RouteCode, j.Order, j.RequestNo, j.TestMode, j.Error,
			j.Attempts, ms(j.NextAt), ms(j.SubmittedAt), ms(now), j.ID); err != nil {
			return err
		}
		if err := savePackages(ctx, tx, j, ms(now)); err != nil {
			return err
		}
		if before != j.State || msg != "" {
			if err := addEvent(ctx, tx, j.ID, before, j.State, msg, ms(now)); err != nil {
				return err
			}
		}
		out = j
		return nil
	})
	if errors.Is(err, ErrUnchanged) {
		return s.Job(ctx, id)
	}
	if err != nil {
		return nil, fmt.Errorf("update job %d: %w", id, err)
	}
	return out, nil
}

func savePackages(ctx context.Context, tx *sql.Tx, j *Job, now int64) error {
	keep := []string{"0"}
	for _, p := range j.Packages {
		if p.ID != 0 {
			keep = append(keep, fmt.Sprint(p.ID))
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM packages WHERE job_id=? AND id NOT IN (`+strings.Join(keep, ",")+`)`, j.ID); err != nil {
		return err
	}
	for i := range j.Packages {
		p := &j.Packages[i]
		if p.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO packages (job_id, idx, package_no, tracking_no, cost) VALUES (?, ?, ?, ?, ?)`,
				j.ID, p.Index, p.PackageNo, p.TrackingNo, p.Cost)
			if err != nil {
				return err
			}
			if p.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE packages SET package_no=?, tracking_no=?, cost=? WHERE id=?`,
			p.PackageNo, p.TrackingNo, p.Cost, p.ID); err != nil {
			return err
		}
		for kind, path := range map[string]string{"waybill": p.Waybill, "label": p.Label} {
			if path == "" {
				if _, err := tx.ExecContext(ctx, `DELETE FROM label_files WHERE package_id=? AND kind=?`, p.ID, kind); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO label_files (package_id, kind, path, created_at) VALUES (?, ?, ?, ?)
				ON CONFLICT(package_id, kind) DO UPDATE SET path=excluded.path, created_at=excluded.created_at`, p.ID, kind, path, now); err != nil {
				return err
			}
		}
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const jobCols = `id, state, attention, source, source_hash, source_done, source_moved, order_no, route_code, order_json, request_no,
	test_mode, error, attempts, next_at, submitted_at, created_at, updated_at`

func scanJob(sc interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var next, sub, created, updated int64
	if err := sc.Scan(&j.ID, &j.State, &j.Attention, &j.Source, &j.SourceHash, &j.SourceDone, &j.SourceMoved, &j.OrderNo, &j.RouteCode,
		&j.Order, &j.RequestNo, &j.TestMode, &j.Error, &j.Attempts, &next, &sub, &created, &updated); err != nil {
		return nil, err
	}
	j.NextAt, j.SubmittedAt, j.CreatedAt, j.UpdatedAt = fromMS(next), fromMS(sub), fromMS(created), fromMS(updated)
	return &j, nil
}

func loadJob(ctx context.Context, q querier, id int64) (*Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if err := loadPackages(ctx, q, []*Job{j}); err != nil {
		return nil, err
	}
	return j, nil
}

func loadPackages(ctx context.Context, q querier, jobs []*Job) error {
	if len(jobs) == 0 {
		return nil
	}
	byID := make(map[int64]*Job, len(jobs))
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		byID[j.ID] = j
		j.Packages = nil
		ids[i] = fmt.Sprint(j.ID)
	}
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.job_id, p.idx, p.package_no, p.tracking_no, p.cost,
		COALESCE((SELECT path FROM label_files WHERE package_id=p.id AND kind='waybill'), ''),
		COALESCE((SELECT path FROM label_files WHERE package_id=p.id AND kind='label'), ''),
		(SELECT COUNT(*) FROM prints WHERE package_id=p.id AND outcome='done'),
		EXISTS(SELECT 1 FROM prints WHERE package_id=p.id AND reprint=0 AND outcome<>'failed')
		FROM packages p WHERE p.job_id IN (`+strings.Join(ids, ",")+`) ORDER BY p.job_id, p.idx`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p Package
		var jobID int64
		if err := rows.Scan(&p.ID, &jobID, &p.Index, &p.PackageNo, &p.TrackingNo, &p.Cost, &p.Waybill, &p.Label, &p.Prints, &p.AutoPrint); err != nil {
			return err
		}
		byID[jobID].Packages = append(byID[jobID].Packages, p)
	}
	return rows.Err()
}

// Job returns one job with its packages.
func (s *Store) Job(ctx context.Context, id int64) (*Job, error) {
	return loadJob(ctx, s.db, id)
}

// Filter selects jobs; zero values select everything.
type Filter struct {
	States    []State
	RequestNo string
	Limit     int
	Offset    int
	DueBefore time.Time // only jobs whose NextAt is not after this
}

// Jobs lists jobs, newest first (oldest first when DueBefore is set).
func (s *Store) Jobs(ctx context.Context, f Filter) ([]*Job, error) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, st := range f.States {
			ph[i] = "?"
			args = append(args, st)
		}
		where = append(where, "state IN ("+strings.Join(ph, ",")+")")
	}
	if f.RequestNo != "" {
		where = append(where, "request_no = ?")
		args = append(args, f.RequestNo)
	}
	order := "id DESC"
	if !f.DueBefore.IsZero() {
		where = append(where, "next_at <= ?")
		args = append(args, ms(f.DueBefore))
		order = "next_at, id"
	}
	q := `SELECT ` + jobCols + ` FROM jobs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY " + order
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, f.Offset)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	var jobs []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	if err := loadPackages(ctx, s.db, jobs); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return jobs, nil
}

// FindSource returns the job made from an inbox file with this name and
// content that has not been moved out of the inbox yet (the agent stopped
// between the two steps), or nil.
func (s *Store) FindSource(ctx context.Context, name, hash string) (*Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE source=? AND source_hash=? AND source_done=0 ORDER BY id DESC LIMIT 1`, name, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return j, err
}

// CountActive returns how many jobs the pipeline still has work on.
func (s *Store) CountActive(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state IN (?, ?, ?, ?, ?)`,
		Queued, Submitted, Succeeded, LabelsReady, WaitingForPrinter).Scan(&n)
	return n, err
}

// NextDue returns the earliest time a job in one of the states is due, or
// the zero time when there is none.
func (s *Store) NextDue(ctx context.Context, states []State) (time.Time, error) {
	if len(states) == 0 {
		return time.Time{}, nil
	}
	ph := make([]string, len(states))
	args := make([]any, len(states))
	for i, st := range states {
		ph[i], args[i] = "?", st
	}
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(next_at) FROM jobs WHERE state IN (`+strings.Join(ph, ",")+`)`, args...).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return fromMS(next.Int64), nil
}

// Event is one line of a job's history.
type Event struct {
	ID      int64     `json:"id"`
	JobID   int64     `json:"job_id"`
	At      time.Time `json:"at"`
	From    State     `json:"from,omitempty"`
	To      State     `json:"to,omitempty"`
	Message string    `json:"message"`
}

// Events returns a job's history, oldest first (all jobs when jobID is 0,
// newest limit events).
func (s *Store) Events(ctx context.Context, jobID int64, limit int) ([]Event, error) {
	q := `SELECT id, job_id, at, from_state, to_state, message FROM (SELECT * FROM events`
	var args []any
	if jobID != 0 {
		q += ` WHERE job_id=?`
		args = append(args, jobID)
	}
	if limit <= 0 {
		limit = 1000
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d) ORDER BY id`, limit)
	return s.queryEvents(ctx, q, args...)
}

// queryEvents runs a query selecting id, job_id, at, from_state, to_state,
// message.
func (s *Store) queryEvents(ctx context.Context, q string, args ...any) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &e.JobID, &at, &e.From, &e.To, &e.Message); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// FindCode returns the jobs a scanned or typed code names: a tracking,
// request, order or package number (newest first).
func (s *Store) FindCode(ctx context.Context, code string) ([]*Job, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT j.id FROM jobs j LEFT JOIN packages p ON p.job_id = j.id
		WHERE j.request_no = ?1 OR j.order_no = ?1 OR p.tracking_no = ?1 OR p.package_no = ?1
		   OR (j.request_no || '-' || p.tracking_no) = ?1 ORDER BY j.id DESC LIMIT 50`, code)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]*Job, 0, len(ids))
	for _, id := range ids {
		j, err := s.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// JobsSince returns jobs created at or after t, oldest first.
func (s *Store) JobsSince(ctx context.Context, t time.Time) ([]*Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE created_at >= ? ORDER BY id`, ms(t))
	if err != nil {
		return nil, err
	}
	var jobs []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return jobs, loadPackages(ctx, s.db, jobs)
}
