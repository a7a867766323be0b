package agent_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cnx-agent/agent/store"
	"cnx-agent/api/fakeserver"
)

func TestInbox(t *testing.T) {
	t.Parallel()
	badCity := fakeserver.SampleOrder()
	badCity.Packages[1].ReceiverCity = "黄山"
	badCity.Packages[0].Items = nil
	tests := []struct {
		name       string
		content    any
		wantJob    bool
		wantErrors []string // lines the .error.txt must hold
	}{
		{"good.json", fakeserver.SampleJSON(), true, nil},
		{"not-json.json", []byte("order_no=1234567\n"), false, []string{"not-json.json was not accepted", "not a CNExpress order"}},
		{"bad-fields.json", badCity, false, []string{
			`packages[0].items: needs at least one entry`,
			`packages[1].receiver_city: "黄山" is not a CNExpress city; use a name from ` + "`cnx-agent cities`" + ` (did you mean 黄山市, 黄山区?)`,
		}},
		{"wrong-types.json", []byte(`{"packages": [{"length": "long"}]}`), false, []string{"cannot unmarshal string", "packages.length"}},
	}
	h := newHarness(t, fakeserver.Options{})
	h.opts.Inbox = h.inbox
	for _, tt := range tests {
		h.drop(tt.name, tt.content)
	}
	h.drop(".hidden.json", fakeserver.SampleJSON())
	h.drop("notes.txt", []byte("not an order"))
	h.run()

	jobs := h.jobs()
	bySource := map[string]*store.Job{}
	for _, j := range jobs {
		bySource[j.Source] = j
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := bySource[tt.name]
			if (j != nil) != tt.wantJob {
				t.Fatalf("job made: %v, want %v", j != nil, tt.wantJob)
			}
			if tt.wantJob {
				wantState(t, j, store.Printed)
				if _, err := os.Stat(filepath.Join(h.inbox, "done", tt.name)); err != nil {
					t.Errorf("not moved to done/: %v", err)
				}
				return
			}
			if _, err := os.Stat(filepath.Join(h.inbox, "rejected", tt.name)); err != nil {
				t.Errorf("not moved to rejected/: %v", err)
			}
			b, err := os.ReadFile(filepath.Join(h.inbox, "rejected", tt.name+".error.txt"))
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range tt.wantErrors {
				if !strings.Contains(string(b), line) {
					t.Errorf("error file lacks %q:\n%s", line, b)
				}
			}
		})
	}
	for _, left := range []string{".hidden.json", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(h.inbox, left)); err != nil {
			t.Errorf("%s should be left alone: %v", left, err)
		}
	}
	if len(jobs) != 1 {
		t.Errorf("jobs = %d, want 1", len(jobs))
	}
}

func TestInboxDuplicateNameAndHalfWrittenFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	h.opts.Inbox = h.inbox
	h.opts.InboxSettle = 500 * time.Millisecond
	h.opts.ExitWhenIdle = false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.agent().Run(ctx) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	// The same file name twice, one after the other: two orders.
	h.drop("order.json", fakeserver.SampleJSON())
	waitFor("first order.json in done/", func() bool { return exists(filepath.Join(h.inbox, "done", "order.json")) })
	h.drop("order.json", fakeserver.SampleJSON())
	waitFor("second order.json in done/", func() bool { return exists(filepath.Join(h.inbox, "done", "order-2.json")) })

	// A file written in two halves with a pause longer than the settle
	// time is not taken while it is incomplete JSON.
	sample := fakeserver.SampleJSON()
	half := filepath.Join(h.inbox, "slow.json")
	if err := os.WriteFile(half, sample[:len(sample)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if !exists(half) || exists(filepath.Join(h.inbox, "rejected", "slow.json")) {
		t.Fatal("a half-written file was taken")
	}
	if err := os.WriteFile(half, sample, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("slow.json in done/", func() bool { return exists(filepath.Join(h.inbox, "done", "slow.json")) })
	waitFor("three jobs printed", func() bool {
		js := h.jobs()
		n := 0
		for _, j := range js {
			if j.State == store.Printed {
				n++
			}
		}
		return n == 3
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.Posts()); n != 3 {
		t.Errorf("posts = %d, want 3", n)
	}
}

func TestInboxResumesMoveAfterCrash(t *testing.T) {
	t.Parallel()
	// The job was stored but the file never left the inbox (the agent was
	// killed in between): no second job.
	h := newHarness(t, fakeserver.Options{})
	h.opts.Inbox = h.inbox
	h.drop("a.json", fakeserver.SampleJSON())
	h.run()
	if err := os.Rename(filepath.Join(h.inbox, "done", "a.json"), filepath.Join(h.inbox, "a.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.Update(context.Background(), h.jobs()[0].ID, func(j *store.Job) (string, error) {
		j.SourceDone = false
		return "", nil
	}); err != nil {
		t.Fatal(err)
	}
	h.run()
	if n := len(h.jobs()); n != 1 {
		t.Fatalf("jobs = %d, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(h.inbox, "done", "a.json")); err != nil {
		t.Errorf("file not moved to done/: %v", err)
	}
}
