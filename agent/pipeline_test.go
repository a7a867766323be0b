package agent_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/api/fakeserver"
)

func TestPipelineEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{Polls: 2})
	id := h.enqueue(fakeserver.SampleOrder())
	h.run()
	j := h.job(id)
	wantState(t, j, store.Printed)
	if !strings.HasPrefix(j.RequestNo, "CE") || !j.TestMode || len(j.Packages) != 2 {
		t.Fatalf("job = %+v", j)
	}
	for i, p := range j.Packages {
		if p.TrackingNo != []string{"TEST00000001", "TEST00000002"}[i] || p.Prints != 1 || p.Label == "" {
			t.Errorf("package %d = %+v", i, p)
		}
		if n := h.printer.Count(j.RequestNo + "-" + p.TrackingNo); n != 1 {
			t.Errorf("package %d printed %d times, want 1", i, n)
		}
	}
	if j.Packages[0].PackageNo != "1" || j.Packages[0].Cost != 20 {
		t.Errorf("package 1 = %+v", j.Packages[0])
	}
	events, err := h.st.Events(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, e := range events {
		if e.To != e.From {
			path = append(path, e.To.String())
		}
	}
	want := "queued submitting submitted succeeded labels_ready printed"
	if got := strings.Join(path, " "); got != want {
		t.Errorf("states %q, want %q", got, want)
	}
	if n := len(h.fake.Posts()); n != 1 {
		t.Errorf("posts = %d, want 1", n)
	}
}

func TestServerFailsRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	o := fakeserver.SampleOrder()
	o.Packages[0].ReceiverIDNumber = "000000000000000000"
	id := h.enqueue(o)
	h.run()
	j := h.job(id)
	wantState(t, j, store.Failed)
	if !strings.Contains(j.Error, "收件人身份证号码校验失败") || j.RequestNo == "" {
		t.Errorf("error %q", j.Error)
	}
}

func TestInvalidOrderFailsBeforePost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	o := fakeserver.SampleOrder()
	o.RouteCode = "dhl"
	id := h.enqueue(o)
	h.run()
	j := h.job(id)
	wantState(t, j, store.Failed)
	if !strings.Contains(j.Error, `route_code: unknown route "dhl"; allowed: cnpost`) {
		t.Errorf("error %q", j.Error)
	}
	if n := len(h.fake.Posts()); n != 0 {
		t.Errorf("posts = %d, want 0", n)
	}
}

func TestAmbiguousPostNeedsAttention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fault     fakeserver.Fault
		wantPosts int
	}{
		{"503 answer", fakeserver.FaultUnavailable, 0},
		{"answer lost after the request was made", fakeserver.FaultResetAfter, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, fakeserver.Options{})
			h.fake.InjectNext(tt.fault, http.MethodPost, 1)
			id := h.enqueue(fakeserver.SampleOrder())
			h.run()
			j := h.job(id)
			wantState(t, j, store.NeedsAttention)
			if j.Attention != store.AttnSubmitUnknown {
				t.Errorf("attention %q, want submit_unknown", j.Attention)
			}
			if n := len(h.fake.Posts()); n != tt.wantPosts {
				t.Fatalf("posts = %d, want %d (never re-posted by itself)", n, tt.wantPosts)
			}
			if _, err := agent.Retry(context.Background(), h.st, id); err == nil {
				t.Error("plain retry of a job whose POST may have landed was allowed")
			}
			// A person looks it up: attach the request CNExpress has, or
			// resubmit when it has none.
			if tt.wantPosts == 1 {
				_, err := agent.Attach(context.Background(), h.st, id, h.fake.Posts()[0].RequestNo)
				if err != nil {
					t.Fatal(err)
				}
			} else if _, err := agent.Resubmit(context.Background(), h.st, id); err != nil {
				t.Fatal(err)
			}
			h.run()
			wantState(t, h.job(id), store.Printed)
			if n := len(h.fake.Posts()); n != 1 {
				t.Errorf("posts = %d, want 1", n)
			}
		})
	}
}

func TestUnreachableServerRetriesPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	// The client dials whatever address target holds: first the fake (to
	// load the catalog), then a port with nothing listening, so the POST
	// provably never leaves, then the fake again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	var target atomic.Value
	target.Store(h.srv.Listener.Addr().String())
	var d net.Dialer
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, target.Load().(string))
	}}}
	h.client, err = api.New(api.Options{Root: h.srv.URL + "/api/v1", Username: "test", Password: "test", HTTPClient: hc,
		MaxRetries: 1, BaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.Catalog(context.Background()); err != nil {
		t.Fatal(err)
	}
	target.Store(dead)

	h.opts.ExitWhenIdle = false
	id := h.enqueue(fakeserver.SampleOrder())
	runUntil(t, h, func() bool { return h.job(id).Attempts >= 2 })
	j := h.job(id)
	wantState(t, j, store.Queued)
	if j.Attempts < 2 || !strings.Contains(j.Error, "the order was not sent") || !strings.Contains(j.Error, "connection refused") {
		t.Fatalf("attempts %d error %q", j.Attempts, j.Error)
	}
	if n := len(h.fake.Posts()); n != 0 {
		t.Fatalf("posts = %d, want 0", n)
	}
	target.Store(h.srv.Listener.Addr().String())
	h.opts.ExitWhenIdle = true
	h.run()
	wantState(t, h.job(id), store.Printed)
	if n := len(h.fake.Posts()); n != 1 {
		t.Fatalf("posts = %d, want 1", n)
	}
}

func TestPollDeadline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{Polls: 1 << 30})
	h.opts.PollDeadline = 200 * time.Millisecond
	id := h.enqueue(fakeserver.SampleOrder())
	h.run()
	j := h.job(id)
	wantState(t, j, store.NeedsAttention)
	if j.Attention != store.AttnPollTimeout {
		t.Errorf("attention %q", j.Attention)
	}
}

func TestAttachExistingRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	o := fakeserver.SampleOrder()
	r, err := h.client.CreateRequest(context.Background(), &o)
	if err != nil {
		t.Fatal(err)
	}
	id, err := agent.AttachRequest(context.Background(), h.st, r.RequestNo, "cli")
	if err != nil {
		t.Fatal(err)
	}
	h.run()
	j := h.job(id)
	wantState(t, j, store.Printed)
	if len(j.Packages) != 2 || j.OrderNo != "1234567" || j.RouteCode != "cnpost" {
		t.Errorf("job = %+v", j)
	}
	if _, err := agent.AttachRequest(context.Background(), h.st, "../../etc", "cli"); err == nil {
		t.Error("a request number with a path in it was accepted")
	}
}

func TestWaybillFallsBackToMergedFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{WaybillFormat: fakeserver.FormatA4})
	// Every per-package download fails; the merged file works.
	h.fake.InjectNextPath(fakeserver.FaultUnavailable, http.MethodGet, "/api/v1/waybills/CE", 1000)
	id := h.enqueue(fakeserver.SampleOrder())
	h.run()
	j := h.job(id)
	wantState(t, j, store.Printed)
	for i, p := range j.Packages {
		if want := fmt.Sprintf("request-p%03d.pdf", i+1); !strings.HasSuffix(p.Waybill, want) {
			t.Errorf("package %d waybill %s, want page %d of the merged file (%s)", p.Index, p.Waybill, i+1, want)
		}
	}
	if h.fake.Calls("GET /api/v1/waybills/request/{no}") != 1 {
		t.Errorf("merged file fetched %d times, want 1", h.fake.Calls("GET /api/v1/waybills/request/{no}"))
	}
}

func TestTruncatedWaybillIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	h.fake.InjectNextPath(fakeserver.FaultTruncate, http.MethodGet, "/api/v1/waybills/", 3)
	id := h.enqueue(fakeserver.SampleOrder())
	h.run()
	wantState(t, h.job(id), store.Printed)
}

func TestRecoverAfterCrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	ctx := context.Background()
	// A job caught in submitting: its POST may have landed.
	sub := h.enqueue(fakeserver.SampleOrder())
	if _, err := h.st.Update(ctx, sub, func(j *store.Job) (string, error) { j.State = store.Submitting; return "", nil }); err != nil {
		t.Fatal(err)
	}
	// A job whose first label print was started and never finished: the
	// printer refuses until the agent stops, then a print is caught
	// half-way.
	pr := h.enqueue(fakeserver.SampleOrder())
	h.opts.Printers, h.opts.Default, h.opts.ExitWhenIdle = []agent.Printer{refusingPrinter{}}, "refusing", false
	runUntil(t, h, func() bool { j := h.job(pr); return j.State == store.LabelsReady && j.Attempts > 0 })
	j := h.job(pr)
	if _, err := h.st.BeginPrint(ctx, j.Packages[0].ID, "folder", false); err != nil {
		t.Fatal(err)
	}
	h.opts.Printers, h.opts.Default, h.opts.ExitWhenIdle = []agent.Printer{h.printer}, "folder", true
	postsBefore := len(h.fake.Posts())
	h.run()

	s := h.job(sub)
	wantState(t, s, store.NeedsAttention)
	if s.Attention != store.AttnSubmitUnknown || !strings.Contains(s.Error, "may or may not") {
		t.Errorf("submitting job: %s %q", s.Attention, s.Error)
	}
	p := h.job(pr)
	wantState(t, p, store.NeedsAttention)
	if p.Attention != store.AttnPrintUnknown {
		t.Errorf("printing job: %s %q", p.Attention, p.Error)
	}
	if n := len(h.fake.Posts()); n != postsBefore {
		t.Errorf("posts went from %d to %d", postsBefore, n)
	}
	for _, pk := range p.Packages {
		if n := h.printer.Count(p.RequestNo + "-" + pk.TrackingNo); n != 0 {
			t.Errorf("%s printed %d times before anyone asked", pk.TrackingNo, n)
		}
	}
	// "Print again" prints the labels, each once.
	if _, err := agent.Retry(ctx, h.st, pr); err != nil {
		t.Fatal(err)
	}
	h.run()
	wantState(t, h.job(pr), store.Printed)
	for _, pk := range h.job(pr).Packages {
		if n := h.printer.Count(p.RequestNo + "-" + pk.TrackingNo); n != 1 {
			t.Errorf("%s printed %d times, want 1", pk.TrackingNo, n)
		}
	}
	recs, _ := h.st.Prints(ctx, p.Packages[0].ID)
	var outcomes []string
	for _, r := range recs {
		outcomes = append(outcomes, string(r.Outcome))
	}
	if got := strings.Join(outcomes, ","); got != "failed,failed,done" && !strings.HasSuffix(got, "failed,done") {
		t.Errorf("ledger of package 1: %s", got)
	}
}

