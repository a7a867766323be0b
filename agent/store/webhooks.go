package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Cursor is how far a webhook has been delivered: every state change (an
// event with from ≠ to) after LastEvent is still to be sent. Because events
// are committed with the state changes they record, a delivery can be
// repeated (a crash after sending, before the cursor moved) but never lost.
type Cursor struct {
	URL       string
	LastEvent int64
	Attempts  int
	NextAt    time.Time
	LastError string
}

// WebhookCursor returns a webhook's cursor; a new webhook starts at the
// newest event (it is not sent the past).
func (s *Store) WebhookCursor(ctx context.Context, url string) (Cursor, error) {
	c := Cursor{URL: url}
	var next int64
	err := s.db.QueryRowContext(ctx, `SELECT last_event, attempts, next_at, last_error FROM webhook_cursors WHERE url=?`, url).
		Scan(&c.LastEvent, &c.Attempts, &next, &c.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		var maxID sql.NullInt64
		if err := s.db.QueryRowContext(ctx, `SELECT MAX(id) FROM events`).Scan(&maxID); err != nil {
			return c, err
		}
		c.LastEvent = maxID.Int64
		_, err = s.db.ExecContext(ctx, `INSERT INTO webhook_cursors (url, last_event) VALUES (?, ?) ON CONFLICT(url) DO NOTHING`, url, c.LastEvent)
		return c, err
	}
	c.NextAt = fromMS(next)
	return c, err
}

// AdvanceWebhook records a delivered event.
func (s *Store) AdvanceWebhook(ctx context.Context, url string, eventID int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_cursors SET last_event=?, attempts=0, next_at=0, last_error='' WHERE url=?`, eventID, url)
	if err != nil {
		return fmt.Errorf("webhook cursor: %w", err)
	}
	return nil
}

// WebhookFailed records a failed delivery and when to try again.
func (s *Store) WebhookFailed(ctx context.Context, url string, attempts int, next time.Time, msg string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_cursors SET attempts=?, next_at=?, last_error=? WHERE url=?`, attempts, ms(next), msg, url)
	return err
}

// StateEventsAfter returns state changes after an event id, oldest first.
func (s *Store) StateEventsAfter(ctx context.Context, after int64, limit int) ([]Event, error) {
	return s.queryEvents(ctx, `SELECT id, job_id, at, from_state, to_state, message FROM events
		WHERE id > ? AND from_state <> to_state ORDER BY id LIMIT ?`, after, limit)
}

// FirstPrinted returns when each package of a job was first printed.
func (s *Store) FirstPrinted(ctx context.Context, jobID int64) (map[int64]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT pr.package_id, MIN(pr.finished_at) FROM prints pr JOIN packages p ON p.id = pr.package_id
		WHERE p.job_id=? AND pr.outcome=? GROUP BY pr.package_id`, jobID, PrintDone)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = fromMS(at)
	}
	return out, rows.Err()
}
