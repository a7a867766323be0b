package agent_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"cnx-agent/agent"
	"cnx-agent/agent/store"
	"cnx-agent/api/fakeserver"
)

func readResult(t *testing.T, path string) agent.Result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r agent.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

func TestResultFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fakeserver.Options{})
	h.opts.Inbox = h.inbox
	failing := fakeserver.SampleOrder()
	failing.OrderNo = "FAILS"
	failing.Packages[0].ReceiverIDNumber = "000000000000000000"
	bad := fakeserver.SampleOrder()
	bad.Packages[1].ReceiverCity = "九龙"
	h.drop("good.json", fakeserver.SampleJSON())
	h.drop("fails.json", failing)
	h.drop("bad.json", bad)
	h.run()

	good := readResult(t, filepath.Join(h.inbox, "done", "good.result.json"))
	if good.State != "printed" || good.OrderNo != "1234567" || !strings.HasPrefix(good.RequestNo, "CE") || len(good.Packages) != 2 ||
		good.Packages[0].TrackingNo != "TEST00000001" || good.Packages[0].Cost != 20 || good.Packages[0].PrintedAt == nil || good.Packages[0].Label == "" {
		t.Errorf("printed result %+v", good)
	}
	fails := readResult(t, filepath.Join(h.inbox, "done", "fails.result.json"))
	if fails.State != "failed" || !strings.Contains(fails.Error, "收件人身份证号码校验失败") || fails.Packages[0].PrintedAt != nil {
		t.Errorf("failed result %+v", fails)
	}
	rej := readResult(t, filepath.Join(h.inbox, "rejected", "bad.result.json"))
	if rej.State != "rejected" || len(rej.Fields) != 1 || rej.Fields[0].Path != "packages[1].receiver_city" {
		t.Errorf("rejected result %+v", rej)
	}

	// needs attention: the POST's answer is lost.
	h.fake.InjectNext(fakeserver.FaultResetAfter, http.MethodPost, 1)
	h.drop("lost.json", fakeserver.SampleJSON())
	h.run()
	lost := readResult(t, filepath.Join(h.inbox, "done", "lost.result.json"))
	if lost.State != "needs_attention" || !strings.Contains(lost.Error, "may or may not") {
		t.Errorf("needs-attention result %+v", lost)
	}
	left, _ := filepath.Glob(filepath.Join(h.inbox, "*", ".tmp-*"))
	if len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
	// A crash after the commit, before the file: the next start writes it.
	os.Remove(filepath.Join(h.inbox, "done", "good.result.json"))
	h.run()
	if r := readResult(t, filepath.Join(h.inbox, "done", "good.result.json")); r.State != "printed" {
		t.Errorf("swept result %+v", r)
	}
}

// receiver is a webhook endpoint that fails its first deliveries.
type receiver struct {
	mu       sync.Mutex
	failNext int
	got      map[int64]agent.WebhookPayload
	sigOK    bool
	tries    int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	if r.failNext > 0 {
		r.failNext--
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	r.sigOK = req.Header.Get(agent.SignatureHeader) == agent.Sign("s3cret", body)
	var p agent.WebhookPayload
	if err := json.Unmarshal(body, &p); err == nil {
		r.got[p.Event.ID] = p
	}
}

func TestWebhookFailsThenRecoversAcrossRestart(t *testing.T) {
	t.Parallel()
	rcv := &receiver{failNext: 3, got: map[int64]agent.WebhookPayload{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	h := newHarness(t, fakeserver.Options{})
	h.opts.ExitWhenIdle = false
	h.opts.Webhooks = []agent.Webhook{{URL: srv.URL, Secret: "s3cret"}}
	// Make the cursor before the job, as a configured webhook would be.
	if _, err := h.st.WebhookCursor(context.Background(), srv.URL); err != nil {
		t.Fatal(err)
	}
	id := h.enqueue(fakeserver.SampleOrder())
	// First run: the job prints while the receiver is failing.
	runUntil(t, h, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return h.job(id).State == store.Printed && rcv.tries >= 3
	})
	// Second run (a restart): the pending deliveries are made.
	events, _ := h.st.StateEventsAfter(context.Background(), 0, 100)
	runUntil(t, h, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.got) >= len(events)
	})
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var states []string
	for _, e := range events {
		p, ok := rcv.got[e.ID]
		if !ok {
			t.Errorf("event %d (%s → %s) never delivered", e.ID, e.From, e.To)
			continue
		}
		states = append(states, p.Job.State)
	}
	if got := strings.Join(states, " "); got != "queued submitting submitted succeeded labels_ready printed" {
		t.Errorf("delivered states %q", got)
	}
	if !rcv.sigOK {
		t.Error("signature did not verify")
	}
	if last := rcv.got[events[len(events)-1].ID]; last.Job.Packages[0].TrackingNo != "TEST00000001" {
		t.Errorf("last payload %+v", last.Job)
	}
}