// runUntil runs an agent until cond holds (checked every 10ms, 10s max).
func runUntil(t *testing.T, h *harness, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.agent().Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !cond() {
		t.Fatal("condition not reached in 10s")
	}
}

func TestReprint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	id := h.enqueue(fakeserver.SampleOrder())
	h.run()
	a := h.agent()
	n, err := a.Reprint(context.Background(), id, "TEST00000002")
	if err != nil || n != 1 {
		t.Fatalf("Reprint = %d, %v", n, err)
	}
	j := h.job(id)
	if j.Packages[1].Prints != 2 || j.Packages[0].Prints != 1 {
		t.Errorf("prints %d, %d; want 1, 2", j.Packages[0].Prints, j.Packages[1].Prints)
	}
	recs, err := h.st.Prints(context.Background(), j.Packages[1].ID)
	if err != nil || len(recs) != 2 || recs[0].Reprint || !recs[1].Reprint {
		t.Errorf("print records %+v, %v", recs, err)
	}
	if _, err := a.Reprint(context.Background(), id, "NOPE"); err == nil {
		t.Error("reprint of an unknown tracking number succeeded")
	}
}

// refusingPrinter fails every print as if the printer were offline.
type refusingPrinter struct{ maybe bool }

type printErr struct{ maybe bool }

func (e printErr) Error() string        { return "printer offline" }
func (e printErr) MayHavePrinted() bool { return e.maybe }

func (p refusingPrinter) Name() string { return "refusing" }
func (p refusingPrinter) Print(context.Context, string, string) error {
	return printErr(p)
}

var _ agent.Printer = refusingPrinter{}

func TestPrinterFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	h.opts.Printers, h.opts.Default = []agent.Printer{refusingPrinter{maybe: true}}, "refusing"
	id := h.enqueue(fakeserver.SampleOrder())
	h.run()
	j := h.job(id)
	wantState(t, j, store.NeedsAttention)
	if j.Attention != store.AttnPrint {
		t.Errorf("attention %q", j.Attention)
	}
	recs, _ := h.st.Prints(context.Background(), j.Packages[0].ID)
	if len(recs) != 1 || recs[0].Outcome != store.PrintUnknown {
		t.Errorf("records %+v", recs)
	}
	if _, err := os.Stat(j.Packages[0].Label); err != nil {
		t.Errorf("label file: %v", err)
	}
}

func TestRoutesPickPrinter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	other := newHarness(t, fakeserver.Options{}).printer
	h.opts.Printers = append(h.opts.Printers, namedFolder{other, "yto-printer"})
	h.opts.Routes = map[string]string{"yto": "yto-printer"}
	o := fakeserver.SampleOrder()
	o.RouteCode = "yto"
	id := h.enqueue(o)
	h.enqueue(fakeserver.SampleOrder())
	h.run()
	j := h.job(id)
	if n := other.Count(j.RequestNo + "-TEST00000001"); n != 1 {
		t.Errorf("yto label on the yto printer: %d, want 1", n)
	}
	if n := h.printer.Count(j.RequestNo + "-TEST00000001"); n != 0 {
		t.Errorf("yto label on the default printer: %d, want 0", n)
	}
}

type namedFolder struct {
	agent.Printer
	name string
}

func (n namedFolder) Name() string { return n.name }
