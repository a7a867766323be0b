package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Outcome is the result of one print attempt.
type Outcome string

// Print outcomes. "started" is committed before the printer is touched; a
// print found "started" after a restart becomes "unknown".
const (
	PrintStarted Outcome = "started"
	PrintDone    Outcome = "done"
	PrintFailed  Outcome = "failed" // the printer refused: nothing printed
	PrintUnknown Outcome = "unknown"
)

// PrintRecord is one print attempt of a package's label.
type PrintRecord struct {
	ID         int64     `json:"id"`
	PackageID  int64     `json:"package_id"`
	Printer    string    `json:"printer"`
	Reprint    bool      `json:"reprint"`
	Outcome    Outcome   `json:"outcome"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// BeginPrint commits a "started" attempt; call it before the printer gets
// a single byte.
func (s *Store) BeginPrint(ctx context.Context, packageID int64, printer string, reprint bool) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO prints (package_id, printer, reprint, outcome, started_at) VALUES (?, ?, ?, ?, ?)`,
		packageID, printer, reprint, PrintStarted, ms(s.now()))
	if err != nil {
		return 0, fmt.Errorf("begin print of package %d: %w", packageID, err)
	}
	return res.LastInsertId()
}

// FinishPrint records how a print attempt ended.
func (s *Store) FinishPrint(ctx context.Context, printID int64, outcome Outcome, errMsg string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE prints SET outcome=?, error=?, finished_at=? WHERE id=?`,
		outcome, errMsg, ms(s.now()), printID)
	if err != nil {
		return fmt.Errorf("finish print %d: %w", printID, err)
	}
	return nil
}

// Prints returns a package's print attempts, oldest first.
func (s *Store) Prints(ctx context.Context, packageID int64) ([]PrintRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, package_id, printer, reprint, outcome, error, started_at, finished_at
		FROM prints WHERE package_id=? ORDER BY id`, packageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PrintRecord
	for rows.Next() {
		var p PrintRecord
		var st, fin int64
		if err := rows.Scan(&p.ID, &p.PackageID, &p.Printer, &p.Reprint, &p.Outcome, &p.Error, &st, &fin); err != nil {
			return nil, err
		}
		p.StartedAt, p.FinishedAt = fromMS(st), fromMS(fin)
		out = append(out, p)
	}
	return out, rows.Err()
}

// ForgetAutoPrints marks the job's automatic print attempts that did not
// complete as failed, so that the pipeline prints those labels again: the
// action a person takes on a print that may not have come out.
func (s *Store) ForgetAutoPrints(ctx context.Context, jobID int64, why string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE prints SET outcome=?, error=CASE WHEN error='' THEN ? ELSE error||'; '||? END
		WHERE reprint=0 AND outcome IN (?, ?) AND package_id IN (SELECT id FROM packages WHERE job_id=?)`,
		PrintFailed, why, why, PrintStarted, PrintUnknown, jobID)
	return err
}

// Recover runs once at start-up, before the pipeline: a job caught in
// Submitting (its POST may have reached CNExpress) and a print caught
// started (the label may have come out) are handed to a person instead of
// being repeated. It returns the jobs it changed.
func (s *Store) Recover(ctx context.Context) ([]int64, error) {
	var changed []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := ms(s.now())
		rows, err := tx.QueryContext(ctx, `SELECT id FROM jobs WHERE state=?`, Submitting)
		if err != nil {
			return err
		}
		var submitting []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			submitting = append(submitting, id)
		}
		rows.Close()
		for _, id := range submitting {
			const msg = "the agent stopped while posting this order, so CNExpress may or may not have it: resubmit, or attach its request number"
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state=?, attention=?, error=?, updated_at=? WHERE id=?`,
				NeedsAttention, AttnSubmitUnknown, msg, now, id); err != nil {
				return err
			}
			if err := addEvent(ctx, tx, id, Submitting, NeedsAttention, msg, now); err != nil {
				return err
			}
			changed = append(changed, id)
		}

		rows, err = tx.QueryContext(ctx, `SELECT pk.job_id, j.state, pr.reprint, pk.tracking_no FROM prints pr
			JOIN packages pk ON pk.id = pr.package_id JOIN jobs j ON j.id = pk.job_id
			WHERE pr.outcome=?`, PrintStarted)
		if err != nil {
			return err
		}
		type hit struct {
			job      int64
			state    State
			reprint  bool
			tracking string
		}
		var hits []hit
		for rows.Next() {
			var h hit
			if err := rows.Scan(&h.job, &h.state, &h.reprint, &h.tracking); err != nil {
				rows.Close()
				return err
			}
			hits = append(hits, h)
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, `UPDATE prints SET outcome=?, error='the agent stopped during this print', finished_at=? WHERE outcome=?`,
			PrintUnknown, now, PrintStarted); err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, h := range hits {
			if h.reprint || (h.state != LabelsReady && h.state != WaitingForPrinter) || seen[h.job] {
				continue
			}
			seen[h.job] = true
			msg := fmt.Sprintf("the agent stopped while printing the label of %s, so it may or may not have printed: check the printer, then print again if it is missing", h.tracking)
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state=?, attention=?, error=?, updated_at=? WHERE id=?`,
				NeedsAttention, AttnPrintUnknown, msg, now, h.job); err != nil {
				return err
			}
			if err := addEvent(ctx, tx, h.job, h.state, NeedsAttention, msg, now); err != nil {
				return err
			}
			changed = append(changed, h.job)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	return changed, nil
}

// LastPrint returns the job and tracking number of the label printed last.
func (s *Store) LastPrint(ctx context.Context) (jobID int64, trackingNo string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT pk.job_id, pk.tracking_no FROM prints pr JOIN packages pk ON pk.id = pr.package_id
		WHERE pr.outcome = ? ORDER BY pr.id DESC LIMIT 1`, PrintDone).Scan(&jobID, &trackingNo)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("no label has been printed yet: %w", ErrNotFound)
	}
	return jobID, trackingNo, err
}

// Counts returns how many jobs are in each state.
func (s *Store) Counts(ctx context.Context) (map[State]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var st State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

// EventsAfter returns events with an id above after, oldest first.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error) {
	return s.queryEvents(ctx, `SELECT id, job_id, at, from_state, to_state, message FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}
