package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func open(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cnx.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestStateNames(t *testing.T) {
	t.Parallel()
	for s := Queued; s <= WaitingForPrinter; s++ {
		got, err := ParseState(s.String())
		if err != nil || got != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseState("done"); err == nil {
		t.Error("ParseState(done) succeeded")
	}
	if got := LabelsReady.String(); got != "labels_ready" {
		t.Errorf("got %q", got)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := open(t)
	id, err := s.CreateJob(ctx, NewJob{Source: "a.json", OrderNo: "1", Order: []byte(`{}`), Message: "queued"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, id, func(j *Job) (string, error) {
		j.State, j.RequestNo = Submitted, "CE1"
		j.Packages = []Package{{Index: 0, PackageNo: "p1"}, {Index: 1}}
		return "posted", nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	j, err := s2.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Submitted || j.RequestNo != "CE1" || len(j.Packages) != 2 || j.Packages[0].PackageNo != "p1" {
		t.Fatalf("after reopen: %+v", j)
	}
	var mode string
	if err := s2.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v", mode, err)
	}
	ev, err := s2.Events(ctx, id, 0)
	if err != nil || len(ev) != 2 || ev[1].From != Queued || ev[1].To != Submitted || ev[1].Message != "posted" {
		t.Errorf("events %+v, %v", ev, err)
	}
}

func TestUpdateUnchangedAndMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	id, _ := s.CreateJob(ctx, NewJob{Source: "cli"})
	boom := errors.New("boom")
	if _, err := s.Update(ctx, id, func(j *Job) (string, error) { j.State = Failed; return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	j, _ := s.Job(ctx, id)
	if j.State != Queued {
		t.Errorf("a failed update was committed: %s", j.State)
	}
	if _, err := s.Job(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	sub, _ := s.CreateJob(ctx, NewJob{Source: "a"})
	s.Update(ctx, sub, func(j *Job) (string, error) { j.State = Submitting; return "", nil })
	pr, _ := s.CreateJob(ctx, NewJob{Source: "b"})
	j, _ := s.Update(ctx, pr, func(j *Job) (string, error) {
		j.State = LabelsReady
		j.Packages = []Package{{Index: 0, TrackingNo: "T1", Label: "/x.pdf"}}
		return "", nil
	})
	if _, err := s.BeginPrint(ctx, j.Packages[0].ID, "p", false); err != nil {
		t.Fatal(err)
	}
	changed, err := s.Recover(ctx)
	if err != nil || len(changed) != 2 {
		t.Fatalf("Recover = %v, %v", changed, err)
	}
	a, _ := s.Job(ctx, sub)
	b, _ := s.Job(ctx, pr)
	if a.State != NeedsAttention || a.Attention != AttnSubmitUnknown || b.State != NeedsAttention || b.Attention != AttnPrintUnknown {
		t.Errorf("after recover: %s/%s, %s/%s", a.State, a.Attention, b.State, b.Attention)
	}
	if !b.Packages[0].AutoPrint || b.Packages[0].Prints != 0 {
		t.Errorf("package %+v: an unknown print counts as attempted, not as printed", b.Packages[0])
	}
	if changed, _ := s.Recover(ctx); len(changed) != 0 {
		t.Errorf("second Recover changed %v", changed)
	}
}

// TestConcurrentOpen: the agent and the CLI opening a new database at the
// same moment must not both migrate it.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cnx.db")
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
