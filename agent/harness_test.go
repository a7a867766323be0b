package agent_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/api/fakeserver"
	"cnx-agent/internal/testrender"
	"cnx-agent/printer/folder"
	"cnx-agent/printer/label"
)

// harness is a real pipeline: the fake CNExpress over HTTP, SQLite on
// disk, pdfcpu layout and a folder printer.
type harness struct {
	t       testing.TB
	fake    *fakeserver.Server
	srv     *httptest.Server
	client  *api.Client
	st      *store.Store
	dir     string
	inbox   string
	printer *folder.Printer
	opts    agent.Options
}

func newHarness(t testing.TB, fo fakeserver.Options) *harness {
	t.Helper()
	if fo.Polls == 0 {
		fo.Polls = 1
	}
	h := &harness{t: t, fake: fakeserver.New(fo), dir: t.TempDir()}
	h.srv = httptest.NewServer(h.fake)
	t.Cleanup(h.srv.Close)
	h.client = newClient(t, h.srv.URL)
	st, err := store.Open(context.Background(), filepath.Join(h.dir, "data", "cnx-agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	h.inbox = filepath.Join(h.dir, "inbox")
	h.printer = folder.New("folder", filepath.Join(h.dir, "printed"))
	h.opts = agent.Options{
		DataDir: filepath.Join(h.dir, "data"), PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond,
		PollDeadline: 20 * time.Second, Printers: []agent.Printer{h.printer}, Default: "folder",
		Labels: label.NewAnySize(label.Options{}, testrender.Renderer(t)), ExitWhenIdle: true, InboxSettle: 100 * time.Millisecond,
	}
	return h
}

func newClient(t testing.TB, url string) *api.Client {
	t.Helper()
	c, err := api.New(api.Options{Root: url + "/api/v1", Username: "test", Password: "test",
		MaxRetries: 1, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) agent() *agent.Agent {
	h.t.Helper()
	a, err := agent.New(context.Background(), h.st, h.client, h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

// run runs a fresh agent until it is idle.
func (h *harness) run() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.agent().Run(ctx); err != nil {
		h.t.Fatal(err)
	}
	if ctx.Err() != nil {
		h.t.Fatal("agent did not become idle in 30s")
	}
}

func (h *harness) enqueue(o api.Order) int64 {
	h.t.Helper()
	id, err := agent.Enqueue(context.Background(), h.st, &o, "test", "")
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) job(id int64) *store.Job {
	h.t.Helper()
	j, err := h.st.Job(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return j
}

func (h *harness) jobs() []*store.Job {
	h.t.Helper()
	js, err := h.st.Jobs(context.Background(), store.Filter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return js
}

func (h *harness) drop(name string, v any) {
	h.t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := os.MkdirAll(h.inbox, 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.inbox, name), b, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func wantState(t *testing.T, j *store.Job, want store.State) {
	t.Helper()
	if j.State != want {
		t.Fatalf("job %d is %s (%s: %s), want %s", j.ID, j.State, j.Attention, j.Error, want)
	}
}
