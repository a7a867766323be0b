package localapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/localapi"
	"cnx-agent/agent/logring"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/api/fakeserver"
	"cnx-agent/internal/testrender"
	"cnx-agent/printer"
	"cnx-agent/printer/folder"
	"cnx-agent/printer/label"
)

type world struct {
	base   string
	token  string
	client *localapi.Client
	agent  *agent.Agent
	st     *store.Store
	fake   *fakeserver.Server
	out    *folder.Printer
	office certPrinter
}

// certPrinter is an ipps printer showing a new certificate until trusted.
type certPrinter struct{ trusted atomic.Bool }

func (p *certPrinter) Name() string                                { return "office" }
func (p *certPrinter) Print(context.Context, string, string) error { return errors.New("not used") }
func (p *certPrinter) Trust(context.Context) (string, error) {
	p.trusted.Store(true)
	return "sha256:ab12", nil
}

func (p *certPrinter) Status(context.Context) (printer.Status, error) {
	if p.trusted.Load() {
		return printer.Status{State: "idle"}, nil
	}
	return printer.Status{State: "offline"}, fmt.Errorf("the printer at cups.lan:631 shows a different TLS certificate: %w", printer.ErrUntrustedCertificate)
}

// newWorld runs an agent with its local API on a loopback port.
func newWorld(t *testing.T) *world {
	t.Helper()
	rend := testrender.Renderer(t)
	w := &world{fake: fakeserver.New(fakeserver.Options{Polls: 1})}
	cn := httptest.NewServer(w.fake)
	t.Cleanup(cn.Close)
	c, err := api.New(api.Options{Root: cn.URL + "/api/v1", Username: "test", Password: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w.st, err = store.Open(context.Background(), filepath.Join(dir, "cnx.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.st.Close() })
	w.out = folder.New("folder", filepath.Join(dir, "printed"))
	w.agent, err = agent.New(context.Background(), w.st, c, agent.Options{DataDir: dir, PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond,
		Printers: []agent.Printer{w.out, &w.office}, Labels: label.NewAnySize(label.Options{}, rend)})
	if err != nil {
		t.Fatal(err)
	}
	ring := logring.New(10)
	ring.Write([]byte("time=now level=INFO msg=hello\n"))
	w.token, err = localapi.EnsureToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := localapi.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := localapi.New(localapi.Options{Agent: w.agent, Store: w.st, Client: c, Token: w.token, Logs: ring, Renderer: rend, Version: "test", EventPoll: 20 * time.Millisecond,
		Settings: func() localapi.Settings { return localapi.Settings{APIRoot: "root", Username: "test"} }})
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(done) }()
	agentDone := make(chan struct{})
	go func() { _ = w.agent.Run(ctx); close(agentDone) }()
	t.Cleanup(func() { cancel(); <-done; <-agentDone })
	w.base = "http://" + ln.Addr().String()
	w.client = localapi.NewClient(w.base, w.token)
	return w
}

func (w *world) raw(t *testing.T, method, path, host, token string, body io.Reader) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, w.base+path, body)
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tests := []struct {
		name, method, path, host, token string
		body                            io.Reader
		want                            int
	}{
		{"no token", "GET", "/api/v1/status", "", "", nil, 401},
		{"wrong token", "GET", "/api/v1/status", "", strings.Repeat("0", 64), nil, 401},
		{"rebinding host", "GET", "/api/v1/status", "evil.example.com:7631", w.token, nil, 403},
		{"LAN address as host", "GET", "/api/v1/status", "192.168.1.20:7631", w.token, nil, 403},
		{"oversized body", "POST", "/api/v1/jobs", "", w.token, bytes.NewReader(append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), localapi.MaxBody+10)...)), 413},
		{"localhost host is fine", "GET", "/api/v1/status", "localhost:7631", w.token, nil, 200},
		{"::1 host is fine", "GET", "/api/v1/status", "[::1]:7631", w.token, nil, 200},
	}
	for _, tt := range tests {
		if resp := w.raw(t, tt.method, tt.path, tt.host, tt.token, tt.body); resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	if resp := w.raw(t, "GET", "/api/v1/status", "", w.token, nil); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header sent")
	}
	if _, err := localapi.Listen("0.0.0.0:0"); err == nil {
		t.Error("listening on all interfaces was allowed")
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := w.client

	// Events stream: collect what happens from now on.
	var mu sync.Mutex
	var events []store.Event
	go func() {
		_ = c.Events(ctx, 0, func(e store.Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	}()
	time.Sleep(100 * time.Millisecond)

	// Submit: a bad order is refused with field paths; a good one queued.
	bad := fakeserver.SampleOrder()
	bad.Packages[0].ReceiverCity = "九龙"
	b, _ := json.Marshal(bad)
	_, err := c.Submit(ctx, b)
	var ae *localapi.APIError
	if !errors.As(err, &ae) || ae.Status != 422 || len(ae.Body.Fields) == 0 || ae.Body.Fields[0].Path != "packages[0].receiver_city" {
		t.Fatalf("bad order: %v", err)
	}
	v, err := c.Submit(ctx, fakeserver.SampleJSON())
	if err != nil || v.Source != "api" || v.State != "queued" {
		t.Fatalf("submit: %+v, %v", v, err)
	}
	waitFor(t, func() bool { d, err := c.Job(ctx, v.ID); return err == nil && d.State == "printed" })

	d, err := c.Job(ctx, v.ID)
	if err != nil || len(d.Prints) != 2 || len(d.Prints[0].Prints) != 1 || len(d.Events) < 5 {
		t.Fatalf("job detail %+v, %v", d, err)
	}
	jobs, err := c.Jobs(ctx, 10, "printed")
	if err != nil || len(jobs) != 1 || jobs[0].ID != v.ID {
		t.Fatalf("jobs?state=printed: %+v, %v", jobs, err)
	}
	if none, _ := c.Jobs(ctx, 10, "failed"); len(none) != 0 {
		t.Errorf("jobs?state=failed: %+v", none)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Counts["printed"] != 1 || st.Working != 0 || st.Version != "test" {
		t.Errorf("status %+v, %v", st, err)
	}

	// Reprint one package, then the last label.
	if r, err := c.Reprint(ctx, v.ID, "TEST00000002"); err != nil || r.Printed != 1 {
		t.Fatalf("reprint: %+v, %v", r, err)
	}
	if r, err := c.ReprintLast(ctx); err != nil || r.JobID != v.ID || r.Printed != 1 {
		t.Fatalf("reprint last: %+v, %v", r, err)
	}
	if n := w.out.Count(d.RequestNo + "-TEST00000002"); n != 3 {
		t.Errorf("TEST00000002 printed %d times, want 3", n)
	}
	if _, err := c.Reprint(ctx, 999, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reprint of a missing job: %v", err)
	}

	// Actions that do not fit the state say so.
	if _, err := c.Retry(ctx, v.ID); !errors.As(err, &ae) || ae.Status != 409 {
		t.Errorf("retry of a printed job: %v", err)
	}
	if resp := w.raw(t, "POST", "/api/v1/jobs/1/resolve", "", w.token, strings.NewReader(`{}`)); resp.StatusCode != 400 {
		t.Errorf("resolve without an action: %d", resp.StatusCode)
	}

	// Pause holds printing; resume lets it go.
	if err := c.SetPaused(ctx, true); err != nil {
		t.Fatal(err)
	}
	v2, _ := c.Submit(ctx, fakeserver.SampleJSON())
	waitFor(t, func() bool { d, _ := c.Job(ctx, v2.ID); return d.State == "labels_ready" })
	time.Sleep(200 * time.Millisecond)
	if d, _ := c.Job(ctx, v2.ID); d.State != "labels_ready" {
		t.Fatalf("printed while paused: %s", d.State)
	}
	if st, _ := c.Status(ctx); !st.Paused || st.Printing != 1 {
		t.Errorf("status while paused: %+v", st)
	}
	if err := c.SetPaused(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { d, _ := c.Job(ctx, v2.ID); return d.State == "printed" })

	// Printers, account, logs, previews.
	prs, err := c.Printers(ctx)
	if err != nil || len(prs) != 2 || prs[0].Name != "folder" || !prs[0].Default || prs[0].CertChanged ||
		prs[1].Name != "office" || !prs[1].CertChanged || !strings.Contains(prs[1].Error, "different TLS certificate") {
		t.Errorf("printers %+v, %v", prs, err)
	}
	acc := w.raw(t, "GET", "/api/v1/account", "", w.token, nil)
	var a api.Account
	if json.NewDecoder(acc.Body).Decode(&a); a.Username != "test" {
		t.Errorf("account %+v", a)
	}
	if lines, err := c.Logs(ctx, 5); err != nil || len(lines) != 1 || !strings.Contains(lines[0], "hello") {
		t.Errorf("logs %v, %v", lines, err)
	}
	pngBytes, err := c.LabelPNG(ctx, v.ID, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil || img.Bounds().Dx() != 197 || img.Bounds().Dy() != 295 {
		t.Errorf("preview %v, %v", img.Bounds(), err)
	}
	if resp := w.raw(t, "GET", "/api/v1/jobs/1/packages/1/label.pdf", "", w.token, nil); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("label.pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp := w.raw(t, "GET", "/api/v1/jobs/1/packages/9/label.png", "", w.token, nil); resp.StatusCode != 404 {
		t.Errorf("missing package preview: %d", resp.StatusCode)
	}

	// Printers: test print and default; settings.
	if err := c.TestPrint(ctx, "folder"); err != nil {
		t.Errorf("test print: %v", err)
	}
	if n := w.out.Count("cnx-agent test label"); n != 1 {
		t.Errorf("test labels in the folder: %d", n)
	}
	if err := c.TestPrint(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("test print on an unknown printer: %v", err)
	}
	if err := c.SetDefaultPrinter(ctx, "folder"); err != nil {
		t.Errorf("set default: %v", err)
	}
	if err := c.SetDefaultPrinter(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("set default to an unknown printer: %v", err)
	}
	// Trust an ipps printer's new certificate.
	if fp, err := c.TrustPrinter(ctx, "office"); err != nil || fp != "sha256:ab12" {
		t.Errorf("trust: %q, %v", fp, err)
	}
	if prs, err := c.Printers(ctx); err != nil || len(prs) != 2 || prs[1].CertChanged || prs[1].State != "idle" {
		t.Errorf("printers after trust: %+v, %v", prs, err)
	}
	var apiErr *localapi.APIError
	if _, err := c.TrustPrinter(ctx, "folder"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict {
		t.Errorf("trust a folder printer: %v, want 409", err)
	}
	if _, err := c.TrustPrinter(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("trust an unknown printer: %v", err)
	}
	set, err := c.Settings(ctx)
	if err != nil || set.Mode != "test" || set.Credit != 0 || set.CreditError != "" || set.APIRoot != "root" {
		t.Errorf("settings %+v, %v", set, err)
	}

	// Export and tracking.
	csvOut, err := c.ExportCSV(ctx, time.Now().AddDate(0, 0, -1))
	if err != nil || strings.Count(string(csvOut), "\n") != 5 || !strings.HasPrefix(string(csvOut), "date,order_no,") {
		t.Errorf("export: %v\n%s", err, csvOut)
	}
	if tv, err := c.Tracking(ctx, "TEST00000001"); err != nil || !tv.Test {
		t.Errorf("tracking of a test number: %+v, %v", tv, err)
	}
	if resp := w.raw(t, "GET", "/api/v1/export?since=last-week", "", w.token, nil); resp.StatusCode != 400 {
		t.Errorf("export with a bad date: %d", resp.StatusCode)
	}

	mu.Lock()
	defer mu.Unlock()
	var printed bool
	for _, e := range events {
		printed = printed || (e.JobID == v.ID && e.To == store.Printed)
	}
	if !printed {
		t.Errorf("the event stream did not carry job %d's move to printed (%d events)", v.ID, len(events))
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
